/**
 * The engine's matrix products as prefopt runs them: relaxed SIMD on (fused
 * multiply-add, src/engine/relaxed-simd.ts) and the register tile from
 * patches/@jax-js+jax+0.1.25.patch. Every form a training step uses (A·B,
 * A·Bᵀ, Aᵀ·B, batched, their gradients) is checked against a float64 loop,
 * on shapes that hit the tiled fast path and on odd ones that take its tails.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { initEngine } from "../../src/engine/init.js";
import { grad, jit, numpy as np } from "../../src/engine/jax.js";
import { HostRng } from "../../src/engine/random.js";
import { hasRelaxedMadd } from "../../src/engine/relaxed-simd.js";

before(async () => {
  await initEngine();
});

const rng = new HostRng(7);
const randn = (n: number) => Float64Array.from({ length: n }, () => rng.normal());

/** C[b] = op(A[b])·op(B[b]) in float64; A is [batch, r, c] row-major, transposed when `ta`. */
function naive(
  a: Float64Array,
  b: Float64Array,
  batch: number,
  m: number,
  k: number,
  n: number,
  ta: boolean,
  tb: boolean,
): Float64Array {
  const c = new Float64Array(batch * m * n);
  for (let z = 0; z < batch; z++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = ta ? a[z * k * m + p * m + i] : a[z * m * k + i * k + p];
          const bv = tb ? b[z * n * k + j * k + p] : b[z * k * n + p * n + j];
          s += av * bv;
        }
        c[z * m * n + i * n + j] = s;
      }
  return c;
}

function assertClose(got: Float32Array, want: Float64Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let scale = 0;
  for (const w of want) scale = Math.max(scale, Math.abs(w));
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]);
    if (err > 1e-5 * scale + 1e-4)
      assert.fail(`${what}: element ${i} is ${got[i]}, float64 gives ${want[i]}`);
  }
}

const shapes: [string, number, number, number, number][] = [
  // name, batch, m, k, n
  ["tiled 2-D", 1, 128, 64, 96],
  // 3 row tiles of 128: with two threads the pool cuts them 192 + 192 (engine patch)
  ["three row tiles", 1, 384, 32, 64],
  ["odd 2-D", 1, 37, 29, 41],
  ["one row", 1, 1, 33, 20],
  ["batched like attention", 6, 48, 16, 40],
  ["odd batched", 3, 7, 5, 9],
];

describe("engine matrix products", () => {
  test("relaxed SIMD is on in Node unless PREFOPT_RELAXED_SIMD=0", () => {
    assert.equal(hasRelaxedMadd(), process.env.PREFOPT_RELAXED_SIMD !== "0");
  });

  for (const [name, batch, m, k, n] of shapes)
    for (const [ta, tb] of [
      [false, false],
      [false, true],
      [true, false],
    ] as const)
      test(`${name} ${batch}×[${m}×${k}]·[${k}×${n}]${ta ? " Aᵀ" : ""}${tb ? " Bᵀ" : ""} matches float64`, async () => {
        const a = randn(batch * m * k);
        const b = randn(batch * k * n);
        const want = naive(a, b, batch, m, k, n, ta, tb);
        const shape = (r: number, c: number, t: boolean) => (t ? [batch, c, r] : [batch, r, c]);
        const f = jit((x: np.Array, y: np.Array) =>
          np.matmul(ta ? np.moveaxis(x, -1, -2) : x, tb ? np.moveaxis(y, -1, -2) : y),
        );
        const x = np.array(Float32Array.from(a)).reshape(shape(m, k, ta));
        const y = np.array(Float32Array.from(b)).reshape(shape(k, n, tb));
        assertClose((await f(x, y).data()) as Float32Array, want, name);
      });

  test("gradients of a product: dA = G·Bᵀ, dB = Aᵀ·G", async () => {
    const [m, k, n] = [40, 24, 36];
    const a = randn(m * k);
    const b = randn(k * n);
    const g = randn(m * n);
    const loss = (x: np.Array, y: np.Array, w: np.Array) => np.matmul(x, y).mul(w).sum();
    const x = () => np.array(Float32Array.from(a)).reshape([m, k]);
    const y = () => np.array(Float32Array.from(b)).reshape([k, n]);
    const w = () => np.array(Float32Array.from(g)).reshape([m, n]);
    const da = await grad(loss)(x(), y(), w()).data();
    const db = await grad(loss, { argnums: 1 })(x(), y(), w()).data();
    assertClose(da as Float32Array, naive(g, b, 1, m, n, k, false, true), "dA");
    assertClose(db as Float32Array, naive(a, g, 1, k, m, n, true, false), "dB");
  });
});
