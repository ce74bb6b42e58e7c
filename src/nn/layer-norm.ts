/**
 * Layer normalisation over the last axis:
 * y = (x − mean(x)) / sqrt(var(x) + eps) · weight + bias. Consumes its arguments.
 */
import { numpy as np } from "../engine/jax.js";

export function layerNorm(x: np.Array, weight: np.Array, bias: np.Array, eps = 1e-5): np.Array {
  const mu = x.ref.mean(-1, { keepdims: true });
  const xc = x.sub(mu);
  const variance = np.square(xc.ref).mean(-1, { keepdims: true });
  return xc
    .div(np.sqrt(variance.add(eps)))
    .mul(weight)
    .add(bias);
}
