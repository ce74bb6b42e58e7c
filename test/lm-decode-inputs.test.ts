// The decode step's host-built inputs: where each row's tokens land in the
// cache, what they may see, whose logits come back, and rows that do not fit.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { initEngine } from "../src/engine/init.js";
import { stepInputs } from "../src/models/lm/decode.js";
import { tinyGPT2, tinyLlama } from "./lm-reference.js";

before(async () => {
  await initEngine();
});

describe("decode step inputs", () => {
  it("place, bias, select and ids of a right-padded batch, up to the cache's last position", async () => {
    const S = 6;
    const L = 3;
    // row 0: 3 tokens at 0..2; row 1: 1 token (and 2 padding slots) at 3..5, ending on the cache's end
    const inp = stepInputs(tinyGPT2, [[4, 5, 6], [7]], [0, 3], L, S);
    assert.deepEqual(Array.from(await inp.ids.data()), [4, 5, 6, 7, 0, 0]);
    const place = (await inp.place.data()) as Float32Array; // [B, S, L]
    const placed = (b: number) =>
      Array.from({ length: L }, (_, l) =>
        Array.from({ length: S }, (_, s) => place[(b * S + s) * L + l]).indexOf(1),
      );
    assert.deepEqual(placed(0), [0, 1, 2]);
    assert.deepEqual(placed(1), [3, 4, 5]);
    assert.equal(
      place.reduce((a, v) => a + v, 0),
      2 * L,
      "one position per slot, nothing else",
    );
    const bias = (await inp.bias.data()) as Float32Array; // [B, 1, L, S]
    const visible = (b: number, l: number) =>
      Array.from({ length: S }, (_, s) => (bias[(b * L + l) * S + s] === 0 ? 1 : 0));
    assert.deepEqual(visible(0, 1), [1, 1, 0, 0, 0, 0]);
    assert.deepEqual(visible(1, 0), [1, 1, 1, 1, 0, 0]);
    assert.deepEqual(Array.from(await inp.select.data()), [0, 0, 1, 1, 0, 0]);
    assert.equal(inp.cos, undefined, "GPT-2 has no RoPE tables");
  });

  it("LLaMA's RoPE tables are those of each slot's own position", async () => {
    const inp = stepInputs(tinyLlama, [[1], [2]], [0, 4], 1, 8);
    const H = tinyLlama.headDim;
    const cos = (await (inp.cos as NonNullable<typeof inp.cos>).data()) as Float32Array;
    (inp.sin as NonNullable<typeof inp.sin>).dispose();
    for (const v of cos.subarray(0, H)) assert.equal(v, 1, "position 0: angle 0");
    const inv0 = 1; // θ^0 for the first frequency
    assert.ok(Math.abs(cos[H] - Math.cos(4 * inv0)) < 1e-6, "position 4, first frequency");
    for (const a of [inp.ids, inp.place, inp.bias, inp.select]) a.dispose();
  });

  it("refuses a row that does not fit: empty, wider than L, or past the cache's end", () => {
    const fits = /does not fit a cache of 6 positions/;
    assert.throws(() => stepInputs(tinyGPT2, [[]], [0], 2, 6), fits);
    assert.throws(() => stepInputs(tinyGPT2, [[1, 2, 3]], [0], 2, 6), fits);
    assert.throws(() => stepInputs(tinyGPT2, [[1]], [5], 2, 6), fits);
    assert.throws(() => stepInputs(tinyGPT2, [[1]], [-1], 2, 6), fits);
    for (const a of Object.values(stepInputs(tinyGPT2, [[1, 2]], [4], 2, 6))) a?.dispose();
  });
});
