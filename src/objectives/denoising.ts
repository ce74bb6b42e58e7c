/**
 * The DDPM denoising objective E‖ε − ε_θ(x_t, t)‖². Errors are mean squared
 * over every non-batch axis (pixels and channels), one per example, as the
 * Diffusion-DPO reference code computes them.
 */
import { numpy as np } from "../engine/jax.js";

/** Per-example mean squared error [N] between predictions and targets [N, ...] (consumes both). */
export function denoisingErrors(pred: np.Array, target: np.Array): np.Array {
  const axes = Array.from({ length: pred.ndim - 1 }, (_, i) => i + 1);
  const sq = np.square(pred.sub(target));
  return axes.length === 0 ? sq : np.mean(sq, axes);
}

/** Scalar mean over the batch of `denoisingErrors` (consumes both). */
export function denoisingLoss(pred: np.Array, target: np.Array): np.Array {
  return np.mean(denoisingErrors(pred, target));
}

/**
 * Weighted mean Σ_i w_i · err_i / N of the per-example errors (consumes all):
 * w [N] from a loss-weighting rule such as Min-SNR (objectives/min-snr.ts).
 */
export function weightedDenoisingLoss(pred: np.Array, target: np.Array, w: np.Array): np.Array {
  return np.mean(denoisingErrors(pred, target).mul(w));
}
