/**
 * One DPO update as a single jit-compiled program: the policy's
 * prefix-shared forward over a packed batch of pairs (src/models/lm/pair-pack.ts:
 * each prompt once, head only where a completion token is predicted), the
 * preference loss against cached reference log-probs, its gradient, and the
 * AdamW update — nothing returns to the host but the loss and metrics.
 *   L = preferenceLoss((log π(x_w|c) − log π_ref(x_w|c)) − (log π(x_l|c) − log π_ref(x_l|c)))
 */
import { jit, type numpy as np, valueAndGrad } from "../engine/jax.js";
import { refTree } from "../engine/pytree.js";
import type { LMConfig } from "../models/lm/config.js";
import { type PackedPairArrays, pairLogProbs } from "../models/lm/pair-logprobs.js";
import type { LMParams } from "../models/lm/params.js";
import { dpoLoss } from "../objectives/dpo.js";
import type { PreferenceLossType } from "../objectives/preference-loss.js";
import type { AdamState, Adamw } from "../train/optimizer.js";
import {
  type FamilyLossType,
  type FamilyOptions,
  familyPairObjective,
  isFamilyLossType,
  rewardMetrics,
} from "./dpo-family.js";

export type DpoStepOptions = {
  beta: number;
  /** a margin loss of preferenceLoss, or a DPO-family member (src/pipelines/dpo-family.ts) */
  type?: PreferenceLossType | FamilyLossType;
  labelSmoothing?: number;
} & Pick<FamilyOptions, "simpoGamma" | "desirableWeight" | "undesirableWeight" | "listSize">;

export type DpoStepResult<T = LMParams> = {
  loss: np.Array;
  /** TRL's metric names: rewards/chosen, rewards/rejected, rewards/accuracies, rewards/margins, logps/chosen, logps/rejected */
  aux: Record<string, np.Array>;
  params: T;
  state: AdamState<T>;
  gradNorm: np.Array;
};

/** Frozen weights the policy is built from besides the trained ones (none for full fine-tuning). */
export type NoBase = Record<string, never>;

export type DpoStepFn<T = LMParams, Base = NoBase> = ((
  params: T,
  base: Base,
  state: AdamState<T>,
  batch: PackedPairArrays,
  refChosen: np.Array,
  refRejected: np.Array,
  lr: np.Array,
) => DpoStepResult<T>) & { dispose(): void };

/**
 * The DPO loss of a packed batch and TRL's logged metrics, differentiable in
 * `params`: one prefix-shared forward over [prompt | chosen | rejected] rows,
 * log-probs summed (length-averaged for IPO), `dpoLoss` against the
 * reference. Consumes params, batch and the reference log-probs.
 */
export function dpoPairObjective(
  c: LMConfig,
  params: LMParams,
  batch: PackedPairArrays,
  refChosen: np.Array,
  refRejected: np.Array,
  o: DpoStepOptions,
): [np.Array, Record<string, np.Array>] {
  const type = o.type ?? "sigmoid";
  if (isFamilyLossType(type))
    return familyPairObjective(c, params, batch, refChosen, refRejected, { ...o, type });
  const { chosen, rejected } = pairLogProbs(c, params, batch, { average: o.type === "ipo" });
  const out = dpoLoss(
    {
      policyChosenLogps: chosen.ref,
      policyRejectedLogps: rejected.ref,
      refChosenLogps: refChosen,
      refRejectedLogps: refRejected,
    },
    { ...o, type },
  );
  out.losses.dispose();
  return [
    out.loss,
    {
      ...rewardMetrics(out),
      "logps/chosen": chosen.mean(),
      "logps/rejected": rejected.mean(),
    },
  ];
}

/**
 * The compiled step for model `c` and optimiser `opt`. The trained weights
 * `params` and the frozen `base` (e.g. LoRA adapters and the model they
 * adapt) make the policy through `policyOf` (default: `params` is the whole
 * model, `base` is `{}`). Consumes params, base, state, batch, reference
 * log-probs [n] (length-averaged for IPO) and the learning rate (a float32
 * scalar); returns the updated params and state.
 */
export function makeDpoStep<T = LMParams, Base = NoBase>(
  c: LMConfig,
  opt: Adamw,
  o: DpoStepOptions,
  policyOf: (params: T, base: Base) => LMParams = (t) => t as unknown as LMParams,
): DpoStepFn<T, Base> {
  const lossOpts = {
    ...o,
    type: o.type ?? "sigmoid",
    labelSmoothing: o.labelSmoothing ?? 0,
  };
  // traced over concrete pytrees; T and Base only shape the caller's view
  const policy = policyOf as unknown as (p: LMParams, base: LMParams | NoBase) => LMParams;
  const objective = (
    p: LMParams,
    base: LMParams | NoBase,
    batch: PackedPairArrays,
    refC: np.Array,
    refR: np.Array,
  ): [np.Array, Record<string, np.Array>] =>
    dpoPairObjective(c, policy(p, base), batch, refC, refR, lossOpts);
  return jit(
    (
      p: LMParams,
      base: LMParams | NoBase,
      st: AdamState<LMParams>,
      batch: PackedPairArrays,
      refC: np.Array,
      refR: np.Array,
      lr: np.Array,
    ): DpoStepResult => {
      const [[loss, aux], grads] = valueAndGrad(objective, { hasAux: true })(
        refTree(p),
        base,
        batch,
        refC,
        refR,
      );
      const next = opt.step(p, grads, st, lr);
      return { loss, aux, params: next.params, state: next.state, gradNorm: next.gradNorm };
    },
  ) as unknown as DpoStepFn<T, Base>;
}
