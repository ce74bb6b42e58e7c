/**
 * Erased Stable Diffusion (Gandikota et al. 2023), the baseline DUO is
 * compared with: the tuned model's conditional prediction is regressed onto
 *   ε_target = ε_ref(x_t) − η·(ε_ref(x_t, c) − ε_ref(x_t))
 * i.e. negative guidance away from the concept c.
 */
import type { numpy as np } from "../engine/jax.js";

/** The ESD regression target (consumes both reference predictions). */
export function esdTarget(refEpsUncond: np.Array, refEpsCond: np.Array, eta: number): np.Array {
  return refEpsUncond.ref.sub(refEpsCond.sub(refEpsUncond).mul(eta));
}
