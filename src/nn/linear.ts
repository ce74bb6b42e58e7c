/**
 * Affine map y = x W + b with W stored [in, out] (the layout of Hugging Face's
 * GPT-2 Conv1D; nn.Linear's [out, in] is transposed at load/save time). A
 * LoRA-adapted weight (src/nn/low-rank-adapted.ts) gives
 * y = x W + s·(x A) B + b. Consumes its arguments.
 */
import { numpy as np } from "../engine/jax.js";
import { LowRankAdapted } from "./low-rank-adapted.js";

export function linear(x: np.Array, weight: np.Array, bias?: np.Array): np.Array {
  const w = weight as np.Array | LowRankAdapted;
  const y =
    w instanceof LowRankAdapted
      ? np.matmul(x.ref, w.weight).add(np.matmul(np.matmul(x, w.A), w.B).mul(w.scale))
      : np.matmul(x, w);
  return bias === undefined ? y : y.add(bias);
}
