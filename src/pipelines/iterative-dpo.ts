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
 * With `targetKl` the run measures KL(π‖π_start) on probe openings every
 * `klEvery` steps of each round's last quarter and at its end, keeps the
 * policy closest to the target in out/kl-target (the result's model) and
 * stops after the first round that ends at or past the target
 * (src/pipelines/kl-target.ts); out/kl_target.json holds the measurements.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  embeddedPreferences,
  embeddedRankings,
  evaluatePolicy,
  sentimentPrompts,
} from "../data/sentiment-preferences.js";
import { writeJsonAtomic } from "../engine/atomic.js";
import { UserError } from "../engine/errors.js";
import { defaultModelDir } from "../models/default-model.js";
import { CausalLM } from "../models/lm/causal-lm.js";
import { savePretrained } from "../models/lm/hf.js";
import { type DpoOptions, type DpoResult, runDpo } from "./dpo.js";
import { type KlMeasurement, pickByKl, settled } from "./kl-target.js";

export type IterativeDpoOptions = Omit<DpoOptions, "data" | "out"> & {
  out: string;
  /** rounds of sample → judge → DPO (default 3) */
  rounds?: number;
  /** every round's reference is the start model (online DPO) instead of the previous round's */
  fixedReference?: boolean;
  /** stop at this KL(π‖π_start), measured on probe openings, keeping the closest policy (kl-target.ts) */
  targetKl?: number;
  /** steps between KL measurements in a round's last quarter (default 25; each round's end is measured too) */
  klEvery?: number;
  /** probe openings and samples per opening behind each KL measurement (default 64 × 8) */
  klProbePrompts?: number;
  klProbeSamples?: number;
};

export type KlTargetRecord = {
  target: number;
  probe: { prompts: number; samples: number; every: number; seed: number };
  measurements: KlMeasurement[];
  /** index of the kept policy in `measurements` */
  chosen: number;
  /** a measurement reached the target (false: the rounds ended below it) */
  reached: boolean;
  done: boolean;
};

export type IterativeDpoResult = {
  /** directory of the last round's model */
  model: string;
  rounds: { dir: string; pairs: number; result: DpoResult }[];
  /** the round that was stopped (signal/stopAfter), when one was */
  interrupted?: DpoResult;
  /** with targetKl: the measurements and the kept policy (`model` is its directory) */
  klTarget?: KlTargetRecord;
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
  const kl = opts.targetKl === undefined ? undefined : await klTarget(opts, start, log);
  if (kl?.record.done) {
    kl.dispose();
    return { model: kl.dir, rounds: [], klTarget: kl.record, seconds: 0 };
  }
  try {
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
      const watch = kl?.round(k + 1);
      const result = await runDpo({
        ...opts,
        model,
        reference,
        data,
        out: dir,
        ...(watch ? { evalEvery: kl?.record.probe.every, onEvaluate: watch.measure } : {}),
      });
      if (result.status !== "completed") {
        return { model: dir, rounds: out, interrupted: result, seconds: (Date.now() - t0) / 1000 };
      }
      out.push({ dir, pairs: result.pairs.train + result.pairs.eval, result });
      log(
        `iterative dpo round ${k + 1}/${rounds}: ${result.pairs.train} pairs from ${k === 0 ? "the start model" : `round ${k}`}, eval accuracy ${(result.eval["eval_rewards/accuracies"] ?? Number.NaN).toFixed(2)}`,
      );
      model = dir;
      if (watch?.stopped()) break;
    }
    if (kl) {
      kl.finish();
      return { model: kl.dir, rounds: out, klTarget: kl.record, seconds: (Date.now() - t0) / 1000 };
    }
  } finally {
    kl?.dispose();
  }
  return { model, rounds: out, seconds: (Date.now() - t0) / 1000 };
}

/**
 * The KL-target watch of a run: the probe, the measurements so far (read back
 * from out/kl_target.json when resuming), and per round an `onEvaluate` that
 * measures a settled policy, keeps the closest in out/kl-target and says
 * whether the round's end reached the target.
 */
async function klTarget(o: IterativeDpoOptions, start: string, log: (s: string) => void) {
  const target = o.targetKl as number;
  if (!(Number.isFinite(target) && target > 0))
    throw new UserError(`--target-kl: must be > 0, got ${target}`);
  const probe = {
    prompts: o.klProbePrompts ?? 64,
    samples: o.klProbeSamples ?? 8,
    every: o.klEvery ?? 25,
    seed: 888_001 + (o.seed ?? 0),
  };
  for (const [flag, v] of [
    ["--kl-every", probe.every],
    ["--kl-probe-prompts", probe.prompts],
    ["--kl-probe-samples", probe.samples],
  ] as const)
    if (!(Number.isInteger(v) && v >= 1))
      throw new UserError(`${flag}: must be a whole number ≥ 1, got ${v}`);
  const file = join(o.out, "kl_target.json");
  const dir = join(o.out, "kl-target");
  let record: KlTargetRecord = {
    target,
    probe,
    measurements: [],
    chosen: -1,
    reached: false,
    done: false,
  };
  if (existsSync(file)) {
    const old = JSON.parse(readFileSync(file, "utf8")) as KlTargetRecord;
    if (old.target === target && JSON.stringify(old.probe) === JSON.stringify(probe)) record = old;
  }
  const ref = await CausalLM.load(start);
  const openings = sentimentPrompts(probe.prompts, probe.seed);
  return {
    dir,
    record,
    round(round: number) {
      let stop = false;
      return {
        stopped: () => stop,
        measure: async (
          policy: CausalLM["params"],
          step: number,
          total: number,
        ): Promise<Record<string, number>> => {
          if (!settled(step, total)) return {};
          const e = await evaluatePolicy(ref.config, policy, ref.params, ref.tokenizer, openings, {
            n: probe.samples,
            maxNewTokens: o.maxNewTokens ?? 16,
            seed: probe.seed,
          });
          record.measurements.push({ round, step, kl: e.kl, end: step === total });
          const pick = pickByKl(record.measurements, target);
          if (pick.index === record.measurements.length - 1) {
            await savePretrained(dir, ref.config, policy);
            ref.tokenizer.save(dir);
          }
          record.chosen = pick.index;
          record.reached = pick.stop;
          writeJsonAtomic(file, record);
          log(
            `online dpo: round ${round} step ${step}: KL ${e.kl.toFixed(2)} on the probe (target ${target})${pick.stop ? ", reached: last round" : ""}`,
          );
          stop = pick.stop;
          return { kl_probe: e.kl, reward_probe: e.reward };
        },
      };
    },
    finish() {
      record.done = true;
      writeJsonAtomic(file, record);
      const m = record.measurements[record.chosen];
      log(
        `online dpo: kept round ${m.round} step ${m.step} (KL ${m.kl.toFixed(2)} on the probe, target ${target}) in ${dir}`,
      );
    },
    dispose: () => ref.dispose(),
  };
}
