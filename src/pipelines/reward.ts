/**
 * Reward-model training (TRL's RewardTrainer), a task on the shared training
 * loop: the LM with a scalar head, trained on preference pairs with the
 * Bradley–Terry loss
 *   L = −E log σ(r_φ(c,x_w) − r_φ(c,x_l) − m) + γ·E[(r_φ(c,x_w) + r_φ(c,x_l))²]
 * (m the per-pair `margin` column, γ `center_rewards_coefficient`), logging
 * loss, accuracy and margins, evaluated on a held-out split, saved in HF
 * layout as a one-label sequence-classification model. With no dataset it
 * trains on the embedded world's preferences and also reports the held-out
 * accuracy against the true AFINN ordering of fresh samples.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { loadPreferenceJsonl, type PreferenceExample, splitEval } from "../data/preference-data.js";
import {
  embeddedPreferences,
  type ScoredSamples,
  sampleAndScore,
  sentimentPrompts,
} from "../data/sentiment-preferences.js";
import { writeJsonAtomic } from "../engine/atomic.js";
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
import {
  accumulationSteps,
  makeAccumulatedStep,
  splitMicroBatches,
} from "../train/gradient-accumulation.js";
import type { AdamState } from "../train/optimizer.js";
import {
  epochSteps,
  linearAdamw,
  logged,
  loopOptions,
  runConfig,
  runLog,
  stripUndefined,
  type TrainRunOptions,
} from "../train/run-options.js";
import { paramsAndOpt, readStepMetrics, runTraining } from "../train/trainer.js";
import { chatTemplateOf } from "./lm-data.js";

export type RewardOptions = TrainRunOptions & {
  /** backbone model directory (default: the bundled text model) */
  model?: string;
  /** TRL preference JSONL (default: build the embedded world's preferences) */
  data?: string;
  weightDecay?: number;
  maxGradNorm?: number;
  /** passes over the data when `steps` is not given */
  epochs?: number;
  centerRewardsCoefficient?: number;
  maxLength?: number;
  evalFraction?: number;
  /** embedded world: prompts, samples per prompt, tokens per sample */
  numPrompts?: number;
  samplesPerPrompt?: number;
  maxNewTokens?: number;
};

export const REWARD_DEFAULTS = {
  lr: 1e-3,
  warmupSteps: 10,
  weightDecay: 0,
  maxGradNorm: 10,
  batchSize: 16,
  epochs: 3,
  centerRewardsCoefficient: 0.01,
  maxLength: 128,
  evalFraction: 0.15,
  saveEvery: 100,
  evalEvery: 0,
  logEvery: 5,
  seed: 0,
  numPrompts: 128,
  samplesPerPrompt: 4,
  maxNewTokens: 16,
};

