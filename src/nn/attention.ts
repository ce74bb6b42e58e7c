/**
 * Scaled dot-product attention with grouped-query heads and an additive mask:
 * out = softmax(Q Kᵀ / √H + bias) V, per head; query head n reads key/value
 * head ⌊n / (N/K)⌋. Masked logits get −1e9 (finite, so a fully padded query
 * row yields a harmless uniform average instead of NaN).
 */
import { nn, numpy as np } from "../engine/jax.js";

export const MASKED = -1e9;

/**
 * Additive attention bias [B, 1, T, S] allowing query t (absolute position
 * S − T + t) to see key s iff s ≤ S − T + t (causal) and keyMask[b, s] = 1
 * (padding). `keyMask` is a float/bool/int array [B, S] or omitted.
 * Consumes `keyMask`.
 */
export function attentionBias(T: number, S: number, keyMask?: np.Array): np.Array {
  const causal = np.tri(T, S, S - T, { dtype: np.float32 }).reshape([1, 1, T, S]);
  let allowed = causal;
  if (keyMask !== undefined) {
    const [B] = keyMask.shape;
    allowed = allowed.mul(keyMask.astype(np.float32).reshape([B, 1, 1, S]));
  }
  return allowed.sub(1).mul(-MASKED);
}

/**
 * q [B, T, N, H], k and v [B, S, K, H] (K divides N), bias broadcastable to
 * [B, N, T, S]. Returns [B, T, N·H]. Consumes its arguments.
 */
export function attention(q: np.Array, k: np.Array, v: np.Array, bias: np.Array): np.Array {
  const [B, T, N, H] = q.shape;
  const K = k.shape[2];
  if (N % K !== 0) throw new Error(`attention: ${N} query heads not divisible by ${K} kv heads`);
  if (N !== K) {
    k = np.repeat(k, N / K, 2);
    v = np.repeat(v, N / K, 2);
  }
  const qh = q.transpose([0, 2, 1, 3]); // [B, N, T, H]
  const kh = k.transpose([0, 2, 3, 1]); // [B, N, H, S]
  const vh = v.transpose([0, 2, 1, 3]); // [B, N, S, H]
  const scores = np
    .matmul(qh, kh)
    .mul(1 / Math.sqrt(H))
    .add(bias);
  return np
    .matmul(nn.softmax(scores, -1), vh)
    .transpose([0, 2, 1, 3])
    .reshape([B, T, N * H]);
}
