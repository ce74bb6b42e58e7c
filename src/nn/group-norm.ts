/**
 * Group normalisation over NHWC feature maps (Wu & He, 2018):
 * y = γ · (x − μ_g) / √(σ²_g + ε) + β, with μ_g, σ²_g the mean and variance
 * over H, W and the C/G channels of each group, per example.
 */
import { numpy as np } from "../engine/jax.js";

export type GroupNormParams = { scale: np.Array; bias: np.Array };

export function initGroupNorm(channels: number): GroupNormParams {
  return { scale: np.ones([channels]), bias: np.zeros([channels]) };
}

/** x [B,H,W,C] → same shape; `groups` must divide C. Consumes x and p. */
export function groupNorm(p: GroupNormParams, x: np.Array, groups: number, eps = 1e-5): np.Array {
  const [B, H, W, C] = x.shape;
  if (C % groups !== 0) throw new Error(`groupNorm: ${groups} groups do not divide ${C} channels`);
  const xg = x.reshape([B, H * W, groups, C / groups]);
  const mu = np.mean(xg.ref, [1, 3], { keepdims: true });
  const xc = xg.sub(mu);
  const v = np.mean(np.square(xc.ref), [1, 3], { keepdims: true });
  const xn = xc.div(np.sqrt(v.add(eps))).reshape([B, H, W, C]);
  return xn.mul(p.scale).add(p.bias);
}
