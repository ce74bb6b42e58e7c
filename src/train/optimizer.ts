/**
 * AdamW in the style of Optax: a pair of pure functions over pytrees of
 * engine arrays, so the whole update can be traced by `jit` together with the
 * loss and its gradient. The arithmetic is torch.optim.AdamW's:
 *
 *   g ← g·min(1, maxNorm/(‖g‖₂ + 1e-6))        (clip_grad_norm_, if maxGradNorm)
 *   t ← t + 1
 *   m ← β₁m + (1−β₁)g,   v ← β₂v + (1−β₂)g²
 *   p ← p − lr·wd·p                             (decoupled decay, where decayMask)
 *   p ← p − (lr/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε)
 *
 * The step count t lives in the state as an int32 scalar array, and the bias
 * corrections 1−βᵗ are computed from it in float32 to a few ulps (see
 * `oneMinusPowCount`; not the engine's `pow`, and no float64, which WebGPU
 * lacks), so no host number enters the traced graph.
 * The host computes lr = schedule(step) and passes it in as a number or a
 * scalar array.
 */
import { numpy as np, tree } from "../engine/jax.js";
import type { Schedule } from "./schedules.js";

/** Optimiser state: `count` = updates applied (int32 scalar), `mu`/`nu` = first/second moments shaped like params. */
export type AdamState<P = unknown> = { count: np.Array; mu: P; nu: P };

export type AdamwOptions = {
  /** A constant or a schedule of the 0-based update index. */
  learningRate: number | Schedule;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Decoupled weight decay coefficient (torch.optim.AdamW's default 0.01). */
  weightDecay?: number;
  /** Clip gradients to this global L2 norm first (torch's clip_grad_norm_). */
  maxGradNorm?: number;
  /** Which leaves get weight decay, by dotted name and shape (default: all). */
  decayMask?: (name: string, shape: number[]) => boolean;
};

export type StepResult<P> = { params: P; state: AdamState<P>; gradNorm: np.Array };

export type Adamw = {
  /** Zero moments and count 0, shaped like `params` (consumes `params`). */
  init<P>(params: P): AdamState<P>;
  /**
   * One AdamW update. Consumes `params`, `grads`, every array of `state`, and
   * `lr` when it is an array; returns fresh params, state, and the global
   * gradient norm before clipping. `lr` may be omitted for a constant
   * learning rate; with a schedule pass `opt.learningRate(step)`.
   */
  step<P>(params: P, grads: P, state: AdamState<P>, lr?: np.Array | number): StepResult<P>;
  /** The host learning rate for the update with 0-based index `step`. */
  learningRate(step: number): number;
  /** The resolved hyper-parameters. */
  options: Required<Omit<AdamwOptions, "maxGradNorm" | "decayMask">> &
    Pick<AdamwOptions, "maxGradNorm" | "decayMask">;
};

/** Weight-decay mask of nanoGPT/minGPT: decay matrices (ndim ≥ 2), not biases, norms' gains or scalars. */
export function decayMatrices(_name: string, shape: number[]): boolean {
  return shape.length >= 2;
}

/** Dotted leaf names in the order of `tree.flatten` (plain objects and arrays are nodes). */
export function leafNames(t: unknown): string[] {
  const out: string[] = [];
  const walk = (node: unknown, path: string) => {
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) walk(node[i], path ? `${path}.${i}` : String(i));
    } else if (typeof node === "object" && node !== null && node.constructor === Object) {
      for (const [k, v] of Object.entries(node)) walk(v, path ? `${path}.${k}` : k);
    } else out.push(path);
  };
  walk(t, "");
  return out;
}

type Tree = tree.JsTree<np.Array>;

/** ‖g‖₂ over all leaves: √(Σ_leaves Σ g²), a float32 scalar. Consumes `grads`. */
export function globalNorm(grads: unknown): np.Array {
  const leaves = tree.leaves(grads as Tree);
  let total: np.Array = np.zeros([], { dtype: np.float32 });
  for (const g of leaves) total = total.add(np.sum(np.square(g.astype(np.float32))));
  return np.sqrt(total);
}

/**
 * torch.nn.utils.clip_grad_norm_: g·min(1, maxNorm/(‖g‖₂ + 1e-6)). Consumes
 * `grads`; returns the scaled gradients and the norm before clipping.
 */
export function clipByGlobalNorm<P>(grads: P, maxNorm: number): { grads: P; norm: np.Array } {
  const norm = globalNorm(tree.ref(grads as Tree));
  const scale = np.minimum(np.divide(maxNorm, norm.ref.add(1e-6)), 1);
  const out = tree.map((g: np.Array) => g.mul(scale.ref.astype(g.dtype)), grads as Tree) as P;
  scale.dispose();
  return { grads: out, norm };
}

/**
 * 1 − βᵗ for an int32 scalar array t ≥ 0, in float32, traceable. Square-and-
 * multiply carried on d = 1 − (partial product) instead of the product
 * itself: 1 − ab = d_a + d_b − d_a·d_b, a sum of non-negative terms with no
 * cancellation, so the relative error stays a few float32 ulps even where
 * 1 − βᵗ is tiny (β₂ = 0.999, t = 1 → 1e-3), where a float32 βᵗ would lose
 * 4 of its 7 digits. The host supplies each 1 − β^(2ᵏ) from float64
 * (−expm1(2ᵏ·ln β)). Consumes `t`.
 */
