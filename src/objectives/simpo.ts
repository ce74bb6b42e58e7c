/**
 * SimPO (Meng et al. 2024), DPO without a reference model: the implicit
 * reward is the length-normalised log-likelihood β·log π(y|c)/|y|, and the
 * chosen answer must win by a target margin γ:
 *   L = −log σ(β·(log π(y_w|c)/|y_w| − log π(y_l|c)/|y_l|) − γ)
 * computed as `preferenceLoss(Δ̄ − γ/β; β)` (TRL's CPOTrainer with
 * loss_type="simpo": logits = Δ̄ − γ/β, so hinge and label smoothing apply too).
 * Rewards logged as TRL does: β·log π/|y|.
 */
import { numpy as np } from "../engine/jax.js";
import { type PreferenceLossType, preferenceLoss } from "./preference-loss.js";

export type SimpoInputs = {
  /** summed completion log-probs log π(y_w|c) [N] */
  policyChosenLogps: np.Array;
  policyRejectedLogps: np.Array;
  /** completion lengths in tokens |y| [N] (≥ 1) */
  chosenLengths: np.Array;
  rejectedLengths: np.Array;
};

export type SimpoOptions = {
  /** reward scale (SimPO paper 2–2.5; TRL CPOConfig.beta) */
  beta: number;
  /** target reward margin γ (TRL simpo_gamma, default 0.5) */
  gamma?: number;
  type?: Exclude<PreferenceLossType, "ipo">;
  labelSmoothing?: number;
};

export type SimpoOutput = {
  loss: np.Array;
  losses: np.Array;
  /** β·log π(y_w|c)/|y_w| [N] */
  chosenRewards: np.Array;
  rejectedRewards: np.Array;
  margins: np.Array;
  accuracy: np.Array;
};

/** SimPO loss and TRL's logged quantities from per-sequence log-probs and lengths (consumes the inputs). */
export function simpoLoss(inputs: SimpoInputs, opts: SimpoOptions): SimpoOutput {
  const { beta } = opts;
  if (!(beta > 0)) throw new RangeError(`beta must be positive, got ${beta}`);
  const gamma = opts.gamma ?? 0.5;
  const avgChosen = inputs.policyChosenLogps.div(np.maximum(inputs.chosenLengths, 1));
  const avgRejected = inputs.policyRejectedLogps.div(np.maximum(inputs.rejectedLengths, 1));
  const chosenRewards = avgChosen.ref.mul(beta);
  const rejectedRewards = avgRejected.ref.mul(beta);
  const losses = preferenceLoss(avgChosen.sub(avgRejected).sub(gamma / beta), {
    type: opts.type ?? "sigmoid",
    beta,
    labelSmoothing: opts.labelSmoothing,
  });
  const margins = chosenRewards.ref.sub(rejectedRewards.ref);
  const accuracy = np.mean(np.greater(margins.ref, 0).astype(np.float32));
  return { loss: np.mean(losses.ref), losses, chosenRewards, rejectedRewards, margins, accuracy };
}
