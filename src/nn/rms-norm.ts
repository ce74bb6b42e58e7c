/**
 * Root-mean-square normalisation over the last axis (LLaMA):
 * y = x / sqrt(mean(x²) + eps) · weight. Consumes its arguments.
 */
import { numpy as np } from "../engine/jax.js";

export function rmsNorm(x: np.Array, weight: np.Array, eps = 1e-6): np.Array {
  const ms = np.square(x.ref).mean(-1, { keepdims: true });
  return x.div(np.sqrt(ms.add(eps))).mul(weight);
}
