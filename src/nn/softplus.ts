/**
 * Numerically stable softplus and log-sigmoid. The engine's own softplus
 * overflows to ∞ for inputs near 100; here
 *   softplus(x) = max(x, 0) + log1p(exp(−|x|)),   log σ(x) = −softplus(−x)
 * which is exact in float32 for every finite x.
 */
import { numpy as np } from "../engine/jax.js";

/** log(1 + eˣ), elementwise (consumes x). */
export function softplus(x: np.Array): np.Array {
  return np.maximum(x.ref, 0).add(np.log1p(np.exp(np.abs(x).neg())));
}

/** log σ(x), elementwise (consumes x). */
export function logSigmoid(x: np.Array): np.Array {
  return softplus(x.neg()).neg();
}
