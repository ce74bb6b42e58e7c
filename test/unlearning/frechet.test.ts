/**
 * The Fréchet distance against closed forms: for commuting covariances
 * (diagonal, or both rotated by the same orthogonal matrix)
 * d² = ‖μ₁ − μ₂‖² + Σ (√λ₁ᵢ − √λ₂ᵢ)²; identical sets are at distance 0.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { frechetDistance, frechetFromStats, sqrtPsd } from "../../src/eval/preservation-frechet.js";

function rotation(d: number, seed: number): Float64Array {
  // Gram–Schmidt on a fixed pseudo-random matrix
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648 - 0.5;
  };
  const q = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    const v = Array.from({ length: d }, rnd);
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < d; i++) dot += v[i] * q[i * d + k];
      for (let i = 0; i < d; i++) v[i] -= dot * q[i * d + k];
    }
    const nrm = Math.hypot(...v);
    for (let i = 0; i < d; i++) q[i * d + j] = v[i] / nrm;
  }
  return q;
}

/** Q diag(l) Qᵀ */
function rotated(q: Float64Array, l: number[]): Float64Array {
  const d = l.length;
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += q[i * d + k] * l[k] * q[j * d + k];
      out[i * d + j] = s;
    }
  return out;
}

describe("Fréchet distance", () => {
  it("matches the closed form for commuting covariances", () => {
    const d = 6;
    const l1 = [4, 1, 0.25, 9, 2, 0.5];
    const l2 = [1, 1, 1, 4, 8, 0.1];
    const mu1 = Float64Array.from([1, 0, 0, 2, 0, -1]);
    const mu2 = Float64Array.from([0, 0, 1, 2, 0, 1]);
    let expected = 1 + 1 + 4;
    for (let i = 0; i < d; i++) expected += (Math.sqrt(l1[i]) - Math.sqrt(l2[i])) ** 2;
    const q = rotation(d, 7);
    const got = frechetFromStats(
      { mu: mu1, cov: rotated(q, l1) },
      { mu: mu2, cov: rotated(q, l2) },
      d,
    );
    assert.ok(Math.abs(got - expected) < 1e-8, `${got} vs ${expected}`);
  });

  it("√M squares back to M", () => {
    const d = 5;
    const m = rotated(rotation(d, 3), [3, 2, 1, 0.5, 0]);
    const r = sqrtPsd(m, d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) {
        let s = 0;
        for (let k = 0; k < d; k++) s += r[i * d + k] * r[k * d + j];
        assert.ok(Math.abs(s - m[i * d + j]) < 1e-9);
      }
  });

  it("is 0 between a set and itself and grows with a shift", () => {
    const n = 50;
    const d = 3;
    const x = Float32Array.from({ length: n * d }, (_, i) => Math.sin(i * 1.7) + (i % d));
    assert.ok(Math.abs(frechetDistance(x, n, x, n, d)) < 1e-6);
    const y = x.map((v) => v + 2);
    assert.ok(Math.abs(frechetDistance(x, n, y, n, d) - 4 * d) < 1e-4);
  });
});
