/**
 * Pairwise judges: given a prompt and two completions, which is better?
 * outcome = 1 (A), 0 (B) or 0.5 (tie). Scalar judges (the ground-truth
 * AFINN scorer, a trained reward model) compare scores; the LLM judge
 * (llm-judge.ts) asks a chat model in both orders.
 */
import { afinnScore } from "../data/afinn.js";
import type { RewardModel } from "../models/lm/reward-model.js";

export type Comparison = { prompt: string; a: string; b: string };

export type Judge = {
  name: string;
  /** outcome per comparison: 1 = a better, 0 = b better, 0.5 = tie */
  compare(items: Comparison[]): Promise<number[]>;
};

/** A judge from a scalar score s(prompt, completion): a wins iff s(a) > s(b). */
export function scalarJudge(
  name: string,
  score: (items: { prompt: string; completion: string }[]) => Promise<number[]>,
): Judge {
  return {
    name,
    async compare(items) {
      const sa = await score(items.map((x) => ({ prompt: x.prompt, completion: x.a })));
      const sb = await score(items.map((x) => ({ prompt: x.prompt, completion: x.b })));
      return sa.map((s, i) => (s > sb[i] ? 1 : s < sb[i] ? 0 : 0.5));
    },
  };
}

/** The embedded world's ground truth: AFINN score of prompt + completion. */
export function afinnJudge(): Judge {
  return scalarJudge("afinn", async (items) =>
    items.map((x) => afinnScore(`${x.prompt}${x.completion}`)),
  );
}

/** A trained reward model r_φ(prompt, completion). */
export function rewardModelJudge(rm: RewardModel): Judge {
  return scalarJudge("reward-model", (items) => rm.score(items));
}
