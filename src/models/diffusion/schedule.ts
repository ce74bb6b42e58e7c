/**
 * DDPM noise schedules (host-side, float64) and the closed forms built on
 * them. Timesteps are 0-based: t ∈ {0, …, T−1}, ᾱ_t = ∏_{s≤t} α_s,
 * α_t = 1 − β_t, and ᾱ_{−1} = 1.
 * - linear: β_t evenly spaced from 1e-4 to 0.02 (Ho et al., 2020)
 * - cosine: ᾱ_t = f(t+1)/f(0), f(u) = cos²((u/T + s)/(1 + s) · π/2), s = 0.008,
 *   β_t clipped to ≤ 0.999 (Nichol & Dhariwal, 2021)
 */
import type { numpy as np } from "../../engine/jax.js";

export type ScheduleKind = "linear" | "cosine";

export type NoiseSchedule = {
  kind: ScheduleKind;
  T: number;
  betas: Float64Array;
  alphas: Float64Array;
  alphaBars: Float64Array;
};

export function makeSchedule(kind: ScheduleKind = "linear", T = 1000): NoiseSchedule {
  const betas = new Float64Array(T);
  if (kind === "linear") {
    const b0 = 1e-4;
    const b1 = 0.02;
    for (let t = 0; t < T; t++) betas[t] = T === 1 ? b0 : b0 + ((b1 - b0) * t) / (T - 1);
  } else if (kind === "cosine") {
    const s = 0.008;
    const f = (u: number) => Math.cos(((u / T + s) / (1 + s)) * (Math.PI / 2)) ** 2;
    for (let t = 0; t < T; t++) betas[t] = Math.min(1 - f(t + 1) / f(t), 0.999);
  } else {
    throw new Error(`unknown schedule "${kind}" (expected linear or cosine)`);
  }
  const alphas = betas.map((b) => 1 - b);
  const alphaBars = new Float64Array(T);
  let prod = 1;
  for (let t = 0; t < T; t++) {
    prod *= alphas[t];
    alphaBars[t] = prod;
  }
  return { kind, T, betas, alphas, alphaBars };
}

/** ᾱ_t with ᾱ_{−1} = 1. */
export function alphaBarAt(s: NoiseSchedule, t: number): number {
  return t < 0 ? 1 : s.alphaBars[t];
}

/** β̃_t = (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · β_t, the variance of q(x_{t−1} | x_t, x_0). */
export function posteriorVariance(s: NoiseSchedule, t: number): number {
  return ((1 - alphaBarAt(s, t - 1)) / (1 - s.alphaBars[t])) * s.betas[t];
}

/** Per-example coefficients √ᾱ_t and √(1 − ᾱ_t) for integer timesteps. */
export function qCoefficients(
  s: NoiseSchedule,
  ts: ArrayLike<number>,
): { a: Float32Array<ArrayBuffer>; b: Float32Array<ArrayBuffer> } {
  const a = new Float32Array(ts.length);
  const b = new Float32Array(ts.length);
  for (let i = 0; i < ts.length; i++) {
    a[i] = Math.sqrt(s.alphaBars[ts[i]]);
    b[i] = Math.sqrt(1 - s.alphaBars[ts[i]]);
  }
  return { a, b };
}

function perExample(c: np.Array | number, ndim: number): np.Array | number {
  if (typeof c === "number") return c;
  return c.reshape([c.shape[0], ...Array(ndim - 1).fill(1)]);
}

/**
 * q(x_t | x_0) sample: x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε. The coefficients are
 * numbers (one t for the batch) or [B] arrays from `qCoefficients`. Consumes arrays.
 */
export function qSample(
  x0: np.Array,
  eps: np.Array,
  sqrtAlphaBar: np.Array | number,
  sqrtOneMinusAlphaBar: np.Array | number,
): np.Array {
  const n = x0.ndim;
  return x0.mul(perExample(sqrtAlphaBar, n)).add(eps.mul(perExample(sqrtOneMinusAlphaBar, n)));
}

/**
 * Posterior mean of q(x_{t−1} | x_t, x_0):
 * μ̃ = √ᾱ_{t−1} β_t/(1 − ᾱ_t) · x_0 + √α_t (1 − ᾱ_{t−1})/(1 − ᾱ_t) · x_t. Consumes arrays.
 */
export function posteriorMean(s: NoiseSchedule, x0: np.Array, xt: np.Array, t: number): np.Array {
  const abPrev = alphaBarAt(s, t - 1);
  const ab = s.alphaBars[t];
  const c0 = (Math.sqrt(abPrev) * s.betas[t]) / (1 - ab);
  const ct = (Math.sqrt(s.alphas[t]) * (1 - abPrev)) / (1 - ab);
  return x0.mul(c0).add(xt.mul(ct));
}

/** The lecture's μ_θ = (x_t − β_t/√(1 − ᾱ_t) · ε) / √α_t. Consumes arrays. */
export function meanFromEps(s: NoiseSchedule, xt: np.Array, eps: np.Array, t: number): np.Array {
  const c = s.betas[t] / Math.sqrt(1 - s.alphaBars[t]);
  return xt.sub(eps.mul(c)).mul(1 / Math.sqrt(s.alphas[t]));
}

/** x̂_0 = (x_t − √(1 − ᾱ_t) ε) / √ᾱ_t. Consumes arrays. */
export function predictX0(s: NoiseSchedule, xt: np.Array, eps: np.Array, t: number): np.Array {
  const ab = s.alphaBars[t];
  return xt.sub(eps.mul(Math.sqrt(1 - ab))).mul(1 / Math.sqrt(ab));
}

/** K evenly spaced timesteps from T−1 down to 0 (descending), K ≤ T; `from` caps the start. */
export function spacedTimesteps(T: number, K: number, from = T - 1): number[] {
  const k = Math.max(1, Math.min(K, from + 1));
  const out: number[] = [];
  for (let i = 0; i < k; i++) out.push(Math.round(from - (i * from) / Math.max(1, k - 1)));
  return [...new Set(out)];
}
