/**
 * Iterative (online) DPO on the embedded world: pairs come from the policy
 * being trained rather than from a fixed dataset. Each round k samples
 * completions of fresh prompts from the current policy π_k, labels them with
 * the AFINN judge (Bradley–Terry draws, as the embedded world does), and runs
 * one DPO task (src/pipelines/dpo.ts) with π_k as both the starting point and
 * the reference:
 *   π_{k+1} = argmin DPO(pairs ∼ π_k; π_ref = π_k, β)
 * Each round's exact target is π_k·e^{r/β}/Z, so after K rounds the target is
 * π_0·e^{K·r/β}/Z: β/K is the effective KL coefficient against the start.
 * With `fixedReference` every round keeps π_0 as the reference instead (as
 * TRL's OnlineDPOTrainer does, which samples every step):
 *   π_{k+1} = argmin DPO(pairs ∼ π_k; π_ref = π_0, β), starting from π_k,
 * so every round has the same target π* = π_0·e^{r/β}/Z and the policy's own
 * samples only put the pairs where π* has its mass. (Rounds of whole DPO runs
 * are Xiong et al.'s iterative DPO.) With --loss-type listwise
 * each round ranks the policy's samples (Plackett–Luce) instead of pairing
 * them. Every round keeps its
 * directory, so an interrupted run resumes at the round it stopped in.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { embeddedPreferences, embeddedRankings } from "../data/sentiment-preferences.js";
import { UserError } from "../engine/errors.js";
import { defaultModelDir } from "../models/default-model.js";
import { CausalLM } from "../models/lm/causal-lm.js";
import { type DpoOptions, type DpoResult, runDpo } from "./dpo.js";

export type IterativeDpoOptions = Omit<DpoOptions, "data" | "out"> & {
  out: string;
  /** rounds of sample → judge → DPO (default 3) */
  rounds?: number;
  /** every round's reference is the start model (online DPO) instead of the previous round's */
  fixedReference?: boolean;
};

export type IterativeDpoResult = {
  /** directory of the last round's model */
  model: string;
  rounds: { dir: string; pairs: number; result: DpoResult }[];
  /** the round that was stopped (signal/stopAfter), when one was */
  interrupted?: DpoResult;
  seconds: number;
};

/** Runs iterative DPO; see the module doc. */
export async function runIterativeDpo(opts: IterativeDpoOptions): Promise<IterativeDpoResult> {
  const t0 = Date.now();
  const rounds = opts.rounds ?? 3;
  if (!(Number.isInteger(rounds) && rounds >= 1))
    throw new UserError(`--rounds: must be a whole number ≥ 1, got ${rounds}`);
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  mkdirSync(opts.out, { recursive: true });
  const start = opts.model ?? defaultModelDir("text");
  let model = start;
  const out: IterativeDpoResult["rounds"] = [];
  for (let k = 0; k < rounds; k++) {
    const dir = join(opts.out, `round-${k + 1}`);
    mkdirSync(dir, { recursive: true });
    const listwise = opts.lossType === "listwise";
    const data = join(dir, listwise ? "rankings.jsonl" : "preferences.jsonl");
    if (!existsSync(data)) {
      const lm = await CausalLM.load(model);
      // fresh prompts every round (another corpus seed), samples from the current policy
      await (listwise ? embeddedRankings : embeddedPreferences)(lm, data, {
        prompts: opts.numPrompts ?? 128,
        samplesPerPrompt: opts.samplesPerPrompt ?? 4,
        maxNewTokens: opts.maxNewTokens ?? 16,
        seed: (opts.seed ?? 0) + 1000 * (k + 1),
        log: (s) => log(`iterative dpo round ${k + 1}: ${s}`),
      });
      lm.dispose();
    }
    const reference = opts.reference ?? (opts.fixedReference ? start : model);
    const result = await runDpo({ ...opts, model, reference, data, out: dir });
    if (result.status !== "completed") {
      return { model: dir, rounds: out, interrupted: result, seconds: (Date.now() - t0) / 1000 };
    }
    out.push({ dir, pairs: result.pairs.train + result.pairs.eval, result });
    log(
      `iterative dpo round ${k + 1}/${rounds}: ${result.pairs.train} pairs from ${k === 0 ? "the start model" : `round ${k}`}, eval accuracy ${(result.eval["eval_rewards/accuracies"] ?? Number.NaN).toFixed(2)}`,
    );
    model = dir;
  }
  return { model, rounds: out, seconds: (Date.now() - t0) / 1000 };
}
