/**
 * Reverse-process samplers over a noise schedule, kept apart from the
 * network (as diffusers does): the network enters as an `EpsFn` ε(x_t, t).
 *
 * - DDPM ancestral (Ho et al.): x_{t−1} = μ_θ + √β̃_t z with the lecture's
 *   μ_θ = (x_t − β_t/√(1−ᾱ_t) ε_θ)/√α_t and β̃_t = (1−ᾱ_{t−1})/(1−ᾱ_t) β_t.
 *   With K < T steps the schedule is respaced: between kept steps t → s,
 *   β_t is replaced by 1 − ᾱ_t/ᾱ_s (so K = T is exactly the lecture's sampler).
 * - DDIM (Song et al.): x_s = √ᾱ_s x̂_0 + √(1−ᾱ_s−σ²) ε_θ + σ z with
 *   σ = η √((1−ᾱ_s)/(1−ᾱ_t)) √(1−ᾱ_t/ᾱ_s); η = 0 is deterministic, η = 1 is DDPM-like.
 *
 * Every random draw comes from one key split up front, so a seed fixes the result.
 */

import { UserError } from "../../engine/errors.js";
import { numpy as np, random } from "../../engine/jax.js";
import { splitKey } from "../../engine/random.js";
import { alphaBarAt, type NoiseSchedule, spacedTimesteps } from "./schedule.js";

/** ε_θ(x_t, t) for a whole batch at one integer timestep; consumes x. */
export type EpsFn = (x: np.Array, t: number) => np.Array;

export type SamplerMethod = "ddpm" | "ddim";

export type SamplerOptions = {
  method?: SamplerMethod;
  /** Number of denoising steps K ≤ T (default: 50 for DDIM, T for DDPM). */
  steps?: number;
  /** DDIM stochasticity η (default 0). */
  eta?: number;
  /** Clip the predicted x̂_0 to [−1, 1] before forming the mean (default true). */
  clipDenoised?: boolean;
  /** Start at this timestep instead of T−1 (SDEdit). */
  startStep?: number;
  /** Called after every step. */
  onStep?: (i: number, of: number) => void;
};

/** The descending timesteps a sampler with these options visits. */
export function samplerTimesteps(s: NoiseSchedule, opts: SamplerOptions = {}): number[] {
  const method = samplerMethod(opts);
  const from = opts.startStep ?? s.T - 1;
  const k = opts.steps ?? (method === "ddim" ? 50 : s.T);
  // a start step keeps k's share of the from + 1 timesteps (all of them, k, without one)
  return spacedTimesteps(s.T, Math.max(1, Math.round((k * (from + 1)) / s.T)), from);
}

/** The sampler's method, "ddim" unless given; anything else is refused. */
function samplerMethod(opts: SamplerOptions): "ddim" | "ddpm" {
  const method = opts.method ?? "ddim";
  if (method !== "ddim" && method !== "ddpm") {
    throw new UserError(`sampler method "${method}": expected ddim or ddpm`);
  }
  return method;
}

/**
 * Runs the reverse process from x (noise at the first timestep, or a noised
 * image for SDEdit) down to x_0. Consumes x and key. Returns x_0 [same shape].
 */
export async function sampleLoop(
  eps: EpsFn,
  s: NoiseSchedule,
  x: np.Array,
  key: np.Array,
  opts: SamplerOptions = {},
): Promise<np.Array> {
  const method = samplerMethod(opts);
  const eta = opts.eta ?? 0;
  const clip = opts.clipDenoised ?? true;
  const ts = samplerTimesteps(s, opts);
  const keys = splitKey(key, ts.length);
  const shape = x.shape;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i];
    const prev = i + 1 < ts.length ? ts[i + 1] : -1;
    const ab = s.alphaBars[t];
    const abPrev = alphaBarAt(s, prev);
    const e = eps(x.ref, t);
    let x0 = x.ref.sub(e.ref.mul(Math.sqrt(1 - ab))).mul(1 / Math.sqrt(ab));
    if (clip) x0 = np.clip(x0, -1, 1);
    let next: np.Array;
    if (method === "ddpm") {
      const beta = 1 - ab / abPrev;
      const alpha = 1 - beta;
      e.dispose();
      // posterior mean with x̂_0; equal to μ_θ = (x_t − β/√(1−ᾱ) ε)/√α when x̂_0 is not clipped
      const c0 = (Math.sqrt(abPrev) * beta) / (1 - ab);
      const ct = (Math.sqrt(alpha) * (1 - abPrev)) / (1 - ab);
      next = x0.mul(c0).add(x.mul(ct));
      const variance = ((1 - abPrev) / (1 - ab)) * beta;
      // the last step (prev = −1, ᾱ_prev = 1) has β̃ = 0: no noise
      if (variance > 0) next = next.add(random.normal(keys[i], shape).mul(Math.sqrt(variance)));
      else keys[i].dispose();
    } else {
      const sigma =
        eta * Math.sqrt((1 - abPrev) / (1 - ab)) * Math.sqrt(Math.max(0, 1 - ab / abPrev));
      // with clipping, re-derive ε from the clipped x̂_0 so the update stays consistent
      let epsHat: np.Array;
      if (clip) {
        epsHat = x.sub(x0.ref.mul(Math.sqrt(ab))).mul(1 / Math.sqrt(1 - ab));
        e.dispose();
      } else {
        x.dispose();
        epsHat = e;
      }
      next = x0
        .mul(Math.sqrt(abPrev))
        .add(epsHat.mul(Math.sqrt(Math.max(0, 1 - abPrev - sigma * sigma))));
      if (sigma > 0) next = next.add(random.normal(keys[i], shape).mul(sigma));
      else keys[i].dispose();
    }
    x = next;
    await x.blockUntilReady();
    opts.onStep?.(i + 1, ts.length);
  }
  return x;
}
