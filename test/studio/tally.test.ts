/**
 * The studio's arithmetic: Fleiss' κ against the published worked example and
 * a two-rater closed form (Scott's π), majority-vote pairs, and per-question
 * win rates of model A with Wilson intervals, from hand-made judgments.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { wilsonInterval } from "../../src/eval/win-rate.js";
import { agreementWith, fleissKappa } from "../../src/studio/agreement.js";
import type { Answer, Item, Judgment } from "../../src/studio/store.js";
import { majorityPairs, questionResults } from "../../src/studio/tally.js";

/** Expands a row of category counts into that many labels. */
function expand(counts: number[]): string[] {
  return counts.flatMap((k, j) => Array<string>(k).fill(`c${j}`));
}

describe("Fleiss' kappa", () => {
  it("reproduces Fleiss' worked example (10 subjects, 14 raters, 5 categories): P̄ 0.378, P_e 0.2128, κ 0.2099", () => {
    const table = [
      [0, 0, 0, 0, 14],
      [0, 2, 6, 4, 2],
      [0, 0, 3, 5, 6],
      [0, 3, 9, 2, 0],
      [2, 2, 8, 1, 1],
      [7, 7, 0, 0, 0],
      [3, 2, 6, 3, 0],
      [2, 5, 3, 2, 2],
      [6, 5, 2, 1, 0],
      [0, 2, 2, 3, 7],
    ];
    const k = fleissKappa(table.map(expand));
    assert.equal(k.items, 10);
    assert.equal(k.pairs, 10 * 91);
    assert.ok(Math.abs(k.observed - 0.378022) < 1e-6, `P̄ ${k.observed}`);
    assert.ok(Math.abs(k.chance - 0.212755) < 1e-6, `P_e ${k.chance}`);
    assert.ok(Math.abs(k.kappa - 0.209931) < 1e-6, `κ ${k.kappa}`);
  });

  it("with two raters equals Scott's π = (p_o − p_e)/(1 − p_e) with pooled marginals", () => {
    const ratings = [
      ["a", "a"],
      ["a", "b"],
      ["b", "b"],
      ["a", "a"],
      ["tie", "a"],
      ["b", "b"],
    ];
    const po = 4 / 6;
    const pooled = { a: 6 / 12, b: 5 / 12, tie: 1 / 12 };
    const pe = pooled.a ** 2 + pooled.b ** 2 + pooled.tie ** 2;
    const k = fleissKappa(ratings);
    assert.ok(Math.abs(k.kappa - (po - pe) / (1 - pe)) < 1e-12);
  });

  it("ignores items with one rating, and is 1 for perfect agreement on varied answers", () => {
    const k = fleissKappa([["a"], ["a", "a", "a"], ["b", "b"], ["tie", "tie"]]);
    assert.equal(k.items, 3);
    assert.equal(k.kappa, 1);
    assert.ok(Number.isNaN(fleissKappa([["a"]]).kappa));
  });

  it("agreement with a judge counts matching pairs", () => {
    const r = agreementWith([
      { human: "a", judge: "a" },
      { human: "b", judge: "a" },
      { human: "tie", judge: "tie" },
    ]);
    assert.deepEqual([r.n, r.agree], [3, 2]);
  });
});

function item(id: number, media: "text" | "image" = "text", judge?: Record<string, Answer>): Item {
  return {
    id,
    task: "eval",
    media,
    prompt: `p${id}`,
    a: `a${id}`,
    b: `b${id}`,
    source: null,
    line: null,
    modelA: "tuned",
    modelB: "base",
    judge: judge ?? null,
  };
}

let jid = 0;
function judgment(itemId: number, labeler: string, answers: Record<string, Answer>): Judgment {
  return { id: ++jid, itemId, labeler, answers, skipped: false, createdAt: "" };
}

describe("tallies", () => {
  it("majority vote picks the strict winner, leaves ties and unlabeled items out", () => {
    const items = [1, 2, 3, 4].map((i) => item(i));
    const js = [
      judgment(1, "x", { preference: "a" }),
      judgment(1, "y", { preference: "b" }),
      judgment(1, "z", { preference: "b" }),
      judgment(2, "x", { preference: "a" }),
      judgment(2, "y", { preference: "tie" }),
      judgment(3, "x", { preference: "a" }),
      judgment(3, "y", { preference: "b" }),
      { ...judgment(4, "x", {}), skipped: true },
    ];
    const r = majorityPairs(items, js);
    assert.deepEqual(
      r.pairs.map((p) => [p.item.id, p.winner]),
      [
        [1, "b"],
        [2, "a"],
      ],
    );
    assert.equal(r.undecided, 1);
    assert.equal(r.unlabeled, 1);
  });

  it("win rates per question: ties count half, interval is Wilson's, judge agreement per question", () => {
    const items = [1, 2, 3].map((i) =>
      item(i, "image", { overall: "a", appeal: "b", alignment: "a" }),
    );
    const js = [
      judgment(1, "x", { overall: "a", appeal: "a", alignment: "a" }),
      judgment(2, "x", { overall: "a", appeal: "b", alignment: "tie" }),
      judgment(3, "x", { overall: "b", appeal: "b", alignment: "a" }),
      judgment(1, "y", { overall: "tie", appeal: "a", alignment: "a" }),
    ];
    const res = questionResults("eval", items, js);
    assert.deepEqual(
      res.map((r) => r.question),
      ["overall", "appeal", "alignment"],
    );
    const overall = res[0];
    assert.equal(overall.winRate.n, 4);
    assert.equal(overall.winRate.rate, (2 + 0.5) / 4);
    assert.deepEqual(overall.winRate.ci, wilsonInterval(2.5 / 4, 4));
    // item 1 answered by x (a) and y (tie): one pair, disagreeing
    assert.equal(overall.agreement.items, 1);
    assert.equal(overall.agreement.observed, 0);
    assert.deepEqual([overall.judge.n, overall.judge.agree], [4, 2]);
    const appeal = res[1];
    assert.equal(appeal.winRate.rate, 2 / 4);
    assert.equal(appeal.agreement.observed, 1);
    assert.deepEqual([appeal.judge.n, appeal.judge.agree], [4, 2]);
  });
});
