/**
 * REINFORCE Leave-One-Out (Ahmadian et al. 2024, TRL's RLOOTrainer), the
 * KL-penalised policy gradient of the RLHF baseline. Per prompt, k samples
 * y_1…y_k ∼ π_θ(·|c), each with the reward r_i and the sequence-level KL
 * estimate kl_i = log π_θ(y_i|c) − log π_ref(y_i|c):
 *   R̃_i = r_i − λ·kl_i
 *   A_i = R̃_i − (1/(k−1))·Σ_{j≠i} R̃_j           (the leave-one-out baseline)
 *   L(θ) = −mean_i A_i · log π_θ(y_i|c)
 * whose gradient is an unbiased estimate of −∇(E[r] − λ·KL(π_θ ‖ π_ref)).
 */
import type { numpy as np } from "../engine/jax.js";

/** R̃_i = r_i − λ·(log π_θ(y_i|c) − log π_ref(y_i|c)) and the KL terms, on the host. */
export function klPenalisedRewards(
  scores: number[],
  policyLogps: number[],
  refLogps: number[],
  klCoef: number,
): { rewards: number[]; kl: number[] } {
  const kl = policyLogps.map((x, i) => x - refLogps[i]);
  return { rewards: scores.map((s, i) => s - klCoef * kl[i]), kl };
}

/**
 * Leave-one-out advantages within groups of `k` consecutive entries,
 * A_i = R̃_i − mean_{j≠i} R̃_j; with `normalize`, then shifted and scaled to
 * mean 0 and standard deviation 1 over all entries (TRL's normalize_advantage).
 */
export function rlooAdvantages(
  rewards: number[],
  k: number,
  o: { normalize?: boolean } = {},
): number[] {
  if (k < 2 || rewards.length % k !== 0)
    throw new Error(`rlooAdvantages: ${rewards.length} rewards do not form groups of k = ${k} ≥ 2`);
  const out = new Array<number>(rewards.length);
  for (let g = 0; g < rewards.length; g += k) {
    let s = 0;
    for (let j = 0; j < k; j++) s += rewards[g + j];
    for (let j = 0; j < k; j++) out[g + j] = rewards[g + j] - (s - rewards[g + j]) / (k - 1);
  }
  if (!o.normalize) return out;
  const m = out.reduce((a, b) => a + b, 0) / out.length;
  const sd = Math.sqrt(out.reduce((a, b) => a + (b - m) ** 2, 0) / out.length) + 1e-8;
  return out.map((a) => (a - m) / sd);
}

/** L = −mean_i A_i · log π_θ(y_i|c) from per-sample log-probs [n] and advantages [n]. Consumes both. */
export function rlooLoss(logps: np.Array, advantages: np.Array): np.Array {
  return logps.mul(advantages).mean().neg();
}
