/**
 * Diffusion-DPO (Wallace et al. 2023), the lecture's form:
 *   inside = −β·[(err_θ(x_w) − err_ref(x_w)) − (err_θ(x_l) − err_ref(x_l))]
 *   L = −E log σ(inside)
 * where err are per-example mean-squared denoising errors at the same noise
 * and timestep for winner and loser, and T·ω(λ_t) is folded into β (β in the
 * thousands for pixel-mean errors). No extra ½ (the reference code has one).
 * Implicit accuracy is the share of pairs with inside > 0.
 */
import { numpy as np } from "../engine/jax.js";
import { type PreferenceLossType, preferenceLoss } from "./preference-loss.js";

export type DiffusionDpoInputs = {
  modelErrChosen: np.Array;
  modelErrRejected: np.Array;
  refErrChosen: np.Array;
  refErrRejected: np.Array;
};

export type DiffusionDpoOptions = {
  beta: number;
  type?: PreferenceLossType;
  labelSmoothing?: number;
};

/** The implicit-reward margin −[(err_θ(w) − err_ref(w)) − (err_θ(l) − err_ref(l))] [N] (consumes inputs). */
export function diffusionDpoMargin(inputs: DiffusionDpoInputs): np.Array {
  const improveChosen = inputs.modelErrChosen.sub(inputs.refErrChosen);
  const improveRejected = inputs.modelErrRejected.sub(inputs.refErrRejected);
  return improveRejected.sub(improveChosen);
}

/** Scalar loss, per-pair losses, `inside` = β·margin and implicit accuracy (consumes inputs). */
export function diffusionDpoLoss(
  inputs: DiffusionDpoInputs,
  opts: DiffusionDpoOptions,
): { loss: np.Array; losses: np.Array; inside: np.Array; implicitAccuracy: np.Array } {
  const margin = diffusionDpoMargin(inputs);
  const inside = margin.ref.mul(opts.beta);
  const losses = preferenceLoss(margin, {
    type: opts.type,
    beta: opts.beta,
    labelSmoothing: opts.labelSmoothing,
  });
  const implicitAccuracy = np.mean(np.greater(inside.ref, 0).astype(np.float32));
  return { loss: np.mean(losses.ref), losses, inside, implicitAccuracy };
}
