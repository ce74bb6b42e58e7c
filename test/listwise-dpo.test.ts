/**
 * Listwise (Plackett–Luce) DPO as a command: ranked rows and their errors,
 * the exact Plackett–Luce sampler of the embedded world, the packed K-list
 * objective against the pure loss on the plain forward, K = 2 through the
 * whole pipeline equal to DPO, and a short run on embedded rankings that
 * starts at the closed form log K! and lowers the loss.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import fc from "fast-check";
import { listwiseJsonl, parseListwiseJsonl, rankedPairs } from "../src/data/listwise-data.js";
import { collatePairs } from "../src/data/preference-collate.js";
import { parsePreferenceJsonl, splitEvalGroups } from "../src/data/preference-data.js";
import { plackettLuceRankings } from "../src/data/sentiment-preferences.js";
import { UserError } from "../src/engine/errors.js";
import { numpy as np, tree, valueAndGrad } from "../src/engine/jax.js";
import { refTree } from "../src/engine/pytree.js";
import { HostRng, makeKey } from "../src/engine/random.js";
import { sequenceLogProbs } from "../src/models/lm/logprobs.js";
import { packedArrays } from "../src/models/lm/pair-logprobs.js";
import { packPairs } from "../src/models/lm/pair-pack.js";
import { initParams, type LMParams } from "../src/models/lm/params.js";
import { listwiseDpoLoss } from "../src/objectives/listwise-dpo.js";
import { runDpo } from "../src/pipelines/dpo.js";
import { dpoPairObjective } from "../src/pipelines/dpo-step.js";
import { readMetrics } from "../src/train/metrics.js";
import { setup } from "./helpers.js";
import { tinyGPT2 } from "./lm-reference.js";

const dir = mkdtempSync(join(tmpdir(), "prefopt-listwise-"));

before(async () => {
  await setup();
});

describe("listwise rows", () => {
  const row = (o: unknown) => JSON.stringify(o);
  it("reads rankings best first, pair rows as rankings of two, and writes them back", () => {
    const text = [
      row({ prompt: "The film", chosen: " was great", rejected: [" was fine", " was dull"] }),
      row({ prompt: "A plot", chosen: " that works", rejected: [" that drags", " that fails"] }),
    ].join("\n");
    const r = parseListwiseJsonl(text, "r.jsonl");
    assert.deepEqual(r[1], {
      prompt: "A plot",
      chosen: " that works",
      rejected: [" that drags", " that fails"],
    });
    assert.deepEqual(parseListwiseJsonl(listwiseJsonl(r), "again"), r);
    const { pairs, listSize } = rankedPairs(r);
    assert.equal(listSize, 3);
    assert.deepEqual(
      pairs.map((p) => [p.prompt, p.chosen, p.rejected]),
      [
        ["The film", " was great", " was fine"],
        ["The film", " was great", " was dull"],
        ["A plot", " that works", " that drags"],
        ["A plot", " that works", " that fails"],
      ],
    );
    const pair = parseListwiseJsonl(row({ prompt: "p", chosen: " a", rejected: " b" }), "f");
    assert.deepEqual(pair, [{ prompt: "p", chosen: " a", rejected: [" b"] }]);
  });

  it("refuses malformed rows in one line naming file, line and field", () => {
    const bad: [unknown[], RegExp][] = [
      [[{ prompt: "p", chosen: " a", rejected: [] }], /^f\.jsonl:1: field "rejected": empty list/],
      [
        [{ prompt: "p", chosen: " a", rejected: [" b", 3] }],
        /^f\.jsonl:1: field "rejected\[1\]": expected a string/,
      ],
      [
        [{ prompt: "p", chosen: " a", rejected: [" b", null] }],
        /^f\.jsonl:1: field "rejected\[1\]": expected a string/,
      ],
      [[{ chosen: " a", rejected: [" b"] }], /^f\.jsonl:1: field "prompt": missing/],
      [[{ prompt: "p", chosen: 5, rejected: [" b"] }], /^f\.jsonl:1: field "chosen"/],
      [
        [
          { prompt: "p", chosen: " a", rejected: [" b", " c"] },
          { prompt: "q", chosen: " a", rejected: [" b"] },
        ],
        /^f\.jsonl:2: field "rejected": 1 rejected answers where line 1 has 2/,
      ],
    ];
    for (const [rows, re] of bad) {
      const text = rows.map(row).join("\n");
      assert.throws(
        () => parseListwiseJsonl(text, "f.jsonl"),
        (e: Error) => re.test(e.message) && !e.message.includes("\n"),
        text,
      );
    }
    // the pair loader points a listwise row at --loss-type listwise
    assert.throws(
      () => parsePreferenceJsonl(row({ prompt: "p", chosen: " a", rejected: [" b"] }), "g.jsonl"),
      /g\.jsonl:1: field "rejected": a list of answers .*--loss-type listwise/,
    );
  });

  it("fuzzed rows: a one-line UserError naming file:line, or string rankings of one size", () => {
    const answer = fc.oneof(fc.string({ maxLength: 4 }), fc.jsonValue());
    const rowArb = fc.record(
      {
        prompt: fc.oneof(fc.string({ maxLength: 4 }), fc.jsonValue()),
        chosen: answer,
        rejected: fc.oneof(fc.array(answer, { maxLength: 3 }), answer),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.array(fc.oneof(rowArb, fc.jsonValue()), { minLength: 1, maxLength: 4 }),
        (rows) => {
          const text = rows.map((r) => JSON.stringify(r) ?? "null").join("\n");
          let out: ReturnType<typeof parseListwiseJsonl>;
          try {
            out = parseListwiseJsonl(text, "z.jsonl");
          } catch (e) {
            assert.ok(e instanceof UserError, String(e));
            assert.match(e.message, /^z\.jsonl(:\d+)?: /);
            assert.ok(!e.message.includes("\n"));
            return;
          }
          const k = out[0].rejected.length;
          for (const r of out) {
            assert.equal(r.rejected.length, k);
            assert.ok(k >= 1 && typeof r.prompt === "string" && typeof r.chosen === "string");
            assert.ok(r.rejected.every((x) => typeof x === "string"));
          }
        },
      ),
      { numRuns: 300, seed: 19 },
    );
  });

  it("keeps a ranking's pairs on one side of the held-out split", () => {
    const xs = Array.from({ length: 12 }, (_, i) => i);
    assert.deepEqual(splitEvalGroups(xs, 0.25, 3).eval, [9, 10, 11]);
    assert.deepEqual(splitEvalGroups(xs, 0.5, 1).eval, [1, 3, 5, 7, 9, 11]);
  });
});

describe("the embedded world's Plackett–Luce rankings", () => {
  it("are exact Plackett–Luce draws at temperature 1 (frequencies of all 6 orders)", () => {
    const r = [0, 1, 2.5];
    const comp = ["a", "b", "c"];
    const n = 30000;
    const scored = Array.from({ length: n }, () => ({
      prompt: "p",
      completions: comp,
      ids: [],
      rewards: r,
    }));
    const counts = new Map<string, number>();
    for (const x of plackettLuceRankings(scored, { seed: 3 })) {
      const k = [x.chosen, ...x.rejected].join("");
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const w = r.map(Math.exp);
    for (const order of ["abc", "acb", "bac", "bca", "cab", "cba"]) {
      const [i, j] = [...order].map((ch) => comp.indexOf(ch));
      const p = (w[i] / (w[0] + w[1] + w[2])) * (w[j] / (w[0] + w[1] + w[2] - w[i]));
      const f = (counts.get(order) ?? 0) / n;
      const se = Math.sqrt((p * (1 - p)) / n);
      assert.ok(Math.abs(f - p) < 4.5 * se + 1e-4, `${order}: ${f} vs ${p}`);
    }
  });

  it("rank every sample, empty and repeated ones too, the first `size` of each prompt", () => {
    const s = (completions: string[]) => ({
      prompt: "p",
      completions,
      ids: [],
      rewards: completions.map(() => 0),
    });
    const out = plackettLuceRankings([s(["a", "a", "", "c"]), s(["x"])], { size: 3 });
    assert.equal(out.length, 1);
    assert.deepEqual([out[0].chosen, ...out[0].rejected].sort(), ["", "a", "a"]);
    // and such a ranking reads back
    assert.deepEqual(parseListwiseJsonl(listwiseJsonl(out), "r.jsonl"), out);
  });
});

describe("listwise DPO on the packed batch", () => {
  it("K = 3: the reshaped pair log-probs give the pure loss on the plain forward; a step lowers it", async () => {
    const c = tinyGPT2;
    const rng = new HostRng(5);
    const toks = (n: number) => Array.from({ length: n }, () => rng.int(c.vocabSize));
    // two rankings of three, each as two consecutive pairs (best, y_k)
    const rankings = [0, 1].map((i) => ({
      prompt: toks(2 + i),
      ranked: [toks(3), toks(2 + i), toks(4)],
    }));
    const pairs = rankings.flatMap((r) =>
      [1, 2].map((k) => ({ prompt: r.prompt, chosen: r.ranked[0], rejected: r.ranked[k] })),
    );
    const ref = [-7, -9, -8.5, -6, -10, -7.5]; // [N, K] rows: best, 2nd, 3rd
    const params = initParams(c, makeKey(2));
    // independent route: each (prompt, answer) through the plain forward
    const rows = rankings.flatMap((r) => r.ranked.map((y) => ({ prompt: r.prompt, chosen: y })));
    const plain = collatePairs(rows.map((x) => ({ ...x, rejected: x.chosen })));
    const lp = Array.from(
      (await sequenceLogProbs(
        c,
        refTree(params),
        np.array(plain.ids, { dtype: np.int32 }).reshape([plain.B, plain.T]),
        np.array(plain.mask).reshape([plain.B, plain.T]),
      ).data()) as Float32Array,
    ).slice(0, 6);
    const beta = 0.7;
    const a = (x: number[]) => np.array(new Float32Array(x));
    const want = (
      await listwiseDpoLoss(
        { policyLogps: a(lp).reshape([2, 3]), refLogps: a(ref).reshape([2, 3]) },
        { beta },
      ).loss.data()
    )[0];
    // the reference as the task passes it: per pair (best, y_k)
    const refC = [ref[0], ref[0], ref[3], ref[3]];
    const refR = [ref[1], ref[2], ref[4], ref[5]];
    const f = (p: LMParams) => {
      const [loss, aux] = dpoPairObjective(c, p, packedArrays(packPairs(pairs)), a(refC), a(refR), {
        type: "listwise",
        beta,
        listSize: 3,
      });
      for (const x of Object.values(aux)) x.dispose();
      return loss;
    };
    const [loss, g] = valueAndGrad(f)(refTree(params));
    const got = (await loss.data())[0];
    assert.ok(Math.abs(got - want) < 1e-5, `${got} vs ${want}`);
    const [pl, def] = tree.flatten(params as never);
    const gl = tree.leaves(g as never) as np.Array[];
    const stepped = tree.unflatten(
      def,
      (pl as np.Array[]).map((p, i) => p.sub(gl[i].mul(0.05))),
    ) as unknown as LMParams;
    const after = (await f(stepped).data())[0];
    assert.ok(after < got, `${got} → ${after}`);
  });
});

describe("prefopt dpo --loss-type listwise", () => {
  it("K = 2 equals DPO (sigmoid) through the whole pipeline, step by step and held out", async () => {
    const data = join(dir, "pairs.jsonl");
    const words = ["great", "fine", "dull", "awful", "fun", "slow", "bright", "grim"];
    const rows = words.map((w, i) =>
      JSON.stringify({
        prompt: `Review ${i}: the film`,
        chosen: ` was ${w}.`,
        rejected: ` was ${words[(i + 3) % 8]} and long.`,
      }),
    );
    writeFileSync(data, `${rows.join("\n")}\n`);
    const run = (lossType: "sigmoid" | "listwise") =>
      runDpo({
        data,
        out: join(dir, lossType),
        lossType,
        steps: 3,
        batchSize: 3,
        lr: 1e-3,
        warmupSteps: 0,
        logEvery: 1,
        evalFraction: 0.25,
        quiet: true,
        log: () => {},
      });
    const dpo = await run("sigmoid");
    const lw = await run("listwise");
    assert.deepEqual(lw.rankings, { train: 6, eval: 2, size: 2 });
    const steps = (out: string) =>
      readMetrics(join(out, "metrics.jsonl")).filter((m) => m.loss !== undefined);
    const md = steps(dpo.out);
    const ml = steps(lw.out);
    assert.equal(md.length, 3);
    assert.equal(ml.length, md.length);
    const names = ["loss", "rewards/chosen", "rewards/rejected", "rewards/margins"];
    for (let i = 0; i < md.length; i++) {
      for (const k of names) {
        const [x, y] = [md[i][k] as number, ml[i][k] as number];
        assert.ok(
          Math.abs(x - y) < 1e-4 * Math.max(1, Math.abs(x)),
          `step ${i} ${k}: ${x} vs ${y}`,
        );
      }
    }
    for (const k of ["eval_loss", "eval_rewards/margins", "eval_rewards/accuracies"]) {
      const [x, y] = [dpo.eval[k], lw.eval[k]];
      assert.ok(
        Number.isFinite(x) && Math.abs(x - y) < 1e-4 * Math.max(1, Math.abs(x)),
        `${k}: ${x} vs ${y}`,
      );
    }
  });

  it("on the embedded world's rankings starts at log K! and lowers the loss", async () => {
    const out = join(dir, "embedded");
    const r = await runDpo({
      out,
      lossType: "listwise",
      numPrompts: 8,
      samplesPerPrompt: 3,
      maxNewTokens: 6,
      evalFraction: 0,
      steps: 6,
      batchSize: 4,
      lr: 2e-3,
      warmupSteps: 0,
      logEvery: 1,
      quiet: true,
      log: () => {},
    });
    assert.equal(r.rankings?.size, 3);
    assert.ok((r.rankings?.train ?? 0) >= 4);
    const m = readMetrics(join(out, "metrics.jsonl")).filter((x) => x.loss !== undefined);
    const first = m[0].loss as number;
    // at the reference every implicit reward is 0: Σ_k log(K − k) = log 3! = log 6
    assert.ok(Math.abs(first - Math.log(6)) < 1e-3, `first loss ${first}`);
    const last = m[m.length - 1].loss as number;
    assert.ok(last < first - 0.05, `${first} → ${last}`);
    const data = parseListwiseJsonl(
      readFileSync(join(out, "rankings.jsonl"), "utf8"),
      "rankings.jsonl",
    );
    assert.ok(data.every((x) => x.rejected.length === 2));
  });

  it("a bad ranking file and misplaced family options are one-line errors", async () => {
    const bad = join(dir, "bad.jsonl");
    writeFileSync(
      bad,
      `${JSON.stringify({ prompt: "p", chosen: " a", rejected: [" b"] })}\n${JSON.stringify({ prompt: "p", chosen: " a", rejected: [] })}\n`,
    );
    await assert.rejects(
      runDpo({
        data: bad,
        out: join(dir, "bad"),
        lossType: "listwise",
        quiet: true,
        log: () => {},
      }),
      (e: Error) => e.message.startsWith(`${bad}:2: field "rejected": empty list`),
    );
    await assert.rejects(
      runDpo({ out: join(dir, "x"), simpoGamma: 0.3, quiet: true }),
      /--simpo-gamma: only --loss-type simpo uses it/,
    );
    await assert.rejects(
      runDpo({ out: join(dir, "x"), lossType: "kto", desirableWeight: 0, quiet: true }),
      /--desirable-weight: must be > 0, got 0/,
    );
  });
});
