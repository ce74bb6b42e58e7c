/**
 * Gradient accumulation (TRL's `gradient_accumulation_steps`): one optimiser
 * update from k micro-batches, so a batch that does not fit in the engine
 * heap runs as k smaller ones. For an objective that is a mean over the
 * examples of its batch, the batch of N = Σ n_k examples has
 *   L = Σ_k (n_k/N)·L_k   and   ∇L = Σ_k (n_k/N)·∇L_k,
 * so each micro-batch's loss, metrics and gradient are weighted by n_k/N and
 * summed, and the update is applied once to the sum: equal, within float32
 * rounding, to the update from the whole batch at once. Only the running sum
 * of gradients (the size of the trained parameters) outlives a micro-batch.
 */
import { UserError } from "../engine/errors.js";
import { type JsTree, jit, numpy as np, tree, valueAndGrad } from "../engine/jax.js";
import { refTree } from "../engine/pytree.js";
import type { AdamState, Adamw } from "./optimizer.js";

type Tree = JsTree<np.Array>;

/** A traced objective: (trained, frozen, ...batch) → [loss, metrics]; consumes its arguments. */
export type MicroObjective<P, F, A extends unknown[]> = (
  params: P,
  frozen: F,
  ...batch: A
) => [np.Array, Record<string, np.Array>];

export type AccumulatedResult<P> = {
  loss: np.Array;
  aux: Record<string, np.Array>;
  params: P;
  state: AdamState<P>;
  gradNorm: np.Array;
};

/** One micro-batch: its arguments and its share n_k/N of the whole batch. */
export type MicroBatch<A extends unknown[]> = { args: A; weight: number };

export type AccumulatedStep<P, F, A extends unknown[]> = ((
  params: P,
  frozen: () => F,
  state: AdamState<P>,
  micro: MicroBatch<A>[],
  lr: np.Array,
) => AccumulatedResult<P>) & { dispose(): void };

/**
 * The accumulated update of `objective` with optimiser `opt`: three compiled
 * programs (a micro-batch's weighted loss, metrics and gradient; the running
 * sum; the update). `frozen` is called once per micro-batch for a fresh
 * reference to the frozen weights. Consumes params, state, the micro-batches'
 * arrays and lr; returns the new params and state and the batch's loss and
 * metrics (weighted sums).
 */
export function makeAccumulatedStep<P, F, A extends unknown[]>(
  objective: MicroObjective<P, F, A>,
  opt: Adamw,
): AccumulatedStep<P, F, A> {
  // traced over concrete pytrees; P, F and A only shape the caller's view
  type T = Tree;
  type Micro = { loss: np.Array; aux: Record<string, np.Array>; grads: T };
  const f = objective as unknown as (
    p: T,
    fr: T,
    ...b: T[]
  ) => [np.Array, Record<string, np.Array>];
  const grad = jit((p: T, fr: T, w: np.Array, ...batch: T[]) => {
    const [[loss, aux], g] = valueAndGrad((pp: T, ff: T, ...bb: T[]) => f(pp, ff, ...bb), {
      hasAux: true,
    })(p, fr, ...batch) as unknown as [[np.Array, Record<string, np.Array>], T];
    const out = {
      loss: loss.mul(w.ref),
      aux: Object.fromEntries(Object.entries(aux).map(([k, a]) => [k, a.mul(w.ref)])),
      grads: tree.map((x: np.Array) => x.mul(w.ref), g),
    };
    w.dispose();
    return out as unknown as T;
  }) as unknown as ((p: T, fr: T, w: np.Array, ...batch: T[]) => Micro) & { dispose(): void };
  const add = jit((a: T, b: T) =>
    tree.map((x: np.Array, y: np.Array) => x.add(y), a, b),
  ) as unknown as ((a: Micro, b: Micro) => Micro) & { dispose(): void };
  const apply = jit(
    (p: T, g: T, st: T, lr: np.Array) =>
      opt.step(p, g, st as unknown as AdamState<T>, lr) as unknown as T,
  ) as unknown as ((
    p: P,
    g: T,
    st: AdamState<P>,
    lr: np.Array,
  ) => {
    params: P;
    state: AdamState<P>;
    gradNorm: np.Array;
  }) & { dispose(): void };
  const step = ((params, frozen, state, micro, lr) => {
    if (micro.length === 0) throw new Error("makeAccumulatedStep: no micro-batches");
    let sum: Micro | undefined;
    for (const m of micro) {
      const w = np.array(m.weight, { dtype: np.float32 });
      const r = grad(refTree(params as T), frozen() as T, w, ...(m.args as T[]));
      sum = sum ? add(sum, r) : r;
    }
    const s = sum as Micro;
    const next = apply(params, s.grads, state, lr);
    return { loss: s.loss, aux: s.aux, ...next };
  }) as AccumulatedStep<P, F, A>;
  step.dispose = () => {
    grad.dispose();
    add.dispose();
    apply.dispose();
  };
  return step;
}

/** `--gradient-accumulation-steps` as given (absent: 1); a UserError unless a positive integer. */
export function accumulationSteps(k: number | undefined): number {
  const accum = k ?? 1;
  if (!(Number.isInteger(accum) && accum >= 1))
    throw new UserError(`--gradient-accumulation-steps: expected a positive integer, got ${accum}`);
  return accum;
}

/** Splits `items` into `k` consecutive micro-batches as even as possible (sizes differ by ≤ 1), none empty. */
export function splitMicroBatches<T>(items: T[], k: number): T[][] {
  const n = Math.min(k, items.length);
  const out: T[][] = [];
  let start = 0;
  for (let i = 0; i < n; i++) {
    const size = Math.floor(items.length / n) + (i < items.length % n ? 1 : 0);
    out.push(items.slice(start, start + size));
    start += size;
  }
  return out;
}
