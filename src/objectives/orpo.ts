/**
 * ORPO (Hong et al. 2024), preference optimisation without a reference model
 * inside supervised fine-tuning: the NLL of the chosen answer plus λ times an
 * odds-ratio loss, with odds(y|c) = P/(1 − P) and P = exp(log π(y|c)/|y|)
 * (length-averaged, as in the paper and TRL's ORPOTrainer):
 *   log OR = log odds(y_w|c) − log odds(y_l|c)
 *          = (ℓ_w − ℓ_l) − (log(1 − e^{ℓ_w}) − log(1 − e^{ℓ_l})),   ℓ = log π/|y|
 *   L = −ℓ_w − λ·log σ(log OR)
 * TRL names λ `beta` (default 0.1) and logs rewards β·ℓ, `log_odds_ratio` =
 * mean log σ(log OR), `log_odds_chosen` = mean log OR and `nll_loss`.
 */
import { nn, numpy as np } from "../engine/jax.js";
import { logSigmoid } from "../nn/softplus.js";

export type OrpoInputs = {
  /** summed completion log-probs log π(y_w|c) [N] */
  policyChosenLogps: np.Array;
  policyRejectedLogps: np.Array;
  /** completion lengths |y| [N] (≥ 1) */
  chosenLengths: np.Array;
  rejectedLengths: np.Array;
};

export type OrpoOptions = {
  /** λ, the weight of the odds-ratio term (TRL ORPOConfig.beta, default 0.1) */
  lambda: number;
};

export type OrpoOutput = {
  /** mean NLL − λ·mean log σ(log OR) (scalar) */
  loss: np.Array;
  /** per-pair −ℓ_w − λ·log σ(log OR) [N] */
  losses: np.Array;
  /** −mean ℓ_w (scalar) */
  nll: np.Array;
  /** log OR [N] */
  logOdds: np.Array;
  /** λ·ℓ_w, λ·ℓ_l [N] */
  chosenRewards: np.Array;
  rejectedRewards: np.Array;
  accuracy: np.Array;
};

/**
 * log(1 − e^ℓ) for ℓ ≤ 0, stable near ℓ = 0 and for very negative ℓ.
 * ℓ is capped at −1e-6 (P = 1 has odds ∞; a sequence is never that sure).
 */
function log1mExpOf(l: np.Array): np.Array {
  return nn.log1mexp(np.minimum(l, -1e-6).neg());
}

/** ORPO loss and TRL's logged quantities (consumes the inputs). */
export function orpoLoss(inputs: OrpoInputs, opts: OrpoOptions): OrpoOutput {
  const lambda = opts.lambda;
  if (!(lambda >= 0)) throw new RangeError(`lambda must be ≥ 0, got ${lambda}`);
  const lw = inputs.policyChosenLogps.div(np.maximum(inputs.chosenLengths, 1));
  const ll = inputs.policyRejectedLogps.div(np.maximum(inputs.rejectedLengths, 1));
  const logOdds = lw.ref.sub(ll.ref).sub(log1mExpOf(lw.ref).sub(log1mExpOf(ll.ref)));
  const ratio = logSigmoid(logOdds.ref);
  const losses = lw.ref.neg().sub(ratio.mul(lambda));
  const nll = np.mean(lw.ref.neg());
  const chosenRewards = lw.mul(lambda);
  const rejectedRewards = ll.mul(lambda);
  const accuracy = np.mean(np.greater(logOdds.ref, 0).astype(np.float32));
  return {
    loss: np.mean(losses.ref),
    losses,
    nll,
    logOdds,
    chosenRewards,
    rejectedRewards,
    accuracy,
  };
}
