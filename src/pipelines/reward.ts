/**
 * Reward-model training (TRL's RewardTrainer): the LM with a scalar head,
 * trained on preference pairs with the Bradley–Terry loss
 *   L = −E log σ(r_φ(c,x_w) − r_φ(c,x_l) − m) + γ·E[(r_φ(c,x_w) + r_φ(c,x_l))²]
 * (m the per-pair `margin` column, γ `center_rewards_coefficient`), logging
 * loss, accuracy and margins, evaluated on a held-out split, saved in HF
 * layout as a one-label sequence-classification model. With no dataset it
 * builds the embedded world's preferences and also reports the held-out
 * accuracy against the true AFINN ordering of fresh samples.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  loadPreferenceJsonl,
  type PreferenceExample,
  preferenceJsonl,
  splitEval,
} from "../data/preference-data.js";
import {
  bradleyTerryPreferences,
  type ScoredSamples,
  sampleAndScore,
  sentimentPrompts,
} from "../data/sentiment-preferences.js";
import { writeFileAtomic, writeJsonAtomic } from "../engine/atomic.js";
import { UserError } from "../engine/errors.js";
import { initEngine } from "../engine/init.js";
import { jit, numpy as np, valueAndGrad } from "../engine/jax.js";
import { disposeTree, refTree } from "../engine/pytree.js";
import { HostRng } from "../engine/random.js";
import { defaultModelDir } from "../models/default-model.js";
import { CausalLM } from "../models/lm/causal-lm.js";
import {
  collateForReward,
  RewardModel,
  type RewardParams,
  rewardScores,
} from "../models/lm/reward-model.js";
import { bradleyTerryLoss } from "../objectives/bradley-terry.js";
import { resumeLatest, saveCheckpoint } from "../train/checkpoint.js";
import { MetricsLogger } from "../train/metrics.js";
import { type AdamState, adamw, decayMatrices } from "../train/optimizer.js";
import { ProgressBar } from "../train/progress.js";
import { linearWarmupDecay } from "../train/schedules.js";
import { NonFiniteGuard } from "../train/trainer.js";
import { stripUndefined } from "./dpo.js";
import { chatTemplateOf } from "./lm-data.js";

export type RewardOptions = {
  model?: string;
  data?: string;
  out: string;
  learningRate?: number;
  warmupSteps?: number;
  weightDecay?: number;
  maxGradNorm?: number;
  batchSize?: number;
  epochs?: number;
  maxSteps?: number;
  centerRewardsCoefficient?: number;
  maxLength?: number;
  evalFraction?: number;
  saveEvery?: number;
  logEvery?: number;
  seed?: number;
  resume?: boolean;
  /** embedded world */
  prompts?: number;
  samplesPerPrompt?: number;
  /** a step with a non-finite loss or gradient: stop with an error (default) or roll it back and count it */
  onNonFinite?: "stop" | "skip";
  maxNewTokens?: number;
  quiet?: boolean;
  log?: (line: string) => void;
};

export const REWARD_DEFAULTS = {
  learningRate: 1e-3,
  warmupSteps: 10,
  weightDecay: 0,
  maxGradNorm: 10,
  batchSize: 16,
  epochs: 3,
  centerRewardsCoefficient: 0.01,
  maxLength: 128,
  evalFraction: 0.15,
  saveEvery: 100,
  logEvery: 5,
  seed: 0,
  prompts: 128,
  samplesPerPrompt: 4,
  maxNewTokens: 16,
};

export type RewardResult = {
  out: string;
  data: string;
  steps: number;
  pairs: { train: number; eval: number };
  train: Record<string, number>;
  eval: Record<string, number>;
  /** embedded world: accuracy of r_φ against the AFINN order of fresh held-out sample pairs */
  heldOutTrueAccuracy?: number;
  seconds: number;
};

type EncodedPair = { chosen: number[]; rejected: number[]; margin?: number };

/** Pairs of distinct-reward samples of a prompt, labelled by the true reward (ties dropped). */
export function trueOrderPairs(scored: ScoredSamples[]): PreferenceExample[] {
  const out: PreferenceExample[] = [];
  for (const s of scored)
    for (let a = 0; a < s.completions.length; a++)
      for (let b = a + 1; b < s.completions.length; b++) {
        if (s.rewards[a] === s.rewards[b]) continue;
        const aWins = s.rewards[a] > s.rewards[b];
        out.push({
          prompt: s.prompt,
          chosen: aWins ? s.completions[a] : s.completions[b],
          rejected: aWins ? s.completions[b] : s.completions[a],
        });
      }
  return out;
}

