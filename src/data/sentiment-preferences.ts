/**
 * The embedded world's preference data (the DPO paper's sentiment
 * experiment in miniature): prompts are the opening words of movie-review
 * sentences; a model samples k completions per prompt; each is scored by the
 * AFINN reward r = afinnScore(prompt + completion); every pair of distinct
 * samples of a prompt becomes a preference drawn from the Bradley–Terry model
 * of that reward, x_a ≻ x_b with probability σ((r_a − r_b)/τ). A policy is
 * scored on the same world by the mean AFINN reward of its samples and their
 * sequence-level KL to a reference. For listwise DPO a prompt's samples are
 * ranked instead, by one draw from the Plackett–Luce model of the reward.
 */
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { writeFileAtomic } from "../engine/atomic.js";
import { UserError } from "../engine/errors.js";
import { HostRng } from "../engine/random.js";
import type { LMConfig } from "../models/lm/config.js";
import { completionLogProbs } from "../models/lm/pair-logprobs.js";
import type { LMParams } from "../models/lm/params.js";
import { sampleBatch } from "../models/lm/sample-batch.js";
import { afinnScore } from "./afinn.js";
import { listwiseJsonl, loadListwiseJsonl, type RankedExample } from "./listwise-data.js";
import { movieReviewCorpus } from "./movie-reviews.js";
import { loadPreferenceJsonl, type PreferenceExample, preferenceJsonl } from "./preference-data.js";

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

/**
 * Rankings from scored samples, one per prompt, drawn exactly from the
 * Plackett–Luce model of the reward at temperature τ (default 1): sorting by
 * r/τ + Gumbel noise picks each position with probability e^{r_k/τ} / Σ_{j left} e^{r_j/τ}.
 * Every sample is ranked, empty or repeated ones too, so a ranking is a
 * Plackett–Luce draw over K i.i.d. samples of the model — the premise under
 * which listwise DPO's optimum is π*. `size` (default: all) keeps the first samples.
 */
export function plackettLuceRankings(
  scored: ScoredSamples[],
  o: { seed?: number; temperature?: number; size?: number } = {},
): RankedExample[] {
  const rng = new HostRng(o.seed ?? 0);
  const tau = o.temperature ?? 1;
  const out: RankedExample[] = [];
  for (const s of scored) {
    const k = Math.min(o.size ?? s.completions.length, s.completions.length);
    if (k < 2) continue;
    // Gumbel(0, 1) = −log(−log U)
    const key = s.rewards
      .slice(0, k)
      .map((r) => r / tau - Math.log(-Math.log(Math.max(rng.next(), 1e-300))));
    const ranked = key
      .map((_, j) => j)
      .sort((a, b) => key[b] - key[a])
      .map((j) => s.completions[j]);
    out.push({ prompt: s.prompt, chosen: ranked[0], rejected: ranked.slice(1) });
  }
  return out;
}

/** What the embedded-world recipes need of a language model. */
export type SamplingModel = { config: LMConfig; params: LMParams; tokenizer: PromptTokenizer };

export type EmbeddedDataOptions = {
  prompts: number;
  samplesPerPrompt: number;
  maxNewTokens: number;
  seed: number;
  rebuild?: boolean;
  log?: (line: string) => void;
};

/** `samplesPerPrompt` AFINN-scored samples of `lm` for `sentimentPrompts(prompts, 1234 + seed)`. */
function embeddedSamples(lm: SamplingModel, o: EmbeddedDataOptions): Promise<ScoredSamples[]> {
  return sampleAndScore(
    lm.config,
    lm.params,
    lm.tokenizer,
    sentimentPrompts(o.prompts, 1234 + o.seed),
    { n: o.samplesPerPrompt, maxNewTokens: o.maxNewTokens, seed: o.seed },
  );
}

