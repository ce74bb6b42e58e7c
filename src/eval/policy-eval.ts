/**
 * Evaluating a policy on the embedded world: samples y ∼ π(·|c) on held-out
 * prompts, their mean AFINN reward, and the sequence-level KL estimated on
 * those same samples, KL(π ‖ π_ref) ≈ mean_i [log π(y_i|c_i) − log π_ref(y_i|c_i)]
 * (an unbiased Monte-Carlo estimate; log-probs summed over completion tokens,
 * EOS included when sampled).
 */
import { collateSequences } from "../data/preference-collate.js";
import {
  type PromptTokenizer,
  promptIds,
  type ScoredSamples,
  sampleAndScore,
} from "../data/sentiment-preferences.js";
import { jit, numpy as np } from "../engine/jax.js";
import { refTree } from "../engine/pytree.js";
import type { LMConfig } from "../models/lm/config.js";
import { sequenceLogProbs } from "../models/lm/logprobs.js";
import type { LMParams } from "../models/lm/params.js";

/** Summed completion log-probs log π(completion | prompt) per row, in batches. Does not consume `params`. */
export async function completionLogps(
  c: LMConfig,
  params: LMParams,
  rows: { prompt: number[]; completion: number[] }[],
  o: { batchSize?: number; padTokenId?: number } = {},
): Promise<number[]> {
  const bs = o.batchSize ?? 32;
  const f = jit((p: LMParams, ids: np.Array, mask: np.Array) => sequenceLogProbs(c, p, ids, mask));
  const out: number[] = [];
  for (let i = 0; i < rows.length; i += bs) {
    const chunk = rows.slice(i, i + bs);
    const b = collateSequences(chunk, { padTokenId: o.padTokenId ?? 0, batchSize: bs });
    const ids = np.array(b.ids, { dtype: np.int32 }).reshape([b.B, b.T]);
    const mask = np.array(b.mask).reshape([b.B, b.T]);
    const lp = (await f(refTree(params), ids, mask).data()) as Float32Array;
    for (let k = 0; k < chunk.length; k++) out.push(lp[k]);
  }
  f.dispose();
  return out;
}

export type PolicyEvaluation = {
  /** mean AFINN reward of samples */
  reward: number;
  /** standard error of the mean reward */
  rewardSE: number;
  /** sequence-level KL(π ‖ π_ref) estimated on the samples */
  kl: number;
  samples: ScoredSamples[];
};

/** Samples `n` completions per prompt from the policy and scores reward and KL to the reference. */
export async function evaluatePolicy(
  c: LMConfig,
  policy: LMParams,
  ref: LMParams,
  tok: PromptTokenizer & { padTokenId?: number },
  prompts: string[],
  o: { n?: number; maxNewTokens?: number; seed?: number } = {},
): Promise<PolicyEvaluation> {
  const samples = await sampleAndScore(c, policy, tok, prompts, {
    n: o.n ?? 4,
    maxNewTokens: o.maxNewTokens ?? 16,
    seed: o.seed ?? 12345,
  });
  const rows: { prompt: number[]; completion: number[] }[] = [];
  const rewards: number[] = [];
  for (const s of samples) {
    const p = promptIds(tok, s.prompt);
    s.ids.forEach((ids, j) => {
      rows.push({ prompt: p, completion: ids });
      rewards.push(s.rewards[j]);
    });
  }
  const pad = tok.padTokenId ?? 0;
  const lp = await completionLogps(c, policy, rows, { padTokenId: pad });
  const lq = await completionLogps(c, ref, rows, { padTokenId: pad });
  const n = rows.length;
  const mean = rewards.reduce((a, b) => a + b, 0) / n;
  const variance = rewards.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1);
  let kl = 0;
  for (let i = 0; i < n; i++) kl += lp[i] - lq[i];
  return { reward: mean, rewardSE: Math.sqrt(variance / n), kl: kl / n, samples };
}
