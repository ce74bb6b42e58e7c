import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { initEngine } from "../src/engine/init.js";
import { numpy as np } from "../src/engine/jax.js";
import { refTree } from "../src/engine/pytree.js";
import type { LMConfig } from "../src/models/lm/config.js";
import { forward, type KVCache } from "../src/models/lm/forward.js";
import { type F32Tensor, paramsFromHF } from "../src/models/lm/hf-tensors.js";
import { randomHF, referenceLogits, tinyGPT2, tinyLlama } from "./lm-reference.js";

before(async () => {
  await initEngine();
});

async function engineLogits(c: LMConfig, t: Record<string, F32Tensor>, ids: number[]) {
  const params = paramsFromHF(c, t, "test");
  const x = np.array([ids], { dtype: np.int32 });
  const { logits } = forward(c, params, x);
  return (await logits.data()) as Float32Array;
}

function assertClose(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, what: string) {
  assert.equal(a.length, b.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  assert.ok(worst < tol, `${what}: max |diff| ${worst} ≥ ${tol}`);
}

describe("LM forward matches a plain per-position Float64 loop", () => {
  for (const [name, c] of [
    ["gpt2", tinyGPT2],
    ["llama (GQA, RoPE, untied head)", tinyLlama],
    [
      "llama (tied, biases)",
      { ...tinyLlama, tieWordEmbeddings: true, attentionBias: true, mlpBias: true },
    ],
  ] as [string, LMConfig][]) {
    it(name, async () => {
      const t = randomHF(c, 7);
      const ids = [1, 5, 3, 3, 0, c.vocabSize - 1, 2];
      const got = await engineLogits(c, t, ids);
      const want = referenceLogits(c, t, ids).flat();
      assertClose(got, want, 2e-4, name);
    });
  }

  it("gpt2 keys without the transformer. prefix and with attn.bias buffers", async () => {
    const t = randomHF(tinyGPT2, 3);
    const bare: Record<string, F32Tensor> = {};
    for (const [k, v] of Object.entries(t)) bare[k.replace(/^transformer\./, "")] = v;
    bare["h.0.attn.bias"] = { shape: [1, 1, 16, 16], data: new Float32Array(256) };
    const ids = [4, 2, 9];
    assertClose(
      await engineLogits(tinyGPT2, bare, ids),
      referenceLogits(tinyGPT2, t, ids).flat(),
      2e-4,
      "bare",
    );
  });
});

describe("KV cache and padding", () => {
  for (const [name, c] of [
    ["gpt2", tinyGPT2],
    ["llama", tinyLlama],
  ] as [string, LMConfig][]) {
    it(`${name}: prefix + one token at a time with a cache equals the full pass`, async () => {
      const params = paramsFromHF(c, randomHF(c, 11), "test");
      const ids = [3, 1, 4, 1, 5, 9, 2];
      const full = (await forward(
        c,
        refTree(params),
        np.array([ids], { dtype: np.int32 }),
      ).logits.data()) as Float32Array;
      let { logits, cache } = forward(
        c,
        refTree(params),
        np.array([ids.slice(0, 3)], { dtype: np.int32 }),
        {
          returnCache: true,
        },
      );
      const parts: number[] = Array.from((await logits.data()) as Float32Array);
      for (let t = 3; t < ids.length; t++) {
        ({ logits, cache } = forward(
          c,
          refTree(params),
          np.array([[ids[t]]], { dtype: np.int32 }),
          {
            cache: cache as KVCache,
          },
        ));
        parts.push(...((await logits.data()) as Float32Array));
      }
      for (const kv of cache as KVCache) {
        kv.k.dispose();
        kv.v.dispose();
      }
      assertClose(parts, full, 1e-5, "cached");
    });

    it(`${name}: right padding does not change the real positions`, async () => {
      const params = paramsFromHF(c, randomHF(c, 5), "test");
      const a = [2, 7, 1, 8];
      const b = [2, 8, 1, 8, 2, 8];
      const ids = np.array([[...a, 0, 0], b], { dtype: np.int32 });
      const mask = np.array(
        [
          [1, 1, 1, 1, 0, 0],
          [1, 1, 1, 1, 1, 1],
        ],
        { dtype: np.float32 },
      );
      const got = (await forward(c, params, ids, { keyMask: mask }).logits.data()) as Float32Array;
      const V = c.vocabSize;
      const t = randomHF(c, 5);
      assertClose(got.slice(0, a.length * V), referenceLogits(c, t, a).flat(), 2e-4, "row 0");
      assertClose(got.slice(6 * V), referenceLogits(c, t, b).flat(), 2e-4, "row 1");
      assert.ok(got.every(Number.isFinite), "padded rows stay finite");
    });
  }
});
