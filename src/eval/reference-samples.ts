/**
 * The reference samples behind the π* estimate (src/eval/optimum-frontier.ts):
 * n completions per held-out prompt from π_ref, scored by the true reward
 * (AFINN of prompt + completion). Drawn once and cached as JSON, because a
 * converged estimate needs hundreds of samples per prompt.
 */
import { existsSync, readFileSync } from "node:fs";
import { sampleAndScore } from "../data/sentiment-preferences.js";
import { writeJsonAtomic } from "../engine/atomic.js";
import type { CausalLM } from "../models/lm/causal-lm.js";
import type { ReferenceRewards } from "./optimum-frontier.js";

export type ReferenceSamples = {
  prompts: string[];
  samplesPerPrompt: number;
  maxNewTokens: number;
  seed: number;
  /** seconds the sampling took */
  seconds: number;
  rewards: ReferenceRewards;
};

/**
 * Reference rewards for `prompts`, read from `cachePath` when it holds the same
 * prompts, sample count, length and seed, else sampled (in chunks of `chunk`
 * prompts, reporting progress) and written there.
 */
export async function referenceSamples(
  ref: CausalLM,
  prompts: string[],
  o: {
    n: number;
    maxNewTokens: number;
    seed: number;
    cachePath: string;
    chunk?: number;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<ReferenceSamples> {
  if (existsSync(o.cachePath)) {
    const c = JSON.parse(readFileSync(o.cachePath, "utf8")) as ReferenceSamples;
    const same =
      c.samplesPerPrompt === o.n &&
      c.maxNewTokens === o.maxNewTokens &&
      c.seed === o.seed &&
      c.prompts.length === prompts.length &&
      c.prompts.every((p, i) => p === prompts[i]);
    if (same) return c;
  }
  const t0 = Date.now();
  const chunk = o.chunk ?? 8;
  const rewards: ReferenceRewards = [];
  for (let i = 0; i < prompts.length; i += chunk) {
    const s = await sampleAndScore(
      ref.config,
      ref.params,
      ref.tokenizer,
      prompts.slice(i, i + chunk),
      {
        n: o.n,
        maxNewTokens: o.maxNewTokens,
        seed: o.seed + i,
      },
    );
    for (const x of s) rewards.push(x.rewards);
    o.onProgress?.(rewards.length, prompts.length);
  }
  const out: ReferenceSamples = {
    prompts,
    samplesPerPrompt: o.n,
    maxNewTokens: o.maxNewTokens,
    seed: o.seed,
    seconds: (Date.now() - t0) / 1000,
    rewards,
  };
  writeJsonAtomic(o.cachePath, out);
  return out;
}
