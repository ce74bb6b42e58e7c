/** Parameter initialisers for the diffusion model's affine and norm layers (apply with src/nn/linear.ts). */
import { numpy as np, random } from "../../engine/jax.js";

export type DenseParams = { weight: np.Array; bias: np.Array };
export type NormParams = { weight: np.Array; bias: np.Array };

/** W ~ N(0, scale²/in) of shape [in, out], b = 0. */
export function initDense(key: np.Array, nin: number, nout: number, scale = 1): DenseParams {
  return {
    weight: random.normal(key, [nin, nout]).mul(scale / Math.sqrt(nin)),
    bias: np.zeros([nout]),
  };
}

export function zeroDense(nin: number, nout: number): DenseParams {
  return { weight: np.zeros([nin, nout]), bias: np.zeros([nout]) };
}

export function initNorm(n: number): NormParams {
  return { weight: np.ones([n]), bias: np.zeros([n]) };
}
