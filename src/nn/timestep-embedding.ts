/**
 * Sinusoidal timestep embedding (Vaswani et al.; DDPM):
 * e[t, i] = sin(t · ω_i), e[t, i + d/2] = cos(t · ω_i), ω_i = 10000^(−i/(d/2)).
 */
import { numpy as np } from "../engine/jax.js";

/** t [B] (float timesteps) → [B, dim]; dim must be even. Consumes t. */
export function timestepEmbedding(t: np.Array, dim: number, maxPeriod = 10000): np.Array {
  const half = dim / 2;
  const freqs = new Float32Array(half);
  for (let i = 0; i < half; i++) freqs[i] = Math.exp((-Math.log(maxPeriod) * i) / half);
  const args = t
    .astype(np.float32)
    .reshape([-1, 1])
    .mul(np.array(freqs).reshape([1, half]));
  return np.concatenate([np.sin(args.ref), np.cos(args)], 1);
}
