// Truncation and collation of preference pairs, element by element (issue 20): which tokens
// a loss sees is decided here, and an off-by-one is a silent bias.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  collatePairs,
  collateSequences,
  tokenizePairs,
  truncatePair,
} from "../src/data/preference-collate.js";
import { UserError } from "../src/engine/errors.js";

describe("truncatePair", () => {
  test("no options: copies, nothing added or cut", () => {
    const prompt = [1, 2];
    const c = [3, 4];
    const t = truncatePair(prompt, [c], {});
    assert.deepEqual(t, { prompt: [1, 2], completions: [[3, 4]] });
    t.prompt.push(9);
    t.completions[0].push(9);
    assert.deepEqual(prompt, [1, 2]);
    assert.deepEqual(c, [3, 4]);
  });

  test("BOS stands in for an empty prompt only", () => {
    assert.deepEqual(truncatePair([], [[5]], { bosTokenId: 7 }).prompt, [7]);
    assert.deepEqual(truncatePair([], [[5]], {}).prompt, []);
    assert.deepEqual(truncatePair([4], [[5]], { bosTokenId: 7 }).prompt, [4]);
  });

  test("prompt limit keeps the end; at the limit nothing is cut", () => {
    assert.deepEqual(truncatePair([1, 2, 3], [[9]], { maxPromptLength: 3 }).prompt, [1, 2, 3]);
    assert.deepEqual(truncatePair([1, 2, 3], [[9]], { maxPromptLength: 2 }).prompt, [2, 3]);
    assert.deepEqual(truncatePair([1, 2], [[9]], { maxPromptLength: 3 }).prompt, [1, 2]);
  });

  test("EOS is appended before the completion limit; max_length cuts completions to what is left", () => {
    const t = truncatePair([1, 2], [[3, 4, 5], [6]], { eosTokenId: 0, maxCompletionLength: 3 });
    assert.deepEqual(t.completions, [
      [3, 4, 5],
      [6, 0],
    ]);
    const m = truncatePair([1, 2], [[3, 4, 5], [6]], { maxLength: 4 });
    assert.deepEqual(m.completions, [[3, 4], [6]]);
    const full = truncatePair([1, 2, 3, 4, 5], [[6]], { maxLength: 4 });
    assert.deepEqual(full.completions, [[]]);
  });
});

describe("tokenizePairs", () => {
  const tok = {
    encode: (s: string, o?: { addSpecialTokens?: boolean }) => [
      ...(o?.addSpecialTokens === false ? [] : [1]),
      ...[...s].map((ch) => ch.charCodeAt(0)),
    ],
    decode: (ids: number[]) => String.fromCharCode(...ids),
  };

  test("a margin is carried only when the example has one", () => {
    const [a, b] = tokenizePairs(
      [
        { prompt: "p", chosen: "a", rejected: "b" },
        { prompt: "p", chosen: "a", rejected: "b", margin: 0 },
      ],
      tok,
    );
    assert.equal("margin" in a, false);
    assert.equal(b.margin, 0);
    assert.deepEqual(a, { prompt: [1, 112], chosen: [97], rejected: [98] });
  });

  test("either completion left empty by truncation is an error naming the row", () => {
    const ex = [
      { prompt: "p", chosen: "a", rejected: "b" },
      { prompt: "pp", chosen: "abc", rejected: "d" },
    ];
    // row 2: prompt [1, p, p] leaves one token of max_length 4: chosen "a", rejected "d"
    assert.equal(tokenizePairs(ex, tok, { maxLength: 4 }).length, 2);
    for (const e of [
      { prompt: "ppp", chosen: "a", rejected: "bc" },
      { prompt: "p", chosen: "", rejected: "c" },
      { prompt: "p", chosen: "ab", rejected: "" },
    ]) {
      assert.throws(
        () => tokenizePairs([ex[0], e], tok, { maxLength: 4 }, "x.jsonl"),
        (err: unknown) =>
          err instanceof UserError && /x\.jsonl: row 2/.test((err as Error).message),
      );
    }
  });
});

