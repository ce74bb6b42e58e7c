/**
 * KTO (Ethayarajh et al. 2024), alignment from unpaired feedback: each
 * completion is only labelled desirable or undesirable. With the implicit
 * reward h = log π(y|c) − log π_ref(y|c) and the reference point z₀, an
 * estimate of KL(π ‖ π_ref) that carries no gradient (TRL: the batch mean of h
 * on mismatched completions, clamped at 0):
 *   desirable:    λ_D·(1 − σ(β·(h − z₀)))
 *   undesirable:  λ_U·(1 − σ(β·(z₀ − h)))
 * TRL's KTOTrainer defaults: β = 0.1, λ_D = λ_U = 1; rewards logged as β·h.
 */
import { lax, nn, numpy as np } from "../engine/jax.js";

export type KtoInputs = {
  /** summed completion log-probs under the policy and the reference [N] */
  policyLogps: np.Array;
  refLogps: np.Array;
  /** 1 for desirable, 0 for undesirable [N] */
  desirable: np.Array;
};

export type KtoOptions = {
  beta: number;
  desirableWeight?: number;
  undesirableWeight?: number;
  /**
   * the reference point z₀: a number, or policy−reference log-ratios [M] whose
   * mean clamped at 0 is z₀ (gradient stopped); default: the inputs' own h
   */
  kl?: number | np.Array;
};

export type KtoOutput = {
  /** mean of `losses` (scalar) */
  loss: np.Array;
  losses: np.Array;
  /** β·h [N] */
  rewards: np.Array;
  /** z₀ (scalar) */
  kl: np.Array;
};

/** KTO loss over labelled completions (consumes the inputs, and `kl` if it is an array). */
export function ktoLoss(inputs: KtoInputs, opts: KtoOptions): KtoOutput {
  const { beta } = opts;
  if (!(beta > 0)) throw new RangeError(`beta must be positive, got ${beta}`);
  const wD = opts.desirableWeight ?? 1;
  const wU = opts.undesirableWeight ?? 1;
  const h = inputs.policyLogps.sub(inputs.refLogps);
  let z0: np.Array;
  if (typeof opts.kl === "number") z0 = np.array(Math.max(0, opts.kl), { dtype: np.float32 });
  else {
    const src = opts.kl ?? h.ref;
    z0 = lax.stopGradient(np.maximum(np.mean(src), 0));
  }
  const d = inputs.desirable.astype(np.float32);
  const u = np.subtract(1, d.ref);
  // 1 − σ(x) = σ(−x)
  const lossD = nn.sigmoid(z0.ref.sub(h.ref).mul(beta));
  const lossU = nn.sigmoid(h.ref.sub(z0.ref).mul(beta));
  const losses = d.mul(lossD).mul(wD).add(u.mul(lossU).mul(wU));
  return { loss: np.mean(losses.ref), losses, rewards: h.mul(beta), kl: z0 };
}
