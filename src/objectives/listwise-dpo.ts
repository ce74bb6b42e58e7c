/**
 * Listwise DPO: DPO under the Plackett–Luce model of rankings (Rafailov et
 * al. 2023, Appendix A.3), for K ≥ 2 answers to one prompt ranked best first.
 * With the implicit rewards s_k = β·(log π(y_k|c) − log π_ref(y_k|c)),
 *   ranked:   L = −Σ_{k=1}^{K−1} log( e^{s_k} / Σ_{j≥k} e^{s_j} )   (the whole ranking)
 *   best-of:  L = −log( e^{s_1} / Σ_j e^{s_j} )                     (one chosen, K−1 unordered rejected)
 * Both are the DPO loss when K = 2, and both have π_ref·e^{r/β}/Z as their
 * optimum when the rankings are drawn from the Plackett–Luce model of r.
 */
import { nn, numpy as np } from "../engine/jax.js";

export type ListwiseDpoInputs = {
  /** summed completion log-probs [N, K], column 0 the best answer */
  policyLogps: np.Array;
  refLogps: np.Array;
};

export type ListwiseDpoOptions = {
  beta: number;
  /** the columns after the first are ranked too (default) or only worse than the first */
  ranked?: boolean;
};

export type ListwiseDpoOutput = {
  loss: np.Array;
  /** per-prompt losses [N] */
  losses: np.Array;
  /** s = β·(log π − log π_ref) [N, K] */
  rewards: np.Array;
  /** share of prompts whose first answer's implicit reward is above every other's (scalar) */
  accuracy: np.Array;
};

/** Plackett–Luce DPO loss (consumes the inputs). */
export function listwiseDpoLoss(
  inputs: ListwiseDpoInputs,
  opts: ListwiseDpoOptions,
): ListwiseDpoOutput {
  const { beta } = opts;
  if (!(beta > 0)) throw new RangeError(`beta must be positive, got ${beta}`);
  const shape = inputs.policyLogps.shape;
  if (shape.length !== 2 || shape[1] < 2) {
    throw new RangeError(`listwise DPO needs log-probs [N, K ≥ 2], got [${shape.join(", ")}]`);
  }
  const [n, k] = shape;
  const s = inputs.policyLogps.sub(inputs.refLogps).mul(beta);
  const best = s.ref.slice([], [0, 1]).reshape([n]);
  // strictly above every other answer: at policy = reference (all s = 0) the accuracy is 0
  const others = np.max(s.ref.slice([], [1, k]), -1);
  const accuracy = np.mean(np.greater(best.ref, others).astype(np.float32));
  let losses: np.Array;
  if (opts.ranked === false) {
    losses = nn.logsumexp(s.ref, -1).sub(best);
  } else {
    // position k competes with the answers ranked at k and below: mask[k, j] = j ≥ k
    const mask = new Float32Array(k * k);
    for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) mask[a * k + b] = b >= a ? 0 : -1e9;
    const tails = nn.logsumexp(s.ref.reshape([n, 1, k]).add(np.array(mask).reshape([1, k, k])), -1); // [N, K]
    // the last position's term is log 1 = 0
    losses = np.sum(tails.sub(s.ref), -1);
    best.dispose();
  }
  return { loss: np.mean(losses.ref), losses, rewards: s, accuracy };
}
