/**
 * The lecture's "common strategy" RLHF baseline, a task on the shared
 * training loop: sample from the policy, score with a reward model, and
 * follow a KL-penalised policy gradient (REINFORCE Leave-One-Out,
 * src/objectives/rloo.ts). Per step, k samples for each of P prompts; the
 * loss is −mean_i A_i · log π_θ(y_i | c) with leave-one-out advantages of
 * R̃_i = r_φ(c, y_i) − λ·(log π_θ(y_i|c) − log π_ref(y_i|c)), maximising
 * E[r] − λ·KL(π_θ ‖ π_ref). Logs TRL's names: objective/scores (r_φ),
 * objective/kl, objective/non_score_reward (−λ·KL) and objective/rlhf_reward
 * (their sum); on the embedded world it evaluates mean AFINN reward and KL
 * on held-out prompts.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afinnScore } from "../data/afinn.js";
import { readTextFile } from "../data/jsonl.js";
import { collateSequences } from "../data/preference-collate.js";
import {
  decodeCompletion,
  evaluatePolicy,
  promptIds,
  sentimentPrompts,
} from "../data/sentiment-preferences.js";
import { writeJsonAtomic } from "../engine/atomic.js";
import { UserError, where } from "../engine/errors.js";
import { initEngine } from "../engine/init.js";
import { jit, numpy as np, valueAndGrad } from "../engine/jax.js";
import { disposeTree, refTree } from "../engine/pytree.js";
import { HostRng } from "../engine/random.js";
import { defaultModelDir } from "../models/default-model.js";
import { CausalLM } from "../models/lm/causal-lm.js";
import { sequenceLogProbs } from "../models/lm/logprobs.js";
import { completionLogProbs } from "../models/lm/pair-logprobs.js";
import type { LMParams } from "../models/lm/params.js";
import { RewardModel } from "../models/lm/reward-model.js";
import { sampleBatch } from "../models/lm/sample-batch.js";
import { klPenalisedRewards, rlooAdvantages, rlooLoss } from "../objectives/rloo.js";
import { type AdamState, adamw, decayMatrices } from "../train/optimizer.js";
import {
  logged,
  loopOptions,
  runConfig,
  runLog,
  stripUndefined,
  type TrainRunOptions,
} from "../train/run-options.js";
import { constantSchedule } from "../train/schedules.js";
import { paramsAndOpt, readStepMetrics, runTraining } from "../train/trainer.js";
import { runReward } from "./reward.js";

/** RLOO's batch is `promptsPerStep` prompts × `samplesPerPrompt` samples, at a constant learning rate. */
export type RlhfOptions = Omit<TrainRunOptions, "batchSize" | "warmupSteps"> & {
  model?: string;
  /** reward-model directory, or "afinn" for the ground-truth scorer (default: train one into out/reward-model) */
  rewardModel?: string;
  /** prompts: JSONL with a "prompt" field per line, or plain text lines (default: the embedded world's) */
  prompts?: string;
  /** embedded world: how many of its prompts to train on */
  numPrompts?: number;
  /** λ, the KL coefficient */
  klCoef?: number;
  promptsPerStep?: number;
  /** k samples per prompt (≥ 2 for the leave-one-out baseline) */
  samplesPerPrompt?: number;
  maxNewTokens?: number;
  temperature?: number;
  normalizeAdvantage?: boolean;
  maxGradNorm?: number;
  /** held-out evaluation (embedded world): prompts, 0 to skip */
  evalPrompts?: number;
};

export const RLHF_DEFAULTS = {
  klCoef: 0.05,
  lr: 1e-4,
  steps: 60,
  numPrompts: 64,
  promptsPerStep: 8,
  samplesPerPrompt: 4,
  maxNewTokens: 16,
  temperature: 1,
  normalizeAdvantage: true,
  maxGradNorm: 1,
  saveEvery: 20,
  evalEvery: 0,
  logEvery: 5,
  seed: 0,
  evalPrompts: 32,
};

