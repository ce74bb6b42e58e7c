/**
 * The KL-regularised objective  max E_{x∼π}[r(x)] − β·KL(π ‖ π_ref)  has the
 * exact optimum  π*(x) = π_ref(x)·exp(r(x)/β) / Z,  Z = Σ_x π_ref(x)·exp(r(x)/β)
 * (DPO §4). For discrete distributions it is computed in log space so large
 * r/β cannot overflow.
 */
import { nn, numpy as np } from "../engine/jax.js";

/** π* for a discrete π_ref [K] and rewards [K] (consumes both arrays). */
export function klOptimum(refProbs: np.Array, rewards: np.Array, beta: number): np.Array {
  if (!(beta > 0)) throw new RangeError(`beta must be positive, got ${beta}`);
  return nn.softmax(np.log(refProbs).add(rewards.div(beta)));
}

/** KL(p ‖ q) = Σ p·log(p/q) over the last axis, with 0·log 0 = 0 (consumes both). */
export function klDivergence(p: np.Array, q: np.Array): np.Array {
  const safeP = np.maximum(p.ref, 1e-30);
  const terms = p.mul(np.log(safeP).sub(np.log(np.maximum(q, 1e-30))));
  return np.sum(terms, -1);
}

/** The objective value E_π[r] − β·KL(π ‖ π_ref) for discrete distributions (consumes all). */
export function klRegularisedObjective(
  probs: np.Array,
  refProbs: np.Array,
  rewards: np.Array,
  beta: number,
): np.Array {
  const expected = np.sum(probs.ref.mul(rewards), -1);
  return expected.sub(klDivergence(probs, refProbs).mul(beta));
}
