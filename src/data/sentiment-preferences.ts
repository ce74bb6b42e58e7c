/**
 * The embedded world's preference data (the DPO paper's sentiment
 * experiment in miniature): prompts are the opening words of movie-review
 * sentences; a model samples k completions per prompt; each is scored by the
 * AFINN reward r = afinnScore(prompt + completion); every pair of distinct
 * samples of a prompt becomes a preference drawn from the Bradley–Terry model
 * of that reward, x_a ≻ x_b with probability σ((r_a − r_b)/τ).
 */
import { HostRng } from "../engine/random.js";
import type { LMConfig } from "../models/lm/config.js";
import type { LMParams } from "../models/lm/params.js";
import { sampleBatch } from "../models/lm/sample-batch.js";
import { afinnScore } from "./afinn.js";
import { movieReviewCorpus } from "./movie-reviews.js";
import type { PreferenceExample } from "./preference-data.js";

/** What sampling needs from a tokenizer. */
export type PromptTokenizer = {
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  decode(ids: number[], opts?: { skipSpecialTokens?: boolean }): string;
  eosTokenId?: number;
  bosTokenId?: number;
};

/**
 * The distinct opening phrases of a corpus drawn from `seed`, in first-seen
 * order, up to `n`: first-`words`-word prefixes, then longer ones when those
 * run out. Held-out prompts use another seed.
 */
export function sentimentPrompts(n: number, seed = 1234, words = 2): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  const corpus = movieReviewCorpus(40 * n + 200, seed);
  for (let w = words; w <= words + 2 && out.length < n; w++) {
    for (const s of corpus) {
      const parts = s.split(" ");
      if (parts.length <= w) continue;
      const p = parts.slice(0, w).join(" ");
      if (!seen.has(p)) {
        seen.add(p);
        out.push(p);
        if (out.length === n) break;
      }
    }
  }
  return out;
}

/** Completion text of sampled ids: EOS dropped; nothing sampled but EOS decodes to "". */
export function decodeCompletion(tok: PromptTokenizer, ids: number[]): string {
  const kept = ids.filter((t) => t !== tok.eosTokenId);
  return kept.length === 0 ? "" : tok.decode(kept);
}

/** Prompt ids as generation sees them: BOS (if any) then the prompt's tokens. */
export function promptIds(tok: PromptTokenizer, prompt: string): number[] {
  const ids = tok.encode(prompt);
  if (ids.length > 0) return ids;
  const b = tok.bosTokenId ?? tok.eosTokenId;
  if (b === undefined) throw new Error("promptIds: empty prompt and no BOS token");
  return [b];
}

export type ScoredSamples = {
  prompt: string;
  completions: string[];
  /** completion token ids (EOS included when sampled) */
  ids: number[][];
  rewards: number[];
};

/** k samples per prompt, decoded and scored by AFINN. Does not consume `params`. */
export async function sampleAndScore(
  c: LMConfig,
  params: LMParams,
  tok: PromptTokenizer,
  prompts: string[],
  o: { n: number; maxNewTokens?: number; temperature?: number; seed?: number },
): Promise<ScoredSamples[]> {
  const ids = await sampleBatch(
    c,
    params,
    prompts.map((p) => promptIds(tok, p)),
    {
      n: o.n,
      maxNewTokens: o.maxNewTokens ?? 16,
      temperature: o.temperature ?? 1,
      eosTokenId: tok.eosTokenId,
      seed: o.seed ?? 0,
    },
  );
  return prompts.map((prompt, i) => {
    const completions = ids[i].map((r) => decodeCompletion(tok, r));
    return {
      prompt,
      completions,
      ids: ids[i],
      rewards: completions.map((x) => afinnScore(`${prompt}${x}`)),
    };
  });
}

/**
 * Preference pairs from scored samples: all pairs of distinct completions of
 * a prompt, oriented by a Bradley–Terry draw at temperature τ (default 1).
 */
export function bradleyTerryPreferences(
  scored: ScoredSamples[],
  o: { seed?: number; temperature?: number } = {},
): PreferenceExample[] {
  const rng = new HostRng(o.seed ?? 0);
  const tau = o.temperature ?? 1;
  const out: PreferenceExample[] = [];
  for (const s of scored) {
    for (let a = 0; a < s.completions.length; a++) {
      for (let b = a + 1; b < s.completions.length; b++) {
        const xa = s.completions[a];
        const xb = s.completions[b];
        if (xa === xb || xa.trim() === "" || xb.trim() === "") continue;
        const pA = 1 / (1 + Math.exp(-(s.rewards[a] - s.rewards[b]) / tau));
        const aWins = rng.next() < pA;
        out.push({ prompt: s.prompt, chosen: aWins ? xa : xb, rejected: aWins ? xb : xa });
      }
    }
  }
  return out;
}