export type RlhfResult = {
  /** "interrupted": stopped by `signal`/`stopAfter`, checkpoint saved, no final model */
  status: "completed" | "interrupted";
  out: string;
  steps: number;
  train: Record<string, number>;
  eval?: { reward: number; rewardSE: number; kl: number; refReward: number };
  seconds: number;
};

/** Prompts from a file: JSONL objects with "prompt", or one plain prompt per line. */
export function loadPrompts(path: string): string[] {
  const text = readTextFile(path, "prompts file");
  const out: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const s = line.trim();
    if (!s) return;
    if (s.startsWith("{")) {
      let o: unknown;
      try {
        o = JSON.parse(s);
      } catch (e) {
        throw new UserError(`${where(path, i + 1)}: not valid JSON (${(e as Error).message})`);
      }
      const p = (o as Record<string, unknown>).prompt;
      if (typeof p !== "string") {
        throw new UserError(
          `${where(path, i + 1, "prompt")}: expected a string, got ${JSON.stringify(p)}`,
        );
      }
      out.push(p);
    } else out.push(line);
  });
  if (out.length === 0) throw new UserError(`${path}: no prompts`);
  return out;
}

/** Runs RLOO; see the module doc. */
export async function runRlhf(opts: RlhfOptions): Promise<RlhfResult> {
  await initEngine();
  const t0 = Date.now();
  const o = { ...RLHF_DEFAULTS, ...stripUndefined(opts), out: opts.out };
  const log = runLog(opts);
  if (o.samplesPerPrompt < 2) throw new UserError("--samples-per-prompt: RLOO needs at least 2");
  const modelDir = opts.model ?? defaultModelDir("text");
  mkdirSync(o.out, { recursive: true });
  const prompts = opts.prompts
    ? loadPrompts(opts.prompts)
    : sentimentPrompts(o.numPrompts, 1234 + o.seed);

  // the reward
  let rmDir = opts.rewardModel;
  let rm: RewardModel | undefined;
  if (rmDir !== "afinn") {
    if (!rmDir) {
      rmDir = join(o.out, "reward-model");
      if (!existsSync(join(rmDir, "model.safetensors"))) {
        log(`rlhf: no --reward-model given; training one into ${rmDir}`);
        const r = await runReward({
          model: modelDir,
          out: rmDir,
          quiet: o.quiet,
          log: opts.log,
          seed: o.seed,
          signal: o.signal,
        });
        if (r.status !== "completed")
          throw new UserError(`rlhf: reward model in ${rmDir} unfinished`);
      }
    }
    rm = await RewardModel.load(rmDir);
  }
  const score = async (items: { prompt: string; completion: string }[]) =>
    rm ? rm.score(items) : items.map((x) => afinnScore(`${x.prompt}${x.completion}`));

  const lm = await CausalLM.load(modelDir);
  const c = lm.config;
  const tok = lm.tokenizer;
  const pad = tok.padTokenId ?? 0;
  const ref: LMParams = lm.params;
  const opt = adamw({
    learningRate: constantSchedule(o.lr),
    weightDecay: 0,
    maxGradNorm: o.maxGradNorm,
    decayMask: decayMatrices,
  });
  const k = o.samplesPerPrompt;
  const P = Math.min(o.promptsPerStep, prompts.length);
  const trainStep = jit(
    (
      p: LMParams,
      st: AdamState<LMParams>,
      ids: np.Array,
      mask: np.Array,
      adv: np.Array,
      lr: np.Array,
    ) => {
      const [loss, grads] = valueAndGrad((q: LMParams) =>
        rlooLoss(sequenceLogProbs(c, q, ids, mask), adv),
      )(refTree(p));
      const next = opt.step(p, grads, st, lr);
      return { loss, params: next.params, state: next.state, gradNorm: next.gradNorm };
    },
  );
  const promptsPerEpoch = Math.max(1, Math.floor(prompts.length / P));
  const meanOf = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
  const held = sentimentPrompts(o.evalPrompts, 999_001 + o.seed);
  let refReward: number | undefined;
  type State = { params: LMParams; opt: AdamState<LMParams> };
  const res = await runTraining<State>({
    ...loopOptions(o, "rlhf", o.steps, { ...runConfig(o), model: modelDir, rewardModel: rmDir }),
    init: () => ({ params: refTree(lm.params), opt: opt.init(refTree(lm.params)) }),
    async step(s, step) {
      // prompts and samples are functions of the step: nothing to checkpoint for them
      const epoch = Math.floor(step / promptsPerEpoch);
      const j = step % promptsPerEpoch;
      const order = new HostRng(o.seed * 7919 + epoch).shuffle(prompts.map((_, i) => i));
      const texts = order.slice(j * P, (j + 1) * P).map((i) => prompts[i]);
      const pids = texts.map((t) => promptIds(tok, t));
      const samples = await sampleBatch(c, s.params, pids, {
        n: k,
        maxNewTokens: o.maxNewTokens,
        temperature: o.temperature,
        eosTokenId: tok.eosTokenId,
        seed: o.seed * 1_000_003 + step,
      });
      const rows: { prompt: number[]; completion: number[] }[] = [];
      const items: { prompt: string; completion: string }[] = [];
      samples.forEach((ss, i) => {
        for (const ids of ss) {
          rows.push({ prompt: pids[i], completion: ids });
          items.push({ prompt: texts[i], completion: decodeCompletion(tok, ids) });
        }
      });
      const scores = await score(items);
      const lp = await completionLogProbs(c, s.params, rows, { padTokenId: pad });
      const lq = await completionLogProbs(c, ref, rows, { padTokenId: pad });
      const { rewards, kl } = klPenalisedRewards(scores, lp, lq, o.klCoef);
      const adv = rlooAdvantages(rewards, k, { normalize: o.normalizeAdvantage });
      const b = collateSequences(rows, { padTokenId: pad });
      const lr = opt.learningRate(step);
      const r = trainStep(
        s.params,
        s.opt,
        np.array(b.ids, { dtype: np.int32 }).reshape([b.B, b.T]),
        np.array(b.mask).reshape([b.B, b.T]),
        np.array(new Float32Array(adv)),
        np.array(lr, { dtype: np.float32 }),
      );
      s.params = r.params;
      s.opt = r.state;
      return {
        ...(await readStepMetrics(r)),
        learning_rate: lr,
        "objective/scores": meanOf(scores),
        "objective/kl": meanOf(kl),
        "objective/non_score_reward": -o.klCoef * meanOf(kl),
        "objective/rlhf_reward": meanOf(rewards),
        "objective/afinn": meanOf(items.map((x) => afinnScore(`${x.prompt}${x.completion}`))),
        epoch: (step + 1) / promptsPerEpoch,
      };
    },
    // held-out AFINN reward and KL on the embedded world's prompts
    evaluate:
      o.evalPrompts > 0 && !opts.prompts
        ? async (s) => {
            const opts = { maxNewTokens: o.maxNewTokens };
            const pe = await evaluatePolicy(c, s.params, ref, tok, held, opts);
            refReward ??= (await evaluatePolicy(c, ref, ref, tok, held, opts)).reward;
            return { afinn: pe.reward, afinn_se: pe.rewardSE, kl: pe.kl, ref_afinn: refReward };
          }
        : undefined,
    ...paramsAndOpt<State>(),
  });
  trainStep.dispose();
  const ev = res.lastEval;
  const result: RlhfResult = {
    status: res.status,
    out: o.out,
    steps: res.step,
    train: logged(res.lastLog),
    eval:
      ev && "eval_afinn" in ev
        ? {
            reward: ev.eval_afinn,
            rewardSE: ev.eval_afinn_se,
            kl: ev.eval_kl,
            refReward: ev.eval_ref_afinn,
          }
        : undefined,
    seconds: (Date.now() - t0) / 1000,
  };
  if (res.status === "completed") {
    const final = new CausalLM(c, res.state.params, tok);
    await final.save(o.out);
    writeJsonAtomic(join(o.out, "rlhf_result.json"), result);
    final.dispose();
  } else disposeTree(res.state.params);
  disposeTree(res.state.opt as never);
  lm.dispose();
  rm?.dispose();
  return result;
}
