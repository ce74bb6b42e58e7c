/**
 * Direct Preference Optimization (Rafailov et al. 2023):
 *   L = −E log σ(β[log π_θ(x_w|c)/π_ref(x_w|c) − log π_θ(x_l|c)/π_ref(x_l|c)])
 * computed through `preferenceLoss` so every variant applies. Log-probs are
 * summed over completion tokens (TRL); the implicit rewards reported are
 * β·(log π_θ − log π_ref), as TRL logs `rewards/chosen` and `rewards/rejected`.
 */
import { numpy as np } from "../engine/jax.js";
import { type PreferenceLossType, preferenceLoss } from "./preference-loss.js";

export type DpoInputs = {
  policyChosenLogps: np.Array;
  policyRejectedLogps: np.Array;
  refChosenLogps: np.Array;
  refRejectedLogps: np.Array;
};

export type DpoOptions = {
  beta: number;
  type?: PreferenceLossType;
  labelSmoothing?: number;
};

export type DpoOutput = {
  /** mean of `losses` (scalar) */
  loss: np.Array;
  /** per-pair losses [N] */
  losses: np.Array;
  /** β·(log π_θ(x_w) − log π_ref(x_w)) [N] */
  chosenRewards: np.Array;
  /** β·(log π_θ(x_l) − log π_ref(x_l)) [N] */
  rejectedRewards: np.Array;
  /** chosenRewards − rejectedRewards [N] */
  margins: np.Array;
  /** share of pairs with chosenRewards > rejectedRewards (scalar) */
  accuracy: np.Array;
};

/** DPO loss and TRL's logged quantities from per-sequence log-probs [N] (consumes the inputs). */
export function dpoLoss(inputs: DpoInputs, opts: DpoOptions): DpoOutput {
  const beta = opts.beta;
  const chosenLogratio = inputs.policyChosenLogps.sub(inputs.refChosenLogps);
  const rejectedLogratio = inputs.policyRejectedLogps.sub(inputs.refRejectedLogps);
  const chosenRewards = chosenLogratio.ref.mul(beta);
  const rejectedRewards = rejectedLogratio.ref.mul(beta);
  // the loss sees the unscaled log-ratio margin; preferenceLoss applies β (or 1/(2β) for IPO)
  const losses = preferenceLoss(chosenLogratio.sub(rejectedLogratio), {
    type: opts.type,
    beta,
    labelSmoothing: opts.labelSmoothing,
  });
  const margins = chosenRewards.ref.sub(rejectedRewards.ref);
  const accuracy = np.mean(np.greater(margins.ref, 0).astype(np.float32));
  return {
    loss: np.mean(losses.ref),
    losses,
    chosenRewards,
    rejectedRewards,
    margins,
    accuracy,
  };
}