export function oneMinusPowCount(beta: number, t: np.Array): np.Array {
  let d = np.zeros([], { dtype: np.float32 });
  const lnBeta = Math.log(beta);
  for (let k = 0; k < 31; k++) {
    const bit = np.remainder(
      np.floorDivide(t.ref, np.array(2 ** k, { dtype: np.int32 })),
      np.array(2, { dtype: np.int32 }),
    );
    const dk = -Math.expm1(2 ** k * lnBeta); // 1 − β^(2ᵏ)
    const combined = d.ref.add(dk).sub(d.ref.mul(dk));
    d = np.where(np.equal(bit, np.array(1, { dtype: np.int32 })), combined, d);
  }
  t.dispose();
  return d;
}

/** True for a concrete engine array, false for a tracer inside `jit`/`grad`. */
function isConcrete(x: unknown): boolean {
  return x instanceof np.Array;
}

/** AdamW (torch.optim.AdamW semantics) as `init`/`step` pure functions over pytrees. */
export function adamw(o: AdamwOptions): Adamw {
  const options = {
    learningRate: o.learningRate,
    beta1: o.beta1 ?? 0.9,
    beta2: o.beta2 ?? 0.999,
    eps: o.eps ?? 1e-8,
    weightDecay: o.weightDecay ?? 0.01,
    maxGradNorm: o.maxGradNorm,
    decayMask: o.decayMask,
  };
  const { beta1, beta2, eps, weightDecay, maxGradNorm, decayMask } = options;
  const learningRate = (step: number) =>
    typeof o.learningRate === "number" ? o.learningRate : o.learningRate(step);

  function init<P>(params: P): AdamState<P> {
    const zeros = () =>
      tree.map((p: np.Array) => np.zeros(p.shape, { dtype: p.dtype }), params as Tree) as P;
    const state = { count: np.zeros([], { dtype: np.int32 }), mu: zeros(), nu: zeros() };
    tree.dispose(params as Tree);
    return state;
  }

  function step<P>(
    params: P,
    grads: P,
    state: AdamState<P>,
    lr?: np.Array | number,
  ): StepResult<P> {
    if (lr === undefined) {
      if (typeof o.learningRate !== "number") {
        throw new Error("adamw.step: with a schedule, pass lr = opt.learningRate(step)");
      }
      lr = o.learningRate;
    }
    const [pLeaves, def] = tree.flatten(params as Tree);
    const names = leafNames(params);
    let gradTree = grads as Tree;
    let gradNorm: np.Array;
    if (maxGradNorm !== undefined) {
      const c = clipByGlobalNorm(gradTree, maxGradNorm);
      gradTree = c.grads;
      gradNorm = c.norm;
    } else gradNorm = globalNorm(tree.ref(gradTree));
    const gLeaves = tree.leaves(gradTree);
    const mLeaves = tree.leaves(state.mu as Tree);
    const vLeaves = tree.leaves(state.nu as Tree);
    if (
      gLeaves.length !== pLeaves.length ||
      mLeaves.length !== pLeaves.length ||
      vLeaves.length !== pLeaves.length
    ) {
      throw new Error(
        `adamw.step: params have ${pLeaves.length} leaves but grads ${gLeaves.length}, mu ${mLeaves.length}, nu ${vLeaves.length}`,
      );
    }

    const count = state.count.add(1);
    let bc1: np.Array;
    let bc2: np.Array;
    if (isConcrete(count)) {
      // eager: read the count on the host and skip ~250 tiny engine ops
      const t = (count.ref.dataSync() as Int32Array)[0];
      bc1 = np.array(1 - beta1 ** t, { dtype: np.float32 });
      bc2 = np.array(Math.sqrt(1 - beta2 ** t), { dtype: np.float32 });
    } else {
      bc1 = oneMinusPowCount(beta1, count.ref);
      bc2 = np.sqrt(oneMinusPowCount(beta2, count.ref));
    }
    const lrA =
      typeof lr === "number" ? np.array(lr, { dtype: np.float32 }) : lr.astype(np.float32);
    const stepSize = lrA.ref.div(bc1); // lr / (1 − β₁ᵗ)

    const newP: np.Array[] = [];
    const newM: np.Array[] = [];
    const newV: np.Array[] = [];
    for (let i = 0; i < pLeaves.length; i++) {
      let p = pLeaves[i];
      const g = gLeaves[i];
      const m = mLeaves[i].mul(beta1).add(g.ref.mul(1 - beta1));
      const v = vLeaves[i].mul(beta2).add(np.square(g).mul(1 - beta2));
      if (weightDecay !== 0 && (decayMask?.(names[i], p.shape) ?? true)) {
        p = p.mul(np.subtract(1, lrA.ref.mul(weightDecay)).astype(p.dtype));
      }
      const denom = np.sqrt(v.ref).div(bc2.ref).add(eps);
      p = p.sub(stepSize.ref.astype(p.dtype).mul(m.ref).div(denom));
      newP.push(p);
      newM.push(m);
      newV.push(v);
    }
    lrA.dispose();
    stepSize.dispose();
    bc2.dispose();
    const un = (xs: np.Array[]) => tree.unflatten(def, xs) as P;
    return { params: un(newP), state: { count, mu: un(newM), nu: un(newV) }, gradNorm };
  }

  return { init, step, learningRate, options };
}
