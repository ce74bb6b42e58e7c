/**
 * The DPO task's other members: SimPO and ORPO (no reference model) and KTO
 * (each pair's chosen answer a desirable example, its rejected one an
 * undesirable example, as TRL's KTOTrainer unpairs preference data), on the
 * same prefix-shared packed batch as DPO, with TRL's metric names.
 *   simpo: preferenceLoss(ℓ̄_w − ℓ̄_l − γ/β; β)                      (src/objectives/simpo.ts)
 *   orpo:  −ℓ̄_w − β·log σ(log odds(y_w) − log odds(y_l))           (src/objectives/orpo.ts, λ = β as in TRL)
 *   kto:   1 − σ(β(h_w − z₀)),  1 − σ(β(z₀ − h_l)),  h = log π/π_ref (src/objectives/kto.ts)
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
import { orpoLoss } from "../objectives/orpo.js";
import { simpoLoss } from "../objectives/simpo.js";
import type { RefLogps } from "../train/ref-logp-cache.js";

export const FAMILY_LOSS_TYPES = ["simpo", "orpo", "kto"] as const;
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
};

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
    const rc = out.rewards.ref.slice([0, n]);
    const rr = out.rewards.slice([n, 2 * n]);
    const margins = rc.ref.sub(rr.ref);
    return [
      out.loss,
      {
        "rewards/chosen": rc.mean(),
        "rewards/rejected": rr.mean(),
        "rewards/accuracies": np.mean(np.greater(margins.ref, 0).astype(np.float32)),
        "rewards/margins": margins.mean(),
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
    return [
      out.loss,
      {
        "rewards/chosen": out.chosenRewards.mean(),
        "rewards/rejected": out.rejectedRewards.mean(),
        "rewards/accuracies": out.accuracy,
        "rewards/margins": out.margins.mean(),
        ...logps,
      },
    ];
  }
  const out = orpoLoss(
    { policyChosenLogps: chosen, policyRejectedLogps: rejected, chosenLengths, rejectedLengths },
    { lambda: o.beta },
  );
  out.losses.dispose();
  const margins = out.chosenRewards.ref.sub(out.rejectedRewards.ref);
  return [
    out.loss,
    {
      "rewards/chosen": out.chosenRewards.mean(),
      "rewards/rejected": out.rejectedRewards.mean(),
      "rewards/accuracies": out.accuracy,
      "rewards/margins": margins.mean(),
      log_odds_chosen: out.logOdds.mean(),
      nll_loss: out.nll,
      ...logps,
    },
  ];
}

/** The same losses and metrics on the host, from summed log-probs and token counts (held-out evaluation). */
export function familyMetricsFromLogps(
  policy: RefLogps,
  ref: RefLogps,
  o: FamilyOptions,
): Record<string, number> {
  const n = policy.chosen.length;
  const logSig = (z: number) => -(Math.max(-z, 0) + Math.log1p(Math.exp(-Math.abs(z))));
  const sig = (z: number) => 1 / (1 + Math.exp(-z));
  let z0 = 0;
  if (o.type === "kto") {
    for (let i = 0; i < n; i++)
      z0 += policy.chosen[i] - ref.chosen[i] + policy.rejected[i] - ref.rejected[i];
    z0 = Math.max(0, z0 / (2 * n));
  }
  let loss = 0;
  let rc = 0;
  let rr = 0;
  let acc = 0;
  for (let i = 0; i < n; i++) {
    const lw = policy.chosen[i] / Math.max(1, policy.chosenTokens[i]);
    const ll = policy.rejected[i] / Math.max(1, policy.rejectedTokens[i]);
    let a: number;
    let b: number;
    if (o.type === "simpo") {
      a = o.beta * lw;
      b = o.beta * ll;
      loss += -logSig(a - b - (o.simpoGamma ?? 0.5));
    } else if (o.type === "orpo") {
      a = o.beta * lw;
      b = o.beta * ll;
      const l1m = (x: number) => Math.log(-Math.expm1(Math.min(x, -1e-6)));
      loss += -lw - o.beta * logSig(lw - ll - (l1m(lw) - l1m(ll)));
    } else {
      const hw = policy.chosen[i] - ref.chosen[i];
      const hl = policy.rejected[i] - ref.rejected[i];
      a = o.beta * hw;
      b = o.beta * hl;
      loss +=
        ((o.desirableWeight ?? 1) * (1 - sig(o.beta * (hw - z0))) +
          (o.undesirableWeight ?? 1) * (1 - sig(o.beta * (z0 - hl)))) /
        2;
    }
    rc += a;
    rr += b;
    acc += a > b ? 1 : 0;
  }
  return {
    loss: loss / n,
    "rewards/chosen": rc / n,
    "rewards/rejected": rr / n,
    "rewards/accuracies": acc / n,
    "rewards/margins": (rc - rr) / n,
  };
}
