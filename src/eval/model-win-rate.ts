/**
 * Win rate of model A over model B: for each prompt, n completions are
 * sampled from each (same seed, same prompts), paired in order, and a judge
 * decides each pair; the outcomes summarise as a win rate with a Wilson
 * interval (ties count half).
 */
import type { PromptTokenizer } from "../data/sentiment-preferences.js";
import { decodeCompletion, promptIds } from "../data/sentiment-preferences.js";
import type { LMConfig } from "../models/lm/config.js";
import type { LMParams } from "../models/lm/params.js";
import { sampleBatch } from "../models/lm/sample-batch.js";
import type { Comparison, Judge } from "./judges.js";
import { type WinRate, winRate } from "./win-rate.js";

export type SamplingModel = { config: LMConfig; params: LMParams; tokenizer: PromptTokenizer };

/** Completions (text, EOS dropped) of each prompt: out[i][j]. Does not consume the params. */
export async function sampleTexts(
  m: SamplingModel,
  prompts: string[],
  o: { n?: number; maxNewTokens?: number; temperature?: number; seed?: number } = {},
): Promise<string[][]> {
  const tok = m.tokenizer;
  const ids = await sampleBatch(
    m.config,
    m.params,
    prompts.map((p) => promptIds(tok, p)),
    {
      n: o.n ?? 1,
      maxNewTokens: o.maxNewTokens ?? 16,
      temperature: o.temperature ?? 1,
      eosTokenId: tok.eosTokenId,
      seed: o.seed ?? 0,
    },
  );
  return ids.map((rows) => rows.map((r) => decodeCompletion(tok, r)));
}

export type ModelWinRate = WinRate & {
  judge: string;
  comparisons: (Comparison & { outcome: number })[];
};

/** Samples from A and B on `prompts` and judges every pair. */
export async function modelWinRate(
  a: SamplingModel,
  b: SamplingModel,
  prompts: string[],
  judge: Judge,
  o: { n?: number; maxNewTokens?: number; temperature?: number; seed?: number } = {},
): Promise<ModelWinRate> {
  const ta = await sampleTexts(a, prompts, o);
  const tb = await sampleTexts(b, prompts, { ...o, seed: (o.seed ?? 0) + 1 });
  const items: Comparison[] = [];
  prompts.forEach((p, i) => {
    for (let j = 0; j < ta[i].length; j++) items.push({ prompt: p, a: ta[i][j], b: tb[i][j] });
  });
  const outcomes = await judge.compare(items);
  return {
    ...winRate(outcomes),
    judge: judge.name,
    comparisons: items.map((x, i) => ({ ...x, outcome: outcomes[i] })),
  };
}