describe("collateSequences", () => {
  test("defaults: pad 0, rows padded to a multiple of 8, at least 2 long", () => {
    const b = collateSequences([{ prompt: [5], completion: [] }]);
    assert.equal(b.B, 1);
    assert.equal(b.T, 8);
    assert.deepEqual(Array.from(b.ids), [5, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(Array.from(b.mask), [0, 0, 0, 0, 0, 0, 0, 0]);
    const tiny = collateSequences([{ prompt: [5], completion: [] }], { padMultiple: 1 });
    assert.equal(tiny.T, 2);
    const min = collateSequences([{ prompt: [5], completion: [6] }], {
      padMultiple: 1,
      minLength: 5,
    });
    assert.equal(min.T, 5);
  });

  test("T is the longest row rounded up; exactly a multiple stays", () => {
    const rows = (n: number) => [{ prompt: [1], completion: Array(n - 1).fill(2) }];
    assert.equal(collateSequences(rows(8)).T, 8);
    assert.equal(collateSequences(rows(9)).T, 16);
    assert.equal(collateSequences(rows(4), { padMultiple: 4 }).T, 4);
    assert.equal(collateSequences(rows(5), { padMultiple: 4 }).T, 8);
  });

  test("the mask is 1 on completion tokens except position 0, which has no context", () => {
    const b = collateSequences(
      [
        { prompt: [], completion: [3, 4, 5] },
        { prompt: [7, 8], completion: [9] },
      ],
      { padTokenId: 1, padMultiple: 4 },
    );
    assert.deepEqual(Array.from(b.ids), [3, 4, 5, 1, 7, 8, 9, 1]);
    assert.deepEqual(Array.from(b.mask), [0, 1, 1, 0, 0, 0, 1, 0]);
    assert.deepEqual(b.lengths, [3, 3]);
  });

  test("batchSize adds empty rows of length 0; fewer than the rows given changes nothing", () => {
    const b = collateSequences([{ prompt: [1], completion: [2] }], {
      batchSize: 3,
      padMultiple: 2,
    });
    assert.equal(b.B, 3);
    assert.deepEqual(b.lengths, [2, 0, 0]);
    assert.deepEqual(Array.from(b.ids), [1, 2, 0, 0, 0, 0]);
    const c = collateSequences(
      [
        { prompt: [1], completion: [2] },
        { prompt: [1], completion: [3] },
      ],
      { batchSize: 1 },
    );
    assert.equal(c.B, 2);
  });
});

describe("collatePairs", () => {
  test("chosen rows first, rejected rows after, padded pairs empty on both sides", () => {
    const b = collatePairs(
      [
        { prompt: [1], chosen: [2, 3], rejected: [4] },
        { prompt: [5, 6], chosen: [7], rejected: [8, 9] },
      ],
      { batchSize: 3, padMultiple: 4, padTokenId: 0 },
    );
    assert.equal(b.pairs, 2);
    assert.equal(b.B, 6);
    assert.equal(b.T, 4);
    const row = (r: number) => Array.from(b.ids.slice(r * 4, r * 4 + 4));
    assert.deepEqual(row(0), [1, 2, 3, 0]);
    assert.deepEqual(row(1), [5, 6, 7, 0]);
    assert.deepEqual(row(2), [0, 0, 0, 0]);
    assert.deepEqual(row(3), [1, 4, 0, 0]);
    assert.deepEqual(row(4), [5, 6, 8, 9]);
    assert.deepEqual(row(5), [0, 0, 0, 0]);
    assert.deepEqual(b.lengths, [3, 3, 0, 2, 4, 0]);
    assert.deepEqual(Array.from(b.mask.slice(12, 20)), [0, 1, 0, 0, 0, 0, 1, 1]);
  });
});