export type RewardResult = {
  /** "interrupted": stopped by `signal`/`stopAfter`, checkpoint saved, no final model */
  status: "completed" | "interrupted";
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
  const log = runLog(opts);
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
    const lm = await CausalLM.load(modelDir);
    examples = await embeddedPreferences(lm, dataPath, {
      prompts: o.numPrompts,
      samplesPerPrompt: o.samplesPerPrompt,
      maxNewTokens: o.maxNewTokens,
      seed: o.seed,
      rebuild: o.resume === false,
      log: (s) => log(`reward: ${s}`),
    });
    lm.dispose();
  }
  const hasMargin = examples[0].margin !== undefined;
  // GPT-2 has no positions past n_positions
  const maxLen = c.modelType === "gpt2" ? Math.min(o.maxLength, c.maxPositions) : o.maxLength;
  const encode = (e: PreferenceExample): EncodedPair => {
    const p: EncodedPair = {
      chosen: rm.encodePair(e.prompt, e.chosen).slice(0, maxLen),
      rejected: rm.encodePair(e.prompt, e.rejected).slice(0, maxLen),
    };
    if (e.margin !== undefined) p.margin = e.margin;
    return p;
  };
  const split = splitEval(examples, o.evalFraction);
  const train = split.train.map(encode);
  const evalEx = split.eval;
  if (train.length === 0) throw new UserError(`${dataPath}: no training pairs`);
  // B pairs per update, in `accum` micro-batches (TRL's gradient_accumulation_steps)
  const accum = accumulationSteps(o.gradientAccumulationSteps);
  const B = Math.min(o.batchSize * accum, train.length);
  const { perEpoch, total } = epochSteps(train.length, B, o);
  const opt = linearAdamw(o, total);
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
  // the same update from micro-batches, each weighted by its share of the pairs (the loss is a mean)
  const accStep = makeAccumulatedStep(
    (
      p: RewardParams,
      _frozen: Record<string, never>,
      ids: np.Array,
      last: np.Array,
      margin: np.Array,
    ) => objective(p, ids, last, margin),
    opt,
  );
  const pairArrays = (idx: number[]) => {
    const rows = [...idx.map((i) => train[i].chosen), ...idx.map((i) => train[i].rejected)];
    const b = collateForReward(rows, rm.padTokenId);
    const margin = np.array(new Float32Array(idx.map((i) => train[i].margin ?? 0)));
    return [b.ids, b.last, margin] as [np.Array, np.Array, np.Array];
  };
  // the true order of fresh samples (embedded world): drawn once, scored at every evaluation
  let truePairs: PreferenceExample[] | null = null;
  type State = { params: RewardParams; opt: AdamState<RewardParams> };
  const res = await runTraining<State>({
    ...loopOptions(o, "reward", total, { ...runConfig(o), model: modelDir, data: dataPath }),
    init: () => ({ params: refTree(rm.params), opt: opt.init(refTree(rm.params)) }),
    async step(s, step) {
      // the data order is a function of the step: nothing to checkpoint for it
      const epoch = Math.floor(step / perEpoch);
      const k = step % perEpoch;
      const order = new HostRng(o.seed * 7919 + epoch).shuffle(train.map((_, i) => i));
      const idx = order.slice(k * B, (k + 1) * B);
      const lr = opt.learningRate(step);
      const r =
        accum > 1
          ? accStep(
              s.params,
              () => ({}),
              s.opt,
              splitMicroBatches(idx, accum).map((m) => ({
                args: pairArrays(m),
                weight: m.length / idx.length,
              })),
              np.array(lr, { dtype: np.float32 }),
            )
          : trainStep(s.params, s.opt, ...pairArrays(idx), np.array(lr, { dtype: np.float32 }));
      s.params = r.params;
      s.opt = r.state;
      const m = await readStepMetrics({ ...r, aux: r.aux as Record<string, np.Array> });
      return { ...m, learning_rate: lr, epoch: (step + 1) / perEpoch };
    },
    evaluate:
      evalEx.length > 0 || embedded
        ? async (s) => {
            const scorer = new RewardModel(c, refTree(s.params), tok);
            const m: Record<string, number> = {};
            if (evalEx.length > 0) {
              const r = await pairAccuracy(scorer, evalEx);
              m.accuracy = r.accuracy;
              m.margin = r.margin;
            }
            if (embedded) {
              truePairs ??= await freshTruePairs(modelDir, o);
              m.true_reward_accuracy = (await pairAccuracy(scorer, truePairs)).accuracy;
            }
            scorer.dispose();
            return m;
          }
        : undefined,
    ...paramsAndOpt<State>(),
  });
  trainStep.dispose();
  accStep.dispose();
  const ev = res.lastEval ?? {};
  const result: RewardResult = {
    status: res.status,
    out: o.out,
    data: dataPath,
    steps: res.step,
    pairs: { train: train.length, eval: evalEx.length },
    train: logged(res.lastLog),
    eval: ev,
    heldOutTrueAccuracy: ev.eval_true_reward_accuracy,
    seconds: (Date.now() - t0) / 1000,
  };
  disposeTree(rm.params as never);
  rm.params = res.state.params;
  disposeTree(res.state.opt as never);
  if (res.status === "completed") {
    await rm.save(o.out);
    writeJsonAtomic(join(o.out, "reward_result.json"), result);
  }
  rm.dispose();
  return result;
}

/** Pairs of fresh samples of the embedded world's model on held-out prompts, ordered by their AFINN reward. */
async function freshTruePairs(
  modelDir: string,
  o: { numPrompts: number; samplesPerPrompt: number; maxNewTokens: number; seed: number },
): Promise<PreferenceExample[]> {
  const lm = await CausalLM.load(modelDir);
  const scored = await sampleAndScore(
    lm.config,
    lm.params,
    lm.tokenizer,
    sentimentPrompts(o.numPrompts, 999_001 + o.seed),
    { n: o.samplesPerPrompt, maxNewTokens: o.maxNewTokens, seed: o.seed + 1 },
  );
  lm.dispose();
  return trueOrderPairs(scored);
}
