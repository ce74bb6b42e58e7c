/**
 * The engine's scatter-add (the gradient of a gather: an embedding's gradient) against a host
 * loop. The engine patch writes the trailing axes no index selects as one contiguous run per
 * destination; these cases cover a run of whole rows (axis 0), a run after an indexed middle axis,
 * a run of one element (the last axis indexed), repeated and out-of-order indices.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { initEngine } from "../../src/engine/init.js";
import { grad, numpy as np } from "../../src/engine/jax.js";
import { HostRng } from "../../src/engine/random.js";

before(async () => {
  await initEngine();
});

const rng = new HostRng(11);
const randn = (n: number): Float32Array<ArrayBuffer> =>
  Float32Array.from({ length: n }, () => rng.normal());

/**
 * d/dW Σ take(W, ids, axis) · G for W of `shape`: G's entries summed into the rows they were
 * taken from, in float64.
 */
function hostScatter(shape: number[], axis: number, ids: number[], g: Float32Array): Float64Array {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const out = new Float64Array(outer * shape[axis] * inner);
  for (let o = 0; o < outer; o++)
    ids.forEach((id, k) => {
      for (let i = 0; i < inner; i++)
        out[(o * shape[axis] + id) * inner + i] += g[(o * ids.length + k) * inner + i];
    });
  return out;
}

const cases: [string, number[], number, number[]][] = [
  ["embedding rows (axis 0), repeated ids", [10, 24], 0, [3, 7, 3, 0, 9, 3, 1]],
  ["a middle axis", [3, 8, 5], 1, [7, 0, 2, 2, 6]],
  ["the last axis", [4, 6], 1, [5, 1, 1, 0]],
  ["one id", [6, 4, 3], 0, [2]],
];

describe("scatter-add (a gather's gradient)", () => {
  for (const [name, shape, axis, ids] of cases)
    test(`${name}: W ${JSON.stringify(shape)}, ids ${JSON.stringify(ids)}`, async () => {
      const size = shape.reduce((a, b) => a * b, 1);
      const gShape = [...shape.slice(0, axis), ids.length, ...shape.slice(axis + 1)];
      const g = randn(gShape.reduce((a, b) => a * b, 1));
      const w = np.array(randn(size)).reshape(shape);
      const loss = (x: np.Array) =>
        np
          .take(x, np.array(ids, { dtype: np.int32 }), axis)
          .mul(np.array(g).reshape(gShape))
          .sum();
      const got = (await grad(loss)(w).data()) as Float32Array;
      const want = hostScatter(shape, axis, ids, g);
      assert.equal(got.length, want.length);
      for (let i = 0; i < want.length; i++)
        if (Math.abs(got[i] - want[i]) > 1e-5)
          assert.fail(`element ${i}: ${got[i]}, the host loop gives ${want[i]}`);
    });
});
