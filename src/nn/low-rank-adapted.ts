/**
 * A frozen linear weight W [in, out] with a LoRA adapter (A [in, r], B [r, out],
 * scale s), applied as x ↦ x·W + s·(x·A)·B instead of x·(W + s·A·B). Same
 * function, but the adapted weight W + s·A·B is never formed: inside a
 * compiled gradient that sum is a new [in, out] array kept from the forward
 * to the backward pass, so merging every adapted weight held a second copy
 * of the model's blocks (the frozen base is then held once, shared by policy
 * and reference). `linear` (src/nn/linear.ts) applies it; it stands where a
 * weight array stands in a parameter tree, inside one traced function only
 * (it is not an engine array, so it never crosses a jit boundary). Carries
 * the array methods the blocks use on a weight: `ref`, `dispose`, `shape`,
 * `slice` (row ranges slice W and A, column ranges W and B). A saved model
 * merges one weight at a time as it is written (`merged`, read by
 * src/models/lm/hf-tensors.ts), so the base and a merged copy never coexist.
 */
import { numpy as np } from "../engine/jax.js";

type Index = Parameters<np.Array["slice"]>[number];

export class LowRankAdapted {
  constructor(
    readonly weight: np.Array,
    readonly A: np.Array,
    readonly B: np.Array,
    readonly scale: number,
  ) {}

  get shape(): number[] {
    return this.weight.shape;
  }

  /** A new reference to the same three arrays (like `x.ref`). */
  get ref(): LowRankAdapted {
    return new LowRankAdapted(this.weight.ref, this.A.ref, this.B.ref, this.scale);
  }

  /** W[rows, cols] with A[rows] and B[:, cols]; consumes this. */
  slice(rows: Index = [], cols: Index = []): LowRankAdapted {
    return new LowRankAdapted(
      this.weight.slice(rows, cols),
      this.A.slice(rows, []),
      this.B.slice([], cols),
      this.scale,
    );
  }

  /** W + s·A·B, the weight this adapter stands for (what is saved); consumes this. */
  merged(): np.Array {
    return this.weight.add(np.matmul(this.A, this.B).mul(this.scale));
  }

  dispose(): void {
    this.weight.dispose();
    this.A.dispose();
    this.B.dispose();
  }
}
