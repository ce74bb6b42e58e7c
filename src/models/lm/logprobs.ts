/**
 * Log-probabilities of given tokens under the model, the quantity every
 * preference objective is built from. Pure and jit/grad-traceable; target
 * log-probs are picked with a one-hot product (a gather's cotangent can fail
 * under jit(valueAndGrad), DESIGN §4). Batches are right-padded, so with the
 * causal mask real positions never see padding and no key mask is needed.
 */
import { numpy as np } from "../../engine/jax.js";
import { pickedLogProbs } from "../../nn/picked-log-probs.js";
import type { LMConfig } from "./config.js";
import { forward } from "./forward.js";
import type { LMParams } from "./params.js";

/**
 * logp[b, t] = log softmax(logits[b, t])[ids[b, t+1]] for t < T−1: the
 * log-probability of each next token, shape [B, T−1]. Consumes `params`, `ids`.
 */
export function nextTokenLogProbs(c: LMConfig, params: LMParams, ids: np.Array): np.Array {
  const [B, T] = ids.shape;
  const { logits } = forward(c, params, ids.ref);
  return pickedLogProbs(logits.slice([], [0, T - 1]), ids.slice([], [1, T]), c.vocabSize).reshape([
    B,
    T - 1,
  ]);
}

/**
 * Per-sequence completion log-probability, shape [B]:
 * s_b = Σ_{t≥1} mask[b, t] · log π(ids[b, t] | ids[b, <t]), where `mask` [B, T]
 * is 1 on completion tokens (0 on prompt and padding); with `average`, divided
 * by Σ_t mask[b, t] (IPO's length-averaged log-probs). Consumes its arrays.
 */
export function sequenceLogProbs(
  c: LMConfig,
  params: LMParams,
  ids: np.Array,
  mask: np.Array,
  opts: { average?: boolean } = {},
): np.Array {
  const T = ids.shape[1];
  const m = mask.astype(np.float32).slice([], [1, T]);
  const lp = nextTokenLogProbs(c, params, ids);
  if (!opts.average) {
    return lp.mul(m).sum(-1);
  }
  const n = m.ref.sum(-1);
  return lp.mul(m).sum(-1).div(np.maximum(n, 1));
}

/**
 * Mean next-token negative log-likelihood over masked targets (language
 * modelling / SFT loss): −Σ mask·logp / Σ mask. Consumes its arrays.
 */
export function maskedNLL(c: LMConfig, params: LMParams, ids: np.Array, mask: np.Array): np.Array {
  const T = ids.shape[1];
  const m = mask.astype(np.float32).slice([], [1, T]);
  const lp = nextTokenLogProbs(c, params, ids);
  const n = m.ref.sum();
  return lp.mul(m).sum().neg().div(np.maximum(n, 1));
}

export type Collated = {
  /** [B, T] token ids, right-padded with `padId`. */
  ids: Int32Array<ArrayBuffer>;
  /** [B, T] 1 on completion tokens. */
  completionMask: Float32Array<ArrayBuffer>;
  /** [B, T] 1 on real (prompt or completion) tokens. */
  attentionMask: Float32Array<ArrayBuffer>;
  B: number;
  T: number;
};

/**
 * Host-side collation of prompt/completion id pairs into a right-padded
 * batch. Over `maxLength`, the prompt keeps its last
 * max(maxLength − |completion|, ⌈maxLength/2⌉) tokens, then the completion is
 * cut at its end. T = longest row (or `padTo`).
 */
export function collatePromptCompletion(
  rows: { prompt: number[]; completion: number[] }[],
  padId: number,
  opts: { maxLength?: number; padTo?: number } = {},
): Collated {
  const max = opts.maxLength ?? Number.POSITIVE_INFINITY;
  const cut = rows.map(({ prompt, completion }) => {
    let p = prompt;
    let cpl = completion;
    if (p.length + cpl.length > max) {
      const keep = Math.max(max - cpl.length, Math.ceil(max / 2));
      if (p.length > keep) p = p.slice(p.length - keep);
      cpl = cpl.slice(0, Math.max(0, max - p.length));
    }
    return { p, cpl };
  });
  const B = rows.length;
  const T = Math.max(opts.padTo ?? 0, ...cut.map(({ p, cpl }) => p.length + cpl.length), 2);
  const ids = new Int32Array(B * T).fill(padId);
  const completionMask = new Float32Array(B * T);
  const attentionMask = new Float32Array(B * T);
  cut.forEach(({ p, cpl }, b) => {
    const seq = [...p, ...cpl];
    for (let t = 0; t < seq.length; t++) {
      ids[b * T + t] = seq[t];
      attentionMask[b * T + t] = 1;
      if (t >= p.length) completionMask[b * T + t] = 1;
    }
  });
  return { ids, completionMask, attentionMask, B, T };
}
