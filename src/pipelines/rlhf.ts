/**
 * The lecture's "common strategy" RLHF baseline: sample from the policy,
 * score with a reward model, and follow a KL-penalised policy gradient
 * (REINFORCE Leave-One-Out, Ahmadian et al. 2024 / TRL's RLOOTrainer). Per
 * prompt, k samples y_i ∼ π_θ; with per-token KL to the frozen reference,
 *   R̃_i = r_φ(c, y_i) − λ·Σ_t [log π_θ(y_i,t | ·) − log π_ref(y_i,t | ·)]
 *   A_i = R̃_i − (1/(k−1))·Σ_{j≠i} R̃_j,     L(θ) = −mean_i A_i · log π_θ(y_i | c)
 * maximising E[r] − λ·KL(π_θ ‖ π_ref). Logs TRL's names: objective/scores
 * (r_φ), objective/kl, objective/non_score_reward (−λ·KL) and
 * objective/rlhf_reward (their sum).
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afinnScore } from "../data/afinn.js";
import { readTextFile } from "../data/jsonl.js";
import { collateSequences } from "../data/preference-collate.js";
import { decodeCompletion, promptIds, sentimentPrompts } from "../data/sentiment-preferences.js";
import { writeJsonAtomic } from "../engine/atomic.js";
import { UserError, where } from "../engine/errors.js";
import { initEngine } from "../engine/init.js";
import { jit, numpy as np, valueAndGrad } from "../engine/jax.js";
import { disposeTree, refTree } from "../engine/pytree.js";
import { HostRng } from "../engine/random.js";
import { completionLogps, evaluatePolicy } from "../eval/policy-eval.js";
import { defaultModelDir } from "../models/default-model.js";
import { CausalLM } from "../models/lm/causal-lm.js";
import { sequenceLogProbs } from "../models/lm/logprobs.js";
import type { LMParams } from "../models/lm/params.js";
import { RewardModel } from "../models/lm/reward-model.js";
import { sampleBatch } from "../models/lm/sample-batch.js";
import { resumeLatest, saveCheckpoint } from "../train/checkpoint.js";
import { MetricsLogger } from "../train/metrics.js";
import { type AdamState, adamw, decayMatrices } from "../train/optimizer.js";
import { ProgressBar } from "../train/progress.js";
import { constantSchedule } from "../train/schedules.js";
import { NonFiniteGuard } from "../train/trainer.js";
import { stripUndefined } from "./dpo.js";
import { runReward } from "./reward.js";

export type RlhfOptions = {
  model?: string;
  /** reward-model directory, or "afinn" for the ground-truth scorer (default: train one into out/reward-model) */
  rewardModel?: string;
  /** prompts: JSONL with a "prompt" field per line, or plain text lines (default: the embedded world's) */
  prompts?: string;
  out: string;
  /** λ, the KL coefficient */
  klCoef?: number;
  learningRate?: number;
  steps?: number;
  promptsPerStep?: number;
  /** k samples per prompt (≥ 2 for the leave-one-out baseline) */
  samplesPerPrompt?: number;
  maxNewTokens?: number;
  temperature?: number;
  normalizeAdvantage?: boolean;
  maxGradNorm?: number;
  saveEvery?: number;
  logEvery?: number;
  seed?: number;
  resume?: boolean;
  /** held-out evaluation at the end: prompts and samples per prompt (0 prompts: skip) */
  evalPrompts?: number;
  quiet?: boolean;
  log?: (line: string) => void;
  /** a step with a non-finite loss or gradient: stop with an error (default) or roll it back and count it */
  onNonFinite?: "stop" | "skip";
};

export const RLHF_DEFAULTS = {
  klCoef: 0.05,
  learningRate: 1e-4,
  steps: 60,
  promptsPerStep: 8,
  samplesPerPrompt: 4,
  maxNewTokens: 16,
  temperature: 1,
  normalizeAdvantage: true,
  maxGradNorm: 1,
  saveEvery: 20,
  logEvery: 5,
  seed: 0,
  evalPrompts: 32,
};

