import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { initEngine } from "../src/engine/init.js";
import { jit, numpy as np, valueAndGrad } from "../src/engine/jax.js";
import { HostRng } from "../src/engine/random.js";
import type { LMConfig } from "../src/models/lm/config.js";
import { generateBatch, generateIds } from "../src/models/lm/generate.js";
import { paramsFromHF } from "../src/models/lm/hf-tensors.js";
import { collatePromptCompletion, sequenceLogProbs } from "../src/models/lm/logprobs.js";
import type { LMParams } from "../src/models/lm/params.js";
import { sampleToken } from "../src/models/lm/sampling.js";
import { randomHF, referenceLogits, tinyGPT2, tinyLlama } from "./lm-reference.js";

before(async () => {
  await initEngine();
});

describe("generation", () => {
  for (const [name, c] of [
    ["gpt2", tinyGPT2],
    ["llama", tinyLlama],
  ] as [string, LMConfig][]) {
    it(`${name}: cached generation equals uncached, token for token (greedy and sampled)`, async () => {
      const params = paramsFromHF(c, randomHF(c, 21), "t");
      for (const o of [{ temperature: 0 }, { temperature: 0.8, topK: 5, topP: 0.9, seed: 9 }]) {
        const opts = { ...o, n: 3, maxNewTokens: 6 };
        const cached = await generateIds(c, params, [1, 2, 3], opts);
        const plain = await generateIds(c, params, [1, 2, 3], { ...opts, useCache: false });
        assert.deepEqual(cached, plain, JSON.stringify(o));
        assert.equal(cached[0].length, 6);
      }
      // same seed, same tokens; rows differ when sampling
      const a = await generateIds(c, params, [4], { n: 4, seed: 5, maxNewTokens: 8 });
      assert.deepEqual(a, await generateIds(c, params, [4], { n: 4, seed: 5, maxNewTokens: 8 }));
      assert.ok(new Set(a.map((r) => r.join())).size > 1);
    });
  }

  it("prompts of different lengths in one batch: cached equals uncached", async () => {
    for (const c of [tinyGPT2, tinyLlama]) {
      const params = paramsFromHF(c, randomHF(c, 17), "t");
      const prompts = [[1], [2, 3, 4, 5, 6, 7, 8, 9, 1, 2], [5, 4, 3]];
      const o = { n: 2, seed: 4, maxNewTokens: 5, temperature: 0.9 };
      const cached = await generateBatch(c, params, prompts, o);
      assert.deepEqual(cached, await generateBatch(c, params, prompts, { ...o, useCache: false }));
      assert.deepEqual(
        cached.map((r) => r.length),
        [2, 2, 2],
      );
    }
  });

  it("greedy generation follows the reference argmax", async () => {
    const c = tinyLlama;
    const t = randomHF(c, 8);
    const params = paramsFromHF(c, t, "t");
    const [out] = await generateIds(c, params, [2, 5], { temperature: 0, maxNewTokens: 5 });
    const seq = [2, 5];
    for (let i = 0; i < 5; i++) {
      const rows = referenceLogits(c, t, seq);
      const last = rows[rows.length - 1];
      seq.push(last.indexOf(Math.max(...last)));
    }
    assert.deepEqual(out, seq.slice(2));
  });

  it("stops a row at EOS and never passes the context length", async () => {
    const c = tinyGPT2;
    const params = paramsFromHF(c, randomHF(c, 2), "t");
    const out = await generateIds(c, params, [1, 2], {
      n: 6,
      seed: 1,
      maxNewTokens: 100,
      eosTokenId: 3,
    });
    for (const r of out) {
      assert.ok(r.length <= c.maxPositions - 2);
      const k = r.indexOf(3);
      if (k >= 0) assert.equal(k, r.length - 1);
    }
  });

  it("top-k 1 is greedy; top-p keeps the nucleus only", () => {
    const rng = new HostRng(0);
    const logits = [0, 3, 1, 2.9];
    for (let i = 0; i < 50; i++) assert.equal(sampleToken(logits, rng, { topK: 1 }), 1);
    // p(1) ≈ 0.47, p(3) ≈ 0.43: top-p 0.5 keeps {1, 3}
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(sampleToken(logits, rng, { topP: 0.5 }));
    assert.deepEqual([...seen].sort(), [1, 3]);
  });
});

describe("sequence log-probs", () => {
  const c = tinyLlama;
  const t = randomHF(c, 13);
  const rows = [
    { prompt: [1, 2, 3], completion: [4, 5] },
    { prompt: [6], completion: [7, 8, 9, 10] },
    { prompt: [2, 2], completion: [11] },
  ];
  /** Σ log p over completion tokens from the Float64 reference. */
  const refLogp = (r: { prompt: number[]; completion: number[] }) => {
    const seq = [...r.prompt, ...r.completion];
    const L = referenceLogits(c, t, seq);
    let s = 0;
    for (let i = r.prompt.length; i < seq.length; i++) {
      const row = L[i - 1];
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
      s += row[seq[i]] - lse;
    }
    return s;
  };

  it("summed and length-averaged, prompt and padding masked, under jit(valueAndGrad)", async () => {
    const b = collatePromptCompletion(rows, 0);
    const ids = () => np.array(b.ids, { shape: [b.B, b.T], dtype: np.int32 });
    const mask = () => np.array(b.completionMask, { shape: [b.B, b.T] });
    const want = rows.map(refLogp);
    const sum = (await sequenceLogProbs(
      c,
      paramsFromHF(c, t, "t"),
      ids(),
      mask(),
    ).data()) as Float32Array;
    for (const [i, w] of want.entries())
      assert.ok(Math.abs(sum[i] - w) < 1e-3, `sum ${i}: ${sum[i]} vs ${w}`);
    const avg = (await sequenceLogProbs(c, paramsFromHF(c, t, "t"), ids(), mask(), {
      average: true,
    }).data()) as Float32Array;
    for (const [i, w] of want.entries()) {
      assert.ok(Math.abs(avg[i] - w / rows[i].completion.length) < 1e-3, `avg ${i}`);
    }
    // differentiable and jit-able: the DPO engineer's entry point
    const f = jit(
      valueAndGrad((p: LMParams, x: np.Array, m: np.Array) => sequenceLogProbs(c, p, x, m).sum()),
    );
    const [v, g] = f(paramsFromHF(c, t, "t"), ids(), mask());
    assert.ok(Math.abs((await v.data())[0] - want.reduce((a, x) => a + x, 0)) < 2e-3);
    const gq = (await (
      g as { model: { layers: { self_attn: { q_proj: { weight: np.Array } } }[] } }
    ).model.layers[0].self_attn.q_proj.weight.ref.data()) as Float32Array;
    assert.ok(gq.some((x) => x !== 0) && gq.every(Number.isFinite));
  });

  it("collation keeps the prompt end and the completion start", () => {
    const b = collatePromptCompletion([{ prompt: [1, 2, 3, 4], completion: [5, 6, 7] }], 0, {
      maxLength: 5,
    });
    assert.deepEqual(Array.from(b.ids), [2, 3, 4, 5, 6]);
    assert.deepEqual(Array.from(b.completionMask), [0, 0, 0, 1, 1]);
    const b2 = collatePromptCompletion([{ prompt: [1, 2, 3, 4, 5, 6], completion: [7] }], 0, {
      maxLength: 3,
    });
    assert.deepEqual(Array.from(b2.ids), [5, 6, 7]);
  });
});
