import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { collatePairs } from "../src/data/preference-collate.js";
import { initEngine } from "../src/engine/init.js";
import { grad, jit, numpy as np, tree } from "../src/engine/jax.js";
import { refTree } from "../src/engine/pytree.js";
import { HostRng } from "../src/engine/random.js";
import type { LMConfig } from "../src/models/lm/config.js";
import { paramsFromHF } from "../src/models/lm/hf-tensors.js";
import { sequenceLogProbs } from "../src/models/lm/logprobs.js";
import { completionLogProbs, packedArrays, pairLogProbs } from "../src/models/lm/pair-logprobs.js";
import { packPairs } from "../src/models/lm/pair-pack.js";
import type { LMParams } from "../src/models/lm/params.js";
import { randomHF, tinyGPT2, tinyLlama } from "./lm-reference.js";

before(async () => {
  await initEngine();
});

function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) {
  assert.equal(a.length, b.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst < tol, `${what}: max |diff| ${worst} ≥ ${tol}`);
}

/** Pairs with prompts and completions of different lengths (prompt ≥ 1 token). */
function randomPairs(V: number, n: number, seed: number) {
  const rng = new HostRng(seed);
  const seq = (lo: number, hi: number) =>
    Array.from({ length: lo + rng.int(hi - lo + 1) }, () => rng.int(V));
  return Array.from({ length: n }, () => ({
    prompt: seq(1, 5),
    chosen: seq(1, 4),
    rejected: seq(1, 6),
  }));
}

const configs: [string, LMConfig][] = [
  ["gpt2", tinyGPT2],
  ["llama (GQA, RoPE, untied head)", tinyLlama],
];

describe("prefix-shared pair log-probs = the concatenated forward", () => {
  for (const [name, c] of configs) {
    it(`${name}: values and gradients`, async () => {
      const params = paramsFromHF(c, randomHF(c, 3), "test");
      const pairs = randomPairs(c.vocabSize, 3, 11);
      // the plain route: rows prompt+chosen, then prompt+rejected, right-padded
      const plain = collatePairs(pairs, { batchSize: 4, padMultiple: 1 });
      const ids = np.array(plain.ids, { dtype: np.int32 }).reshape([plain.B, plain.T]);
      const mask = np.array(plain.mask).reshape([plain.B, plain.T]);
      const packed = packPairs(pairs, { batchSize: 4, padMultiple: 1 });
      assert.ok(packed.S * packed.n < plain.T * plain.B, "packing holds fewer positions");
      const a = packedArrays(packed);

      const ref = (await sequenceLogProbs(
        c,
        refTree(params),
        ids.ref,
        mask.ref,
      ).data()) as Float32Array;
      const shared = pairLogProbs(c, refTree(params), tree.ref(a) as typeof a);
      const ch = (await shared.chosen.data()) as Float32Array;
      const rj = (await shared.rejected.data()) as Float32Array;
      assertClose(ch, ref.slice(0, 4), 1e-4, "chosen");
      assertClose(rj, ref.slice(4, 8), 1e-4, "rejected");
      assert.deepEqual([...ch.slice(3)], [0], "an empty row scores 0");

      // the same gradient of Σ (chosen − 0.5·rejected), under jit
      const w = np.array([1, 1, 1, 1, -0.5, -0.5, -0.5, -0.5]);
      const gPlain = jit(
        grad((p: LMParams, x: np.Array, m: np.Array, ww: np.Array) =>
          sequenceLogProbs(c, p, x, m).mul(ww).sum(),
        ),
      )(refTree(params), ids, mask, w);
      const gShared = jit(
        grad((p: LMParams, b: typeof a) => {
          const r = pairLogProbs(c, p, b);
          return r.chosen.sum().sub(r.rejected.mul(0.5).sum());
        }),
      )(refTree(params), a);
      const lp = tree.leaves(gPlain as tree.JsTree<np.Array>);
      const ls = tree.leaves(gShared as tree.JsTree<np.Array>);
      assert.equal(lp.length, ls.length);
      for (let i = 0; i < lp.length; i++) {
        assertClose(
          (await ls[i].data()) as Float32Array,
          (await lp[i].data()) as Float32Array,
          2e-4,
          `gradient leaf ${i}`,
        );
      }
    });
  }

  it("a completion token sees the prompt and its own completion only", () => {
    const p = packPairs([{ prompt: [1, 2], chosen: [3], rejected: [4, 5] }], { padMultiple: 1 });
    assert.equal(p.S, 5);
    assert.deepEqual([...p.positions], [0, 1, 2, 2, 3]);
    const sees = (q: number) => [...p.bias.slice(q * 5, q * 5 + 5)].map((x) => (x === 0 ? 1 : 0));
    assert.deepEqual(sees(2), [1, 1, 1, 0, 0]); // chosen token
    assert.deepEqual(sees(3), [1, 1, 0, 1, 0]); // first rejected token skips the chosen one
    assert.deepEqual(sees(4), [1, 1, 0, 1, 1]);
    // scored: chosen 3 from position 1, rejected 4 from position 1, 5 from position 3
    const src = (j: number) => [...p.select.slice(j * 5, j * 5 + 5)].indexOf(1);
    assert.deepEqual([src(0), src(1), src(2)], [1, 1, 3]);
    assert.deepEqual([...p.targets], [3, 4, 5]);
  });
});

describe("completionLogProbs (the batched helper) = per-row sequence log-probs", () => {
  it("rows sharing a prompt and rows alone, over several batches, summed and averaged", async () => {
    const c = tinyGPT2;
    const params = paramsFromHF(c, randomHF(c, 5), "test");
    const rng = new HostRng(21);
    const seq = (lo: number, hi: number) =>
      Array.from({ length: lo + rng.int(hi - lo + 1) }, () => rng.int(c.vocabSize));
    // two prompts with three samples each (one packed pair plus a lone row), then single rows
    const rows: { prompt: number[]; completion: number[] }[] = [];
    for (let g = 0; g < 2; g++) {
      const p = seq(1, 4);
      for (let j = 0; j < 3; j++) rows.push({ prompt: p, completion: seq(1, 5) });
    }
    for (let j = 0; j < 3; j++) rows.push({ prompt: seq(1, 4), completion: seq(1, 5) });
    for (const average of [false, true]) {
      const got = await completionLogProbs(c, params, rows, { batchSize: 2, average });
      const want: number[] = [];
      for (const r of rows) {
        const ids = np.array([...r.prompt, ...r.completion], { dtype: np.int32 }).reshape([1, -1]);
        const m = [...r.prompt.map(() => 0), ...r.completion.map(() => 1)];
        const lp = await sequenceLogProbs(c, refTree(params), ids, np.array([m]), {
          average,
        }).data();
        want.push(lp[0]);
      }
      assertClose(got, want, 1e-4, average ? "averaged" : "summed");
    }
  });
});
