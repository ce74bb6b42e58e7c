// Masked NLL, length averaging with an empty mask, and collation details, against the float64
// reference transformer of test/lm-reference.ts (issue 20).
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { initEngine } from "../src/engine/init.js";
import { numpy as np } from "../src/engine/jax.js";
import { paramsFromHF } from "../src/models/lm/hf-tensors.js";
import {
  collatePromptCompletion,
  maskedNLL,
  nextTokenLogProbs,
  sequenceLogProbs,
} from "../src/models/lm/logprobs.js";
import { randomHF, referenceLogits, tinyGPT2 } from "./lm-reference.js";

before(async () => {
  await initEngine();
});

describe("log-probs against the float64 reference", () => {
  const c = tinyGPT2;
  const t = randomHF(c, 21);
  const seqs = [
    [1, 5, 9, 2],
    [3, 3, 7, 0],
  ];
  /** log p(ids[t+1] | ids[≤t]) from the reference. */
  const refLogps = (seq: number[]) => {
    const L = referenceLogits(c, t, seq);
    return seq.slice(1).map((tok, i) => {
      const row = L[i];
      const m = Math.max(...row);
      return row[tok] - (m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0)));
    });
  };
  const ids = () => np.array(new Int32Array(seqs.flat()), { shape: [2, 4], dtype: np.int32 });

  it("next-token log-probs: [B, T−1], one per following token", async () => {
    const lp = nextTokenLogProbs(c, paramsFromHF(c, t, "t"), ids());
    assert.deepEqual(lp.shape, [2, 3]);
    const got = Array.from((await lp.data()) as Float32Array);
    const want = seqs.flatMap(refLogps);
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-3, `${i}`);
  });

  it("masked NLL = −Σ mask·log p / Σ mask; an all-zero mask gives 0, not NaN", async () => {
    // position 0 of the mask is never a target; targets are positions 1..T−1
    const mask = [0, 1, 0, 1, 0, 0, 1, 1];
    const want = [refLogps(seqs[0]), refLogps(seqs[1])];
    const sum = want[0][0] + want[0][2] + want[1][1] + want[1][2];
    const nll = (await maskedNLL(
      c,
      paramsFromHF(c, t, "t"),
      ids(),
      np.array(mask, { shape: [2, 4] }),
    ).data()) as Float32Array;
    assert.ok(Math.abs(nll[0] + sum / 4) < 1e-3, `${nll[0]} vs ${-sum / 4}`);
    const zero = (await maskedNLL(c, paramsFromHF(c, t, "t"), ids(), np.zeros([2, 4])).data())[0];
    assert.equal(zero, 0);
    const avg = (await sequenceLogProbs(
      c,
      paramsFromHF(c, t, "t"),
      ids(),
      np.array([0, 0, 0, 0, 0, 1, 1, 1], { shape: [2, 4] }),
      { average: true },
    ).data()) as Float32Array;
    assert.equal(avg[0], 0);
    const w1 = refLogps(seqs[1]);
    assert.ok(Math.abs(avg[1] - (w1[0] + w1[1] + w1[2]) / 3) < 1e-3);
  });

  it("collation: right padding, attention mask on real tokens, padTo, prompt kept to half of max", () => {
    const b = collatePromptCompletion(
      [
        { prompt: [1, 2], completion: [3] },
        { prompt: [4], completion: [5, 6, 7] },
      ],
      9,
      { padTo: 6 },
    );
    assert.equal(b.T, 6);
    assert.deepEqual(Array.from(b.ids), [1, 2, 3, 9, 9, 9, 4, 5, 6, 7, 9, 9]);
    assert.deepEqual(Array.from(b.attentionMask), [1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0]);
    assert.deepEqual(Array.from(b.completionMask), [0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 0, 0]);
    // a long completion: the prompt keeps ⌈max/2⌉ tokens and the completion is cut
    const cut = collatePromptCompletion(
      [{ prompt: [1, 2, 3, 4], completion: [5, 6, 7, 8, 9] }],
      0,
      {
        maxLength: 5,
      },
    );
    assert.deepEqual(Array.from(cut.ids), [2, 3, 4, 5, 6]);
    // short rows: T is at least 2
    assert.equal(collatePromptCompletion([{ prompt: [1], completion: [] }], 0).T, 2);
  });
});
