/**
 * log softmax(logits)[target] along the last axis, for integer `targets`
 * (shape = logits' shape without its last axis):
 *   logits[target] − logsumexp(logits),  logsumexp = m + log Σ exp(logits − m),
 * with m the row maximum held constant under differentiation (exact: the
 * log-sum-exp does not depend on m, so ∂/∂m = 0 and m's own backward is
 * wasted work). The target logit is picked with a one-hot product (a
 * gather's cotangent can fail under jit(valueAndGrad), DESIGN §4).
 *
 * Why not nn.logSoftmax then a one-hot sum: the engine fuses the
 * log-softmax into that sum and evaluates its log once per vocabulary entry
 * (4 M scalar logs per DPO step on the benchmark shape, 25 ms); here it is
 * once per row. Consumes logits and targets.
 */
import { lax, numpy as np } from "../engine/jax.js";

export function pickedLogProbs(logits: np.Array, targets: np.Array, vocabSize: number): np.Array {
  const m = lax.stopGradient(logits.ref.max(-1, { keepdims: true }));
  const lse = np.log(np.exp(logits.ref.sub(m.ref)).sum(-1)).add(m.reshape(m.shape.slice(0, -1)));
  const picked = logits.mul(oneHotOf(targets, vocabSize)).sum(-1);
  return picked.sub(lse);
}

/**
 * float32 one-hot [..., V] of integer `targets` as a comparison with 0..V−1,
 * which the engine fuses into its consumer. Not nn.oneHot: that slices rows
 * of eye(V), and a compiled gradient can materialise the V×V identity
 * (10 GB at GPT-2's vocabulary of 50257). Consumes `targets`.
 */
export function oneHotOf(targets: np.Array, vocabSize: number): np.Array {
  const ids = np.arange(vocabSize).astype(np.int32);
  return np.equal(targets.reshape([...targets.shape, 1]), ids).astype(np.float32);
}