export type RlhfResult = {
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

/** Leave-one-out advantages within groups of k consecutive entries. */
export function rlooAdvantages(rewards: number[], k: number): number[] {
  const out = new Array<number>(rewards.length);
  for (let g = 0; g < rewards.length; g += k) {
    let s = 0;
    for (let j = 0; j < k; j++) s += rewards[g + j];
    for (let j = 0; j < k; j++) out[g + j] = rewards[g + j] - (s - rewards[g + j]) / (k - 1);
  }
  return out;
}

/** Runs RLOO; see the module doc. */
export async function runRlhf(opts: RlhfOptions): Promise<RlhfResult> {
  await initEngine();
  const t0 = Date.now();
  const o = { ...RLHF_DEFAULTS, ...stripUndefined(opts), out: opts.out };
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  if (o.samplesPerPrompt < 2) throw new UserError("--samples-per-prompt: RLOO needs at least 2");
  const modelDir = opts.model ?? defaultModelDir("text");
  mkdirSync(o.out, { recursive: true });
  const prompts = opts.prompts ? loadPrompts(opts.prompts) : sentimentPrompts(64, 1234 + o.seed);

  // the reward
  let rmDir = opts.rewardModel;
  let rm: RewardModel | undefined;
  if (rmDir !== "afinn") {
    if (!rmDir) {
      rmDir = join(o.out, "reward-model");
      if (!existsSync(join(rmDir, "model.safetensors"))) {
        log(`rlhf: no --reward-model given; training one into ${rmDir}`);
        await runReward({ model: modelDir, out: rmDir, quiet: o.quiet, log, seed: o.seed });
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
  const ref: LMParams = refTree(lm.params);
  const opt = adamw({
    learningRate: constantSchedule(o.learningRate),
    weightDecay: 0,
    maxGradNorm: o.maxGradNorm,
    decayMask: decayMatrices,
  });
  let params: LMParams = lm.params;
  let state: AdamState<LMParams> = opt.init(refTree(params));
  let step = 0;
  // the metrics of the unfinished log window, checkpointed so a resumed run logs the same means
  let resumedWindow: Record<string, number[]> = {};
  if (o.resume !== false) {
    const r = resumeLatest(o.out, params, state);
    params = r.params;
    state = r.optState;
    step = r.step;
    resumedWindow = r.logWindow;
    if (r.from) log(`rlhf: resumed from ${r.from} at step ${step}`);
  }
  const metrics = new MetricsLogger(o.out, { keepUpToStep: step });
  const guard = new NonFiniteGuard(opts.onNonFinite ?? "stop", 10, log);
  const k = o.samplesPerPrompt;
  const P = Math.min(o.promptsPerStep, prompts.length);
  const trainStep = jit(
    (p: LMParams, st: AdamState<LMParams>, ids: np.Array, mask: np.Array, adv: np.Array) => {
      const [loss, grads] = valueAndGrad((q: LMParams) =>
        sequenceLogProbs(c, q, ids, mask).mul(adv).mean().neg(),
      )(refTree(p));
      const next = opt.step(p, grads, st, o.learningRate);
      return { loss, params: next.params, state: next.state, gradNorm: next.gradNorm };
    },
  );
  const bar = opts.quiet
    ? undefined
    : new ProgressBar({ total: o.steps, label: "rlhf", start: step });
  let acc: Record<string, number[]> = resumedWindow;
  let last: Record<string, number> = {};
  const promptsPerEpoch = Math.max(1, Math.floor(prompts.length / P));
  while (step < o.steps) {
    const epoch = Math.floor(step / promptsPerEpoch);
    const order = new HostRng(o.seed * 7919 + epoch).shuffle(prompts.map((_, i) => i));
    const pick = order.slice((step % promptsPerEpoch) * P, ((step % promptsPerEpoch) + 1) * P);
    const texts = pick.map((i) => prompts[i]);
    const pids = texts.map((t) => promptIds(tok, t));
    const samples = await sampleBatch(c, params, pids, {
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
        items.push({
          prompt: texts[i],
          completion: decodeCompletion(tok, ids),
        });
      }
    });
    const scores = await score(items);
    const lp = await completionLogps(c, params, rows, { padTokenId: pad, batchSize: rows.length });
    const lq = await completionLogps(c, ref, rows, { padTokenId: pad, batchSize: rows.length });
    const kl = lp.map((x, i) => x - lq[i]);
    const total = scores.map((s, i) => s - o.klCoef * kl[i]);
    let adv = rlooAdvantages(total, k);
    if (o.normalizeAdvantage) {
      const m = adv.reduce((a, b) => a + b, 0) / adv.length;
      const sd = Math.sqrt(adv.reduce((a, b) => a + (b - m) ** 2, 0) / adv.length) + 1e-8;
      adv = adv.map((a) => (a - m) / sd);
    }
    const b = collateSequences(rows, { padTokenId: pad });
    // with onNonFinite "skip", the pre-update state to roll back to
    const keep = guard.mode === "skip" ? refTree({ params, state }) : null;
    const r = trainStep(
      params,
      state,
      np.array(b.ids, { dtype: np.int32 }).reshape([b.B, b.T]),
      np.array(b.mask).reshape([b.B, b.T]),
      np.array(new Float32Array(adv)),
    );
    params = r.params;
    state = r.state;
    const loss = (await r.loss.data())[0];
    const gradNorm = (await r.gradNorm.data())[0];
    if (guard.check(step + 1, { loss, grad_norm: gradNorm }) && keep) {
      disposeTree({ params, state } as never);
      ({ params, state } = keep);
      step++;
      continue;
    }
    if (keep) disposeTree(keep as never);
    step++;
    const meanOf = (xs: number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;
    const vals: Record<string, number> = {
      loss,
      grad_norm: gradNorm,
      "objective/scores": meanOf(scores),
      "objective/kl": meanOf(kl),
      "objective/non_score_reward": -o.klCoef * meanOf(kl),
      "objective/rlhf_reward": meanOf(total),
      "objective/afinn": meanOf(items.map((x) => afinnScore(`${x.prompt}${x.completion}`))),
    };
    for (const [kk, v] of Object.entries(vals)) {
      acc[kk] ??= [];
      acc[kk].push(v);
    }
    bar?.update(step, { score: vals["objective/scores"], kl: vals["objective/kl"] });
    if (step % o.logEvery === 0 || step === o.steps) {
      last = Object.fromEntries(Object.entries(acc).map(([kk, v]) => [kk, meanOf(v)]));
      metrics.log(step, last);
      acc = {};
    }
    if (o.saveEvery > 0 && step % o.saveEvery === 0 && step < o.steps) {
      await saveCheckpoint(o.out, {
        params,
        optState: state,
        trainerState: { step, logWindow: acc },
      });
    }
  }
  bar?.done();
  trainStep.dispose();
  let ev: RlhfResult["eval"];
  if (o.evalPrompts > 0 && !opts.prompts) {
    const held = sentimentPrompts(o.evalPrompts, 999_001 + o.seed);
    const pe = await evaluatePolicy(c, params, ref, tok, held, { maxNewTokens: o.maxNewTokens });
    const re = await evaluatePolicy(c, ref, ref, tok, held, { maxNewTokens: o.maxNewTokens });
    ev = { reward: pe.reward, rewardSE: pe.rewardSE, kl: pe.kl, refReward: re.reward };
    metrics.log(step, {
      eval_afinn: pe.reward,
      eval_kl: pe.kl,
      eval_ref_afinn: re.reward,
    });
  }
  metrics.close();
  const final = new CausalLM(c, params, tok);
  await final.save(o.out);
  const result: RlhfResult = {
    out: o.out,
    steps: step,
    train: last,
    eval: ev,
    seconds: (Date.now() - t0) / 1000,
  };
  writeJsonAtomic(join(o.out, "rlhf_result.json"), result);
  disposeTree(state as never);
  disposeTree(ref);
  final.dispose();
  rm?.dispose();
  return result;
}
