/**
 * Affine map y = x W + b with W stored [in, out] (the layout of Hugging Face's
 * GPT-2 Conv1D; nn.Linear's [out, in] is transposed at load/save time).
 * Consumes its arguments.
 */
import { numpy as np } from "../engine/jax.js";

export function linear(x: np.Array, weight: np.Array, bias?: np.Array): np.Array {
  const y = np.matmul(x, weight);
  return bias === undefined ? y : y.add(bias);
}
