/**
 * The DPO task's other members: SimPO and ORPO (no reference model), KTO
 * (each pair's chosen answer a desirable example, its rejected one an
 * undesirable example, as TRL's KTOTrainer unpairs preference data) and
 * listwise DPO (rankings of K answers, each packed as K−1 consecutive pairs
 * (best, y_k) whose log-probs are reshaped to [N, K]), on the same
 * prefix-shared packed batch as DPO, with TRL's metric names. Training and
 * held-out evaluation both run `familyPairObjective` (src/pipelines/dpo.ts),
 * so each formula lives once, in src/objectives/.
 *   simpo: preferenceLoss(ℓ̄_w − ℓ̄_l − γ/β; β)                      (src/objectives/simpo.ts)
 *   orpo:  −ℓ̄_w − β·log σ(log odds(y_w) − log odds(y_l))           (src/objectives/orpo.ts, λ = β as in TRL)
 *   kto:   λ_D(1 − σ(β(h_w − z₀))),  λ_U(1 − σ(β(z₀ − h_l))),  h = log π/π_ref (src/objectives/kto.ts)
 *   listwise: −Σ_k log(e^{s_k} / Σ_{j≥k} e^{s_j}),  s = β·log π/π_ref      (src/objectives/listwise-dpo.ts)
 * ℓ̄ is the length-averaged log-prob. KTO's reference point z₀ is the batch's
 * mean log-ratio over both answers, clamped at 0 and without gradient (TRL
 * uses mismatched prompt–completion pairs of the batch; here the batch's own,
 * which costs no extra forward).
 */
import { numpy as np } from "../engine/jax.js";
import type { LMConfig } from "../models/lm/config.js";
import { type PackedPairArrays, pairLogProbs } from "../models/lm/pair-logprobs.js";
import type { LMParams } from "../models/lm/params.js";
import { ktoLoss } from "../objectives/kto.js";
import { listwiseDpoLoss } from "../objectives/listwise-dpo.js";
import { orpoLoss } from "../objectives/orpo.js";
import { simpoLoss } from "../objectives/simpo.js";

export const FAMILY_LOSS_TYPES = ["simpo", "orpo", "kto", "listwise"] as const;
export type FamilyLossType = (typeof FAMILY_LOSS_TYPES)[number];

export function isFamilyLossType(t: string): t is FamilyLossType {
  return (FAMILY_LOSS_TYPES as readonly string[]).includes(t);
}

export type FamilyOptions = {
  type: FamilyLossType;
  beta: number;
  /** SimPO's target margin γ (TRL simpo_gamma) */
  simpoGamma?: number;
  /** KTO's λ_D and λ_U */
  desirableWeight?: number;
  undesirableWeight?: number;
  /** listwise: answers per ranking K (the batch holds K−1 consecutive pairs per ranking; default 2) */
  listSize?: number;
};

/**
 * TRL's reward metrics of a preference loss's output: the means of the
 * implicit rewards of chosen and rejected answers, `rewards/margins` the mean
 * of `margins` (default chosen − rejected), `rewards/accuracies` the loss's
 * `accuracy` (default the share of positive margins). Consumes those four
 * (and nothing else of `out`).
 */
export function rewardMetrics(out: {
  chosenRewards: np.Array;
  rejectedRewards: np.Array;
  margins?: np.Array;
  accuracy?: np.Array;
}): Record<string, np.Array> {
  const margins = out.margins ?? out.chosenRewards.ref.sub(out.rejectedRewards.ref);
  return {
    "rewards/chosen": out.chosenRewards.mean(),
    "rewards/rejected": out.rejectedRewards.mean(),
    "rewards/accuracies": out.accuracy ?? np.mean(np.greater(margins.ref, 0).astype(np.float32)),
    "rewards/margins": margins.mean(),
  };
}

/**
 * The loss of a packed batch and its metrics, differentiable in `params`.
 * Consumes params, batch and the reference log-probs (summed; unused by SimPO and ORPO).
 */
export function familyPairObjective(
  c: LMConfig,
  params: LMParams,
  batch: PackedPairArrays,
  refChosen: np.Array,
  refRejected: np.Array,
  o: FamilyOptions,
): [np.Array, Record<string, np.Array>] {
  const chosenLengths = batch.chosenMask.ref.sum(-1);
  const rejectedLengths = batch.rejectedMask.ref.sum(-1);
  const { chosen, rejected } = pairLogProbs(c, params, batch);
  const logps = {
    "logps/chosen": chosen.ref.mean(),
    "logps/rejected": rejected.ref.mean(),
  };
  if (o.type === "listwise") {
    chosenLengths.dispose();
    rejectedLengths.dispose();
    const k = o.listSize ?? 2;
    const n = chosen.shape[0] / (k - 1);
    if (!(Number.isInteger(k) && k >= 2 && Number.isInteger(n)))
      throw new RangeError(`listwise: ${chosen.shape[0]} pairs are not rankings of ${k}`);
    // [N, K]: the best answer (the same in each of a ranking's pairs) then the K−1 below it
    const ranked = (best: np.Array, below: np.Array) =>
      np.concatenate([best.reshape([n, k - 1]).slice([], [0, 1]), below.reshape([n, k - 1])], 1);
    const out = listwiseDpoLoss(
      { policyLogps: ranked(chosen, rejected), refLogps: ranked(refChosen, refRejected) },
      { beta: o.beta },
    );
    out.losses.dispose();
    const best = out.rewards.ref.slice([], [0, 1]);
    const below = out.rewards.slice([], [1, k]);
    return [
      out.loss,
      {
        ...rewardMetrics({ chosenRewards: best, rejectedRewards: below, accuracy: out.accuracy }),
        ...logps,
      },
    ];
  }
  if (o.type === "kto") {
    chosenLengths.dispose();
    rejectedLengths.dispose();
    const n = chosen.shape[0];
    const desirable = np.concatenate([np.ones([n]), np.zeros([n])]);
    const out = ktoLoss(
      {
        policyLogps: np.concatenate([chosen, rejected]),
        refLogps: np.concatenate([refChosen, refRejected]),
        desirable,
      },
      {
        beta: o.beta,
        desirableWeight: o.desirableWeight,
        undesirableWeight: o.undesirableWeight,
      },
    );
    out.losses.dispose();
    const chosenRewards = out.rewards.ref.slice([0, n]);
    const rejectedRewards = out.rewards.slice([n, 2 * n]);
    return [
      out.loss,
      {
        ...rewardMetrics({ chosenRewards, rejectedRewards }),
        kl: out.kl,
        ...logps,
      },
    ];
  }
  if (o.type === "simpo") {
    const out = simpoLoss(
      { policyChosenLogps: chosen, policyRejectedLogps: rejected, chosenLengths, rejectedLengths },
      { beta: o.beta, gamma: o.simpoGamma ?? 0.5 },
    );
    out.losses.dispose();
    return [out.loss, { ...rewardMetrics(out), ...logps }];
  }
  const out = orpoLoss(
    { policyChosenLogps: chosen, policyRejectedLogps: rejected, chosenLengths, rejectedLengths },
    { lambda: o.beta },
  );
  out.losses.dispose();
  return [
    out.loss,
    {
      ...rewardMetrics(out),
      log_odds_chosen: out.logOdds.mean(),
      nll_loss: out.nll,
      ...logps,
    },
  ];
}
