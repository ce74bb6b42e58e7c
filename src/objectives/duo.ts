/**
 * DUO (Park et al. 2024): unlearning a visual concept as preference
 * optimisation. The preference term is Diffusion-DPO with x_w a safe image,
 * x_l its unsafe counterpart and the empty prompt as condition; the output
 * preservation term keeps the model's prediction on pure noise at the last
 * timestep where the reference had it:
 *   L = L_DiffusionDPO + λ·E‖ε_θ(x_T, T, ∅) − ε_ref(x_T, T, ∅)‖²
 * (per-example errors mean-squared over pixels).
 */
import { numpy as np } from "../engine/jax.js";
import { denoisingErrors } from "./denoising.js";
import { type DiffusionDpoInputs, diffusionDpoLoss } from "./diffusion-dpo.js";

/** λ·mean over the batch of ‖ε_θ − ε_ref‖² (pixel-mean) (consumes both predictions). */
export function outputPreservationLoss(
  modelEps: np.Array,
  refEps: np.Array,
  lambda: number,
): np.Array {
  return np.mean(denoisingErrors(modelEps, refEps)).mul(lambda);
}

export type DuoInputs = DiffusionDpoInputs & {
  /** ε_θ(x_T, T, ∅) on pure noise */
  modelEpsNoise: np.Array;
  /** ε_ref(x_T, T, ∅) on the same noise */
  refEpsNoise: np.Array;
};

/** DUO's total loss and its two parts (consumes inputs). */
export function duoLoss(
  inputs: DuoInputs,
  opts: { beta: number; lambda: number },
): { loss: np.Array; dpoLoss: np.Array; preservationLoss: np.Array; implicitAccuracy: np.Array } {
  const { modelEpsNoise, refEpsNoise, ...pairs } = inputs;
  const dpo = diffusionDpoLoss(pairs, { beta: opts.beta });
  dpo.losses.dispose();
  dpo.inside.dispose();
  const preservationLoss = outputPreservationLoss(modelEpsNoise, refEpsNoise, opts.lambda);
  return {
    loss: dpo.loss.ref.add(preservationLoss.ref),
    dpoLoss: dpo.loss,
    preservationLoss,
    implicitAccuracy: dpo.implicitAccuracy,
  };
}
