/**
 * SwiGLU feed-forward block (LLaMA MLP):
 * y = (silu(x W_gate + b_gate) ⊙ (x W_up + b_up)) W_down + b_down, weights
 * [in, out], biases optional. Consumes its arguments.
 */
import { nn, type numpy as np } from "../engine/jax.js";
import { linear } from "./linear.js";

export function swiglu(
  x: np.Array,
  wGate: np.Array,
  wUp: np.Array,
  wDown: np.Array,
  biases: { gate?: np.Array; up?: np.Array; down?: np.Array } = {},
): np.Array {
  const gate = nn.silu(linear(x.ref, wGate, biases.gate));
  const up = linear(x, wUp, biases.up);
  return linear(gate.mul(up), wDown, biases.down);
}
