/**
 * The engine's vectorised e^x and 1/x (patches/@jax-js+jax+0.1.25.patch): kernels
 * whose length is a multiple of 4 take the four-lane path, others the scalar
 * one. Both must give the same bits, the clamps included, and stay close to
 * Math.exp (the engine reduces x by k·ln 2 with ln 2 in float32, so the error
 * grows with |x|: 2.7e-6 relative at x = −84).
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { initEngine } from "../../src/engine/init.js";
import { jit, numpy as np } from "../../src/engine/jax.js";

before(async () => {
  await initEngine();
});

test("e^x and 1/x on four lanes equal the scalar kernel bit for bit and Math.exp within 5e-6", async () => {
  const n = 4096;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = (i / n) * 180 - 90;
  x.set([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 1e-8, 88, -87], 0);
  const exp = jit((a: np.Array) => np.exp(a));
  const vector = (await exp(np.array(x)).data()) as Float32Array;
  const scalar = (await exp(np.array(x.slice(0, n - 1))).data()) as Float32Array; // n − 1: no SIMD
  for (let i = 0; i < n - 1; i++)
    if (!Object.is(vector[i], scalar[i]))
      assert.fail(`e^${x[i]}: four lanes give ${vector[i]}, scalar ${scalar[i]}`);
  assert.ok(Number.isNaN(vector[0]));
  assert.equal(vector[1], Number.POSITIVE_INFINITY);
  assert.equal(vector[2], 0);
  assert.equal(vector[3], 1);
  const recip = jit((a: np.Array) => np.reciprocal(a));
  const rv = (await recip(np.array(x)).data()) as Float32Array;
  const rs = (await recip(np.array(x.slice(0, n - 1))).data()) as Float32Array;
  for (let i = 0; i < n - 1; i++)
    if (!Object.is(rv[i], rs[i]))
      assert.fail(`1/${x[i]}: four lanes give ${rv[i]}, scalar ${rs[i]}`);
  for (let i = 0; i < n; i++) {
    const want = Math.exp(x[i]);
    if (!Number.isFinite(want) || want < 1e-37 || want > 1e38) continue;
    const rel = Math.abs(vector[i] - want) / want;
    if (rel > 5e-6)
      assert.fail(`e^${x[i]} = ${vector[i]}, Math.exp gives ${want} (rel. error ${rel})`);
  }
});
