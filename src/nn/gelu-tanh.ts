/**
 * GELU, tanh approximation (GPT-2's "gelu_new"):
 * gelu(x) = ½ x (1 + tanh(√(2/π) (x + 0.044715 x³))). Consumes `x`.
 */
import { nn, type numpy as np } from "../engine/jax.js";

export function geluTanh(x: np.Array): np.Array {
  return nn.gelu(x, { approximate: true });
}
