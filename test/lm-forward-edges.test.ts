// The LM forward's edges: lmLogits passes its key mask through, a pass frees what it does
// not return, cached GPT-2 decoding with a short cache, and GPT-2's
// learned position table bounds the context (LLaMA's RoPE does not).
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { UserError } from "../src/engine/errors.js";
import { initEngine } from "../src/engine/init.js";
import { numpy as np } from "../src/engine/jax.js";
import { heapStats } from "../src/engine/memory-stats.js";
import { refTree } from "../src/engine/pytree.js";
import type { LMConfig } from "../src/models/lm/config.js";
import { forward, lmLogits } from "../src/models/lm/forward.js";
import { generateIds } from "../src/models/lm/generate.js";
import { paramsFromHF } from "../src/models/lm/hf-tensors.js";
import { randomHF, referenceLogits, tinyGPT2, tinyLlama } from "./lm-reference.js";

before(async () => {
  await initEngine();
});

const paramsOf = (c: LMConfig) => paramsFromHF(c, randomHF(c, 11), "test");
const idsOf = (c: LMConfig, T: number) =>
  Array.from({ length: T }, (_, t) => (3 * t + 1) % c.vocabSize);

describe("LM forward edges", () => {
  it("lmLogits is forward's logits under the same key mask, and the mask matters", async () => {
    const c = tinyLlama;
    const params = paramsOf(c);
    const ids = [idsOf(c, 6), idsOf(c, 6).reverse()];
    const mask = [
      [1, 1, 0, 1, 1, 1],
      [1, 1, 1, 1, 1, 1],
    ];
    const run = (f: (m: np.Array) => np.Array) =>
      f(np.array(mask, { dtype: np.float32 })).data() as Promise<Float32Array>;
    const viaLm = await run((m) =>
      lmLogits(c, refTree(params), np.array(ids, { dtype: np.int32 }), m),
    );
    const viaForward = await run(
      (m) => forward(c, refTree(params), np.array(ids, { dtype: np.int32 }), { keyMask: m }).logits,
    );
    const unmasked = (await forward(
      c,
      refTree(params),
      np.array(ids, { dtype: np.int32 }),
    ).logits.data()) as Float32Array;
    assert.deepEqual(viaLm, viaForward);
    const V = c.vocabSize;
    const last = (a: Float32Array) => Array.from(a.subarray(5 * V, 6 * V)); // row 0, position 5
    assert.ok(
      last(viaLm).some((v, i) => Math.abs(v - last(unmasked)[i]) > 1e-3),
      "hiding position 2 changes row 0's last logits",
    );
  });

  it("a forward pass frees everything it does not return (GPT-2 and LLaMA)", async () => {
    for (const c of [tinyGPT2, tinyLlama]) {
      const params = paramsOf(c);
      const once = async () => {
        const { logits } = forward(
          c,
          refTree(params),
          np.array([idsOf(c, 7)], { dtype: np.int32 }),
        );
        await logits.data(); // reading consumes it
      };
      // LLaMA with explicit positions builds its RoPE tables on the engine
      const positioned = async () => {
        const ids = np.array([idsOf(c, 4)], { dtype: np.int32 });
        const positions = np.array([[0, 1, 1, 2]], { dtype: np.int32 });
        await forward(c, refTree(params), ids, { positions }).logits.data();
      };
      for (const run of [once, positioned]) {
        await run();
        const before = heapStats()?.liveBytes;
        await run();
        assert.ok(before !== undefined, "the CPU backend reports its heap");
        assert.equal(heapStats()?.liveBytes, before, `${c.modelType}: live bytes after a forward`);
      }
    }
  });

  it("GPT-2 with a cache shorter than its position table: cached generation equals uncached", async () => {
    const c = { ...tinyGPT2, maxPositions: 40 }; // generation's cache holds 16 positions
    const params = paramsFromHF(c, randomHF(c, 21), "t");
    const opts = { n: 2, maxNewTokens: 6, temperature: 0.8, seed: 3 };
    const cached = await generateIds(c, params, [1, 2, 3], opts);
    assert.deepEqual(cached, await generateIds(c, params, [1, 2, 3], { ...opts, useCache: false }));
    assert.equal(cached[0].length, 6);
  });

  it("GPT-2 runs up to n_positions and refuses one more, naming the limit", async () => {
    const c = tinyGPT2;
    const params = paramsOf(c);
    const full = idsOf(c, c.maxPositions);
    const got = (await forward(
      c,
      refTree(params),
      np.array([full], { dtype: np.int32 }),
    ).logits.data()) as Float32Array;
    const want = referenceLogits(c, randomHF(c, 11), full).flat();
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    assert.ok(worst < 2e-4, `${c.maxPositions} positions: max |diff| ${worst}`);
    assert.throws(
      () =>
        forward(c, refTree(params), np.array([idsOf(c, c.maxPositions + 1)], { dtype: np.int32 })),
      (e: unknown) =>
        e instanceof UserError &&
        /17 positions exceed the model's context of 16 \(config\.json n_positions\)/.test(
          e.message,
        ),
    );
  });

  it("GPT-2 packed with explicit positions may be wider than n_positions: two copies of a sequence, each seeing only itself, give its logits twice", async () => {
    const c = tinyGPT2;
    const params = paramsOf(c);
    const k = 10; // 2k = 20 columns > n_positions 16, positions 0…9
    const seq = idsOf(c, k);
    const T = 2 * k;
    const bias = new Float32Array(T * T).fill(-1e9);
    for (let q = 0; q < T; q++)
      for (let s = 0; s <= q; s++) if (Math.floor(s / k) === Math.floor(q / k)) bias[q * T + s] = 0;
    const { logits } = forward(
      c,
      refTree(params),
      np.array([[...seq, ...seq]], { dtype: np.int32 }),
      {
        positions: np.array([[...seq.keys(), ...seq.keys()]], { dtype: np.int32 }),
        bias: np.array(bias, { shape: [1, 1, T, T], dtype: np.float32 }),
      },
    );
    const got = (await logits.data()) as Float32Array;
    const want = referenceLogits(c, randomHF(c, 11), seq).flat();
    const V = c.vocabSize;
    for (const half of [0, 1]) {
      let worst = 0;
      for (let i = 0; i < k * V; i++)
        worst = Math.max(worst, Math.abs(got[half * k * V + i] - want[i]));
      assert.ok(worst < 2e-4, `copy ${half}: max |diff| ${worst}`);
    }
  });

  it("LLaMA's rotary positions have no table: past max_position_embeddings it still runs", async () => {
    const c = tinyLlama;
    const ids = idsOf(c, c.maxPositions + 3);
    const t = randomHF(c, 11);
    const got = (await forward(
      c,
      paramsFromHF(c, t, "test"),
      np.array([ids], { dtype: np.int32 }),
    ).logits.data()) as Float32Array;
    const want = referenceLogits(c, t, ids).flat();
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
    assert.ok(worst < 2e-4, `max |diff| ${worst}`);
  });
});