/** Share of pairs the reward model orders like their labels, and the mean margin. */
export async function pairAccuracy(
  rm: RewardModel,
  pairs: PreferenceExample[],
): Promise<{ accuracy: number; margin: number }> {
  if (pairs.length === 0) return { accuracy: Number.NaN, margin: Number.NaN };
  const rc = await rm.score(pairs.map((p) => ({ prompt: p.prompt, completion: p.chosen })));
  const rr = await rm.score(pairs.map((p) => ({ prompt: p.prompt, completion: p.rejected })));
  let acc = 0;
  let m = 0;
  for (let i = 0; i < pairs.length; i++) {
    acc += rc[i] > rr[i] ? 1 : 0;
    m += rc[i] - rr[i];
  }
  return { accuracy: acc / pairs.length, margin: m / pairs.length };
}

/** Trains a reward model; see the module doc. */
export async function runReward(opts: RewardOptions): Promise<RewardResult> {
  await initEngine();
  const t0 = Date.now();
  const o = { ...REWARD_DEFAULTS, ...stripUndefined(opts), out: opts.out };
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const modelDir = opts.model ?? defaultModelDir("text");
  mkdirSync(o.out, { recursive: true });
  const rm = await RewardModel.fromCausalLM(modelDir, o.seed);
  const c = rm.config;
  const tok = rm.tokenizer;

  let dataPath = opts.data;
  let examples: PreferenceExample[];
  const embedded = !dataPath;
  if (dataPath) {
    examples = loadPreferenceJsonl(dataPath, { chatTemplate: chatTemplateOf(tok) });
  } else {
    dataPath = join(o.out, "preferences.jsonl");
    if (existsSync(dataPath) && o.resume !== false) {
      examples = loadPreferenceJsonl(dataPath);
    } else {
      log(
        `reward: sampling ${o.samplesPerPrompt} completions for ${o.prompts} prompts, AFINN scores, Bradley–Terry labels`,
      );
      const lm = await CausalLM.load(modelDir);
      const scored = await sampleAndScore(
        lm.config,
        lm.params,
        lm.tokenizer,
        sentimentPrompts(o.prompts, 1234 + o.seed),
        { n: o.samplesPerPrompt, maxNewTokens: o.maxNewTokens, seed: o.seed },
      );
      lm.dispose();
      examples = bradleyTerryPreferences(scored, { seed: o.seed });
      writeFileAtomic(dataPath, preferenceJsonl(examples));
      log(`reward: ${examples.length} preference pairs written to ${dataPath}`);
    }
  }
  const hasMargin = examples[0].margin !== undefined;
  const encode = (e: PreferenceExample): EncodedPair => {
    // GPT-2 has no positions past n_positions
    const cut = (ids: number[]) =>
      ids.slice(
        0,
        rm.config.modelType === "gpt2"
          ? Math.min(o.maxLength, rm.config.maxPositions)
          : o.maxLength,
      );
    const p: EncodedPair = {
      chosen: cut(rm.encodePair(e.prompt, e.chosen)),
      rejected: cut(rm.encodePair(e.prompt, e.rejected)),
    };
    if (e.margin !== undefined) p.margin = e.margin;
    return p;
  };
  const split = splitEval(examples, o.evalFraction);
  const train = split.train.map(encode);
  const evalEx = split.eval;
  if (train.length === 0) throw new UserError(`${dataPath}: no training pairs`);
  const B = Math.min(o.batchSize, train.length);
  const perEpoch = Math.max(1, Math.floor(train.length / B));
  const total = o.maxSteps ?? Math.max(1, Math.round(o.epochs * perEpoch));
  const opt = adamw({
    learningRate: linearWarmupDecay({
      peak: o.learningRate,
      warmupSteps: Math.min(o.warmupSteps, total),
      totalSteps: total,
    }),
    weightDecay: o.weightDecay,
    maxGradNorm: o.maxGradNorm,
    decayMask: decayMatrices,
  });
  let params: RewardParams = rm.params;
  let state: AdamState<RewardParams> = opt.init(refTree(params));
  let step = 0;
  // the metrics of the unfinished log window, checkpointed so a resumed run logs the same means
  let resumedWindow: Record<string, number[]> = {};
  if (o.resume !== false) {
    const r = resumeLatest(o.out, params, state);
    params = r.params;
    state = r.optState;
    step = r.step;
    resumedWindow = r.logWindow;
    if (r.from) log(`reward: resumed from ${r.from} at step ${step}`);
  }
  const metrics = new MetricsLogger(o.out, { keepUpToStep: step });
  const gamma = o.centerRewardsCoefficient;
  const objective = (
    p: RewardParams,
    ids: np.Array,
    last: np.Array,
    margin: np.Array,
  ): [np.Array, Record<string, np.Array>] => {
    const r = rewardScores(c, p, ids, last);
    const n = margin.shape[0];
    const rc = r.ref.slice([0, n]);
    const rr = r.slice([n, 2 * n]);
    const out = bradleyTerryLoss(rc.ref, rr.ref, {
      margin: hasMargin ? margin : undefined,
      centerRewardsCoefficient: gamma,
    });
    if (!hasMargin) margin.dispose();
    return [
      out.loss,
      {
        accuracy: out.accuracy,
        margin: rc.ref.sub(rr.ref).mean(),
        "rewards/chosen": rc.mean(),
        "rewards/rejected": rr.mean(),
      },
    ];
  };
  const trainStep = jit(
    (
      p: RewardParams,
      st: AdamState<RewardParams>,
      ids: np.Array,
      last: np.Array,
      margin: np.Array,
      lr: np.Array,
    ) => {
      const [[loss, aux], grads] = valueAndGrad(objective, { hasAux: true })(
        refTree(p),
        ids,
        last,
        margin,
      );
      const next = opt.step(p, grads, st, lr);
      return { loss, aux, params: next.params, state: next.state, gradNorm: next.gradNorm };
    },
  );
  const bar = opts.quiet ? undefined : new ProgressBar({ total, label: "reward", start: step });
  let acc: Record<string, number[]> = resumedWindow;
  let last: Record<string, number> = {};
  const guard = new NonFiniteGuard(opts.onNonFinite ?? "stop", 10, log);
  const evaluate = async (): Promise<Record<string, number>> => {
    if (evalEx.length === 0) return {};
    rm.params = params;
    const scored = await pairAccuracy(rm, evalEx);
    return { eval_accuracy: scored.accuracy, eval_margin: scored.margin };
  };
  while (step < total) {
    const epoch = Math.floor(step / perEpoch);
    const k = step % perEpoch;
    const order = new HostRng(o.seed * 7919 + epoch).shuffle(train.map((_, i) => i));
    const idx = order.slice(k * B, (k + 1) * B);
    const rows = [...idx.map((i) => train[i].chosen), ...idx.map((i) => train[i].rejected)];
    const b = collateForReward(rows, rm.padTokenId);
    const margin = np.array(new Float32Array(idx.map((i) => train[i].margin ?? 0)));
    const lr = np.array(opt.learningRate(step), { dtype: np.float32 });
    // with onNonFinite "skip", the pre-update state to roll back to
    const keep = guard.mode === "skip" ? refTree({ params, state }) : null;
    const r = trainStep(params, state, b.ids, b.last, margin, lr);
    params = r.params;
    state = r.state;
    const loss = (await r.loss.data())[0];
    const vals: Record<string, number> = { loss, grad_norm: (await r.gradNorm.data())[0] };
    if (guard.check(step + 1, vals) && keep) {
      for (const a of Object.values(r.aux as Record<string, np.Array>)) a.dispose();
      disposeTree({ params, state } as never);
      ({ params, state } = keep);
      step++;
      continue;
    }
    if (keep) disposeTree(keep as never);
    for (const [name, a] of Object.entries(r.aux as Record<string, np.Array>))
      vals[name] = (await a.data())[0];
    step++;
    for (const [kk, v] of Object.entries(vals)) {
      acc[kk] ??= [];
      acc[kk].push(v);
    }
    bar?.update(step, { loss, acc: vals.accuracy });
    if (step % o.logEvery === 0 || step === total) {
      last = Object.fromEntries(
        Object.entries(acc).map(([kk, v]) => [kk, v.reduce((a, x) => a + x, 0) / v.length]),
      );
      last.learning_rate = opt.learningRate(step - 1);
      metrics.log(step, last, step / perEpoch);
      acc = {};
    }
    if (o.saveEvery > 0 && step % o.saveEvery === 0 && step < total) {
      await saveCheckpoint(o.out, {
        params,
        optState: state,
        trainerState: { step, epoch: step / perEpoch, logWindow: acc },
      });
    }
  }
  bar?.done();
  (trainStep as unknown as { dispose(): void }).dispose();
  rm.params = params;
  const ev = await evaluate();
  let heldOutTrueAccuracy: number | undefined;
  if (embedded) {
    const lm = await CausalLM.load(modelDir);
    const scored = await sampleAndScore(
      lm.config,
      lm.params,
      lm.tokenizer,
      sentimentPrompts(o.prompts, 999_001 + o.seed),
      { n: o.samplesPerPrompt, maxNewTokens: o.maxNewTokens, seed: o.seed + 1 },
    );
    lm.dispose();
    heldOutTrueAccuracy = (await pairAccuracy(rm, trueOrderPairs(scored))).accuracy;
    ev.eval_true_reward_accuracy = heldOutTrueAccuracy;
  }
  if (Object.keys(ev).length) metrics.log(step, ev, step / perEpoch);
  metrics.close();
  await rm.save(o.out);
  disposeTree(state as never);
  const result: RewardResult = {
    out: o.out,
    data: dataPath,
    steps: step,
    pairs: { train: train.length, eval: evalEx.length },
    train: last,
    eval: ev,
    heldOutTrueAccuracy,
    seconds: (Date.now() - t0) / 1000,
  };
  writeJsonAtomic(join(o.out, "reward_result.json"), result);
  rm.dispose();
  return result;
}
