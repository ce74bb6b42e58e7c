/**
 * Bradley–Terry reward-model loss (TRL RewardTrainer):
 *   P(x_w ≻ x_l | c) = σ(r(c,x_w) − r(c,x_l))
 *   L = −E log σ(r_w − r_l − m) + γ·E[(r_w + r_l)²]
 * with an optional per-pair margin m and centring coefficient γ
 * (`center_rewards_coefficient`) that keeps rewards near zero.
 */
import { numpy as np } from "../engine/jax.js";
import { softplus } from "../nn/softplus.js";

export type BradleyTerryOptions = {
  /** per-pair margin [N] or a constant subtracted from r_w − r_l */
  margin?: np.Array | number;
  centerRewardsCoefficient?: number;
};

/** Scalar loss and the share of pairs with r_w > r_l (consumes the reward arrays). */
export function bradleyTerryLoss(
  chosenRewards: np.Array,
  rejectedRewards: np.Array,
  opts: BradleyTerryOptions = {},
): { loss: np.Array; accuracy: np.Array } {
  const diff = chosenRewards.ref.sub(rejectedRewards.ref);
  const accuracy = np.mean(np.greater(diff.ref, 0).astype(np.float32));
  const shifted = opts.margin === undefined ? diff : diff.sub(opts.margin);
  let loss = np.mean(softplus(shifted.neg()));
  const gamma = opts.centerRewardsCoefficient ?? 0;
  if (gamma !== 0) {
    loss = loss.add(np.mean(np.square(chosenRewards.add(rejectedRewards))).mul(gamma));
  } else {
    chosenRewards.dispose();
    rejectedRewards.dispose();
  }
  return { loss, accuracy };
}