/**
 * The embedded world's preference data set, the one recipe every command
 * uses: `samplesPerPrompt` samples of `lm` for each of `prompts` prompts
 * (`sentimentPrompts(prompts, 1234 + seed)`), AFINN scores, Bradley–Terry
 * labels, written to `path` as TRL JSONL. An existing `path` is read instead
 * (a resumed run trains on the same pairs) unless `rebuild`.
 */
export async function embeddedPreferences(
  lm: SamplingModel,
  path: string,
  o: EmbeddedDataOptions,
): Promise<PreferenceExample[]> {
  const log = o.log ?? (() => {});
  if (existsSync(path) && !o.rebuild) {
    const ex = loadPreferenceJsonl(path);
    log(`reusing ${ex.length} embedded-world preference pairs in ${path}`);
    return ex;
  }
  log(
    `sampling ${o.samplesPerPrompt} completions for ${o.prompts} prompts, AFINN scores, Bradley–Terry labels`,
  );
  const ex = bradleyTerryPreferences(await embeddedSamples(lm, o), { seed: o.seed });
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, preferenceJsonl(ex));
  log(`${ex.length} preference pairs written to ${path}`);
  return ex;
}

/**
 * The embedded world's rankings for listwise DPO: the same samples as
 * `embeddedPreferences`, one Plackett–Luce ranking of all `samplesPerPrompt`
 * answers per prompt at temperature 1, written to `path` as listwise JSONL
 * (read back instead unless `rebuild`).
 */
export async function embeddedRankings(
  lm: SamplingModel,
  path: string,
  o: EmbeddedDataOptions,
): Promise<RankedExample[]> {
  const log = o.log ?? (() => {});
  if (existsSync(path) && !o.rebuild) {
    const ex = loadListwiseJsonl(path);
    log(`reusing ${ex.length} embedded-world rankings in ${path}`);
    return ex;
  }
  if (o.samplesPerPrompt < 2)
    throw new UserError(
      `--samples-per-prompt: a ranking needs at least 2, got ${o.samplesPerPrompt}`,
    );
  log(
    `sampling ${o.samplesPerPrompt} completions for ${o.prompts} prompts, AFINN scores, Plackett–Luce rankings`,
  );
  const ex = plackettLuceRankings(await embeddedSamples(lm, o), {
    seed: o.seed,
    size: o.samplesPerPrompt,
  });
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomic(path, listwiseJsonl(ex));
  log(`${ex.length} rankings of ${o.samplesPerPrompt} written to ${path}`);
  return ex;
}

export type PolicyEvaluation = {
  /** mean AFINN reward of samples */
  reward: number;
  /** standard error of the mean reward */
  rewardSE: number;
  /** sequence-level KL(π ‖ π_ref) estimated on the samples */
  kl: number;
  /** the KL estimate of each prompt's samples (aligned with `samples`), for paired comparisons */
  klPerPrompt: number[];
  samples: ScoredSamples[];
};

/**
 * A policy on the embedded world: `n` samples y ∼ π(·|c) per prompt, their
 * mean AFINN reward, and the sequence-level KL estimated on those samples,
 * KL(π ‖ π_ref) ≈ mean_i [log π(y_i|c_i) − log π_ref(y_i|c_i)] (unbiased;
 * log-probs summed over completion tokens, EOS included when sampled).
 * Consumes nothing.
 */
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
  const lp = await completionLogProbs(c, policy, rows, { padTokenId: pad });
  const lq = await completionLogProbs(c, ref, rows, { padTokenId: pad });
  const n = rows.length;
  const mean = rewards.reduce((a, b) => a + b, 0) / n;
  const variance = rewards.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1);
  let kl = 0;
  for (let i = 0; i < n; i++) kl += lp[i] - lq[i];
  const klPerPrompt: number[] = [];
  let row = 0;
  for (const sm of samples) {
    let k = 0;
    for (let j = 0; j < sm.ids.length; j++, row++) k += lp[row] - lq[row];
    klPerPrompt.push(k / Math.max(1, sm.ids.length));
  }
  return { reward: mean, rewardSE: Math.sqrt(variance / n), kl: kl / n, klPerPrompt, samples };
}
