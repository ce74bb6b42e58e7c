/**
 * One loss over implicit-reward margins serves every preference objective
 * (DESIGN §1): DPO (margin = log-ratio of chosen minus rejected), Diffusion-DPO
 * (margin = −T·ω·(error improvement of chosen minus rejected)) and reward
 * models (margin = r_φ(chosen) − r_φ(rejected), β = 1).
 *
 * With m the margin, z = β·m and ε the label smoothing (TRL's definitions):
 * - sigmoid: −(1−ε)·log σ(z) − ε·log σ(−z)        (ε > 0 is conservative DPO, cDPO)
 * - hinge:   max(0, 1 − z)                         (SLiC)
 * - ipo:     (m − 1/(2β))²                         (IPO; m as given, β not applied)
 * - robust:  ((1−ε)·(−log σ(z)) − ε·(−log σ(−z))) / (1 − 2ε)   (rDPO, unbiased under label noise)
 */
import { numpy as np } from "../engine/jax.js";
import { softplus } from "../nn/softplus.js";

export type PreferenceLossType = "sigmoid" | "hinge" | "ipo" | "robust";

export type PreferenceLossOptions = {
  type?: PreferenceLossType;
  beta: number | np.Array;
  labelSmoothing?: number;
};

/** Per-example losses [N] for margins [N] (consumes `margins`, and `beta` if it is an array). */
export function preferenceLoss(margins: np.Array, opts: PreferenceLossOptions): np.Array {
  const type = opts.type ?? "sigmoid";
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps < 0.5)) {
    throw new RangeError(`labelSmoothing must be in [0, 0.5), got ${eps}`);
  }
  const beta = opts.beta;
  switch (type) {
    case "sigmoid": {
      const z = margins.mul(beta);
      // −log σ(z) = softplus(−z), stable for large |z|
      const lossPos = softplus(z.ref.neg());
      if (eps === 0) {
        z.dispose();
        return lossPos;
      }
      const lossNeg = softplus(z);
      return lossPos.mul(1 - eps).add(lossNeg.mul(eps));
    }
    case "robust": {
      const z = margins.mul(beta);
      const lossPos = softplus(z.ref.neg());
      const lossNeg = softplus(z);
      return lossPos
        .mul(1 - eps)
        .sub(lossNeg.mul(eps))
        .div(1 - 2 * eps);
    }
    case "hinge":
      return np.maximum(0, np.subtract(1, margins.mul(beta)));
    case "ipo": {
      const target = typeof beta === "number" ? 1 / (2 * beta) : np.reciprocal(beta.mul(2));
      return np.square(margins.sub(target));
    }
    default:
      throw new RangeError(`unknown preference loss type "${type as string}"`);
  }
}
