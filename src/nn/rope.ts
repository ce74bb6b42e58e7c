/**
 * Rotary position embedding in Hugging Face's rotate-half convention:
 * with inv_freq_i = θ^(−2i/H) (i < H/2) and angle_{p,i} = p · inv_freq_(i mod H/2),
 * rope(x)_p = x_p ⊙ cos(angle_p) + rotate_half(x_p) ⊙ sin(angle_p),
 * rotate_half([x1, x2]) = [−x2, x1].
 */
import { numpy as np } from "../engine/jax.js";

/** Host-side cos/sin tables [T, H] for the given absolute positions. */
export function ropeTables(
  positions: ArrayLike<number>,
  headDim: number,
  theta: number,
): { cos: Float32Array<ArrayBuffer>; sin: Float32Array<ArrayBuffer> } {
  const T = positions.length;
  const half = headDim / 2;
  const cos = new Float32Array(T * headDim);
  const sin = new Float32Array(T * headDim);
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < half; i++) {
      // float32 inv_freq like transformers, angle in float64
      const invFreq = Math.fround(1 / theta ** ((2 * i) / headDim));
      const a = positions[t] * invFreq;
      const c = Math.cos(a);
      const s = Math.sin(a);
      cos[t * headDim + i] = c;
      cos[t * headDim + half + i] = c;
      sin[t * headDim + i] = s;
      sin[t * headDim + half + i] = s;
    }
  }
  return { cos, sin };
}

/**
 * Applies RoPE to x of shape [B, T, N, H] for positions offset..offset+T−1.
 * Consumes `x`.
 */
export function rope(x: np.Array, offset: number, theta: number): np.Array {
  const [, T, , H] = x.shape;
  const pos = Array.from({ length: T }, (_, t) => offset + t);
  const { cos, sin } = ropeTables(pos, H, theta);
  const cosA = np.array(cos, { shape: [1, T, 1, H], dtype: x.dtype });
  const sinA = np.array(sin, { shape: [1, T, 1, H], dtype: x.dtype });
  return ropeApply(x, cosA, sinA);
}

/**
 * x ⊙ cos + rotate_half(x) ⊙ sin with given tables broadcastable to x
 * [B, T, N, H] (e.g. [B, T, 1, H] for per-row positions). Consumes its arguments.
 */
export function ropeApply(x: np.Array, cos: np.Array, sin: np.Array): np.Array {
  const H = x.shape[3];
  const half = H / 2;
  const x1 = x.ref.slice([], [], [], [0, half]);
  const x2 = x.ref.slice([], [], [], [half, H]);
  const rotated = np.concatenate([x2.neg(), x1], -1);
  return x.mul(cos).add(rotated.mul(sin));
}
