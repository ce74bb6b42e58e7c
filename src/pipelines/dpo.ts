/**
 * The DPO trainer (TRL's DPOTrainer, Rafailov et al. 2023), a task on the
 * shared training loop. Per batch of pairs the policy runs one prefix-shared
 * forward over rows [prompt | chosen | rejected] (each prompt once,
 * src/models/lm/pair-pack.ts); the reference log-probs are constants
 * computed once and cached beside the dataset (src/train/ref-logp-cache.ts);
 *   L = preferenceLoss(Δ_θ − Δ_ref; β, type, ε),  Δ = log π(x_w|c) − log π(x_l|c)
 * with log-probs summed over completion tokens (length-averaged for IPO).
 * Training and held-out evaluation go through the same objective
 * (`dpoPairObjective`) and log TRL's metrics under TRL's names; the final
 * model is written in Hugging Face layout. With no dataset it trains on the
 * embedded world's preferences (samples of the model scored by AFINN,
 * Bradley–Terry labels). With --loss-type listwise the data are rankings
 * (src/data/listwise-data.ts; embedded: one Plackett–Luce ranking of each
 * prompt's samples), each run as K−1 consecutive pairs of one batch.
 */
import { join } from "node:path";
import { loadListwiseJsonl, rankedPairs } from "../data/listwise-data.js";
import { type TruncationOptions, tokenizePairs } from "../data/preference-collate.js";
import {
  loadPreferenceJsonl,
  type PreferenceExample,
  splitEvalGroups,
} from "../data/preference-data.js";
import { embeddedPreferences, embeddedRankings } from "../data/sentiment-preferences.js";
import { writeJsonAtomic } from "../engine/atomic.js";
import { UserError } from "../engine/errors.js";
import { initEngine } from "../engine/init.js";
import { jit, numpy as np } from "../engine/jax.js";
import { disposeTree, refTree } from "../engine/pytree.js";
import { HostRng, makeKey } from "../engine/random.js";
import { defaultModelDir } from "../models/default-model.js";
import { CausalLM } from "../models/lm/causal-lm.js";
import {
  adaptLora,
  defaultLoraTargets,
  disposeAdapted,
  initLora,
  type LoraConfig,
  type LoraParams,
  mergeLora,
} from "../models/lm/lora.js";
import { checkDpoFits } from "../models/lm/memory-fit.js";
import {
  completionLogProbs,
  type PackedPairArrays,
  packedArrays,
} from "../models/lm/pair-logprobs.js";
import { packPairs } from "../models/lm/pair-pack.js";
import type { LMParams } from "../models/lm/params.js";
import type { PreferenceLossType } from "../objectives/preference-loss.js";
import {
  accumulationSteps,
  makeAccumulatedStep,
  splitMicroBatches,
} from "../train/gradient-accumulation.js";
import type { AdamState } from "../train/optimizer.js";
import {
  cachedRefLogps,
  modelFingerprint,
  type RefLogps,
  refCacheKey,
} from "../train/ref-logp-cache.js";
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
import {
  paramsAndOpt,
  readStepMetrics,
  runTraining,
  type TrainingResult,
} from "../train/trainer.js";
import type { FamilyLossType } from "./dpo-family.js";
import { dpoPairObjective, makeDpoStep } from "./dpo-step.js";
import { chatTemplateOf } from "./lm-data.js";

export type DpoOptions = TrainRunOptions & {
  /** model directory (default: the bundled text model) */
  model?: string;
  /** reference model π_ref of the KL anchor (default: `model`, the start; online DPO keeps the first model here) */
  reference?: string;
  /** TRL preference JSONL (default: build the embedded world's preferences) */
  data?: string;
  beta?: number;
  /** sigmoid | hinge | ipo | robust (preferenceLoss), or simpo | orpo | kto | listwise (src/pipelines/dpo-family.ts) */
  lossType?: PreferenceLossType | FamilyLossType;
  labelSmoothing?: number;
  /** SimPO's target margin γ (TRL simpo_gamma, default 0.5) */
  simpoGamma?: number;
  /** KTO's λ_D and λ_U (TRL desirable_weight, undesirable_weight, default 1) */
  desirableWeight?: number;
  undesirableWeight?: number;
  weightDecay?: number;
  maxGradNorm?: number;
  /** passes over the data when `steps` is not given */
  epochs?: number;
  maxPromptLength?: number;
  maxCompletionLength?: number;
  maxLength?: number;
  evalFraction?: number;
  /** cache reference log-probs beside the dataset (default true) */
  refCache?: boolean;
  /** embedded world: prompts, samples per prompt, tokens per sample */
  numPrompts?: number;
  samplesPerPrompt?: number;
  maxNewTokens?: number;
  /** LoRA adapters instead of full fine-tuning (rank 0: off); merged into the saved model */
  lora?: { rank: number; alpha?: number; targets?: string[] };
  /**
   * Called at every evaluation (each `evalEvery` steps and at the end) with the policy's full
   * weights, borrowed for the call; its metrics are logged beside the held-out pairs' (KL-target
   * online DPO measures KL(π‖π_ref) here, src/pipelines/kl-target.ts).
   */
  onEvaluate?: (
    policy: LMParams,
    step: number,
    totalSteps: number,
  ) => Promise<Record<string, number>>;
};

export const DPO_DEFAULTS = {
  // β = 1 is the embedded world's Bradley–Terry temperature, so DPO's optimum there is exactly
  // π* = π_ref·e^{r/β}/Z. The embedded world's pairs are the lever that matters: 512 openings × 4
  // samples for one epoch reach about 0.8 of π*'s reward gain at their KL, 128 × 4 for two epochs
  // about 0.5–0.6, β 0.1 / lr 1e-4 (TRL's β) 0.25–0.31 (README "DPO against the exact optimum")
  beta: 1,
  lossType: "sigmoid" as PreferenceLossType | FamilyLossType,
  labelSmoothing: 0,
  lr: 2e-4,
  warmupSteps: 5,
  weightDecay: 0,
  maxGradNorm: 10,
  batchSize: 16,
  epochs: 1,
  maxPromptLength: 64,
  maxCompletionLength: 64,
  maxLength: 128,
  evalFraction: 0.1,
  evalEvery: 0,
  saveEvery: 50,
  logEvery: 5,
  seed: 0,
  numPrompts: 512,
  samplesPerPrompt: 4,
  maxNewTokens: 16,
};

export type DpoMetrics = Record<string, number>;

export type DpoResult = {
  /** "interrupted": stopped by `signal`/`stopAfter`, checkpoint saved, no final model */
  status: "completed" | "interrupted";
  out: string;
  data: string;
  steps: number;
  pairs: { train: number; eval: number };
  /** listwise: rankings of `size` answers (each trained as size − 1 of the pairs) */
  rankings?: { train: number; eval: number; size: number };
  refCacheHit: boolean;
  refCachePath?: string;
  train: DpoMetrics;
  eval: DpoMetrics;
  seconds: number;
};

/**
 * Summed completion log-probs and token counts of every pair under `params`
 * (no gradient), each prompt run once for both completions. Does not consume `params`.
 */
export async function pairLogps(
  c: CausalLM["config"],
  params: LMParams,
  pairs: { prompt: number[]; chosen: number[]; rejected: number[] }[],
  batchSize: number,
  padTokenId: number,
): Promise<RefLogps> {
  const rows = pairs.flatMap((p) => [
    { prompt: p.prompt, completion: p.chosen },
    { prompt: p.prompt, completion: p.rejected },
  ]);
  const lp = await completionLogProbs(c, params, rows, { batchSize, padTokenId });
  return {
    chosen: pairs.map((_, i) => lp[2 * i]),
    rejected: pairs.map((_, i) => lp[2 * i + 1]),
    chosenTokens: pairs.map((p) => p.chosen.length),
    rejectedTokens: pairs.map((p) => p.rejected.length),
  };
}

type Trainable = LMParams | LoraParams;
type State = { params: Trainable; opt: AdamState<Trainable> };

/** Runs DPO; see the module doc. */
export async function runDpo(opts: DpoOptions): Promise<DpoResult> {
  await initEngine();
  const t0 = Date.now();
  const o = { ...DPO_DEFAULTS, ...stripUndefined(opts), out: opts.out };
  const log = runLog(opts);
  const modelDir = opts.model ?? defaultModelDir("text");
  if (!(o.beta > 0)) throw new UserError(`--beta: must be > 0, got ${o.beta}`);
  // the family's own knobs, range-checked and refused with a loss type that ignores them
  const knobs = [
    ["--simpo-gamma", o.simpoGamma, "simpo", 0],
    ["--desirable-weight", o.desirableWeight, "kto", Number.MIN_VALUE],
    ["--undesirable-weight", o.undesirableWeight, "kto", Number.MIN_VALUE],
  ] as const;
  for (const [flag, v, type, min] of knobs) {
    if (v === undefined) continue;
    if (!(Number.isFinite(v) && v >= min))
      throw new UserError(`${flag}: must be ${min === 0 ? "≥ 0" : "> 0"}, got ${v}`);
    if (o.lossType !== type)
      throw new UserError(`${flag}: only --loss-type ${type} uses it (got ${o.lossType})`);
  }
  const lm = await CausalLM.load(modelDir);
  const c = lm.config;

  // data
  let dataPath = opts.data;
  let examples: PreferenceExample[];
  // pairs per ranking: K − 1 for listwise, 1 otherwise (consecutive pairs of one ranking stay together)
  let group = 1;
  const listwise = o.lossType === "listwise";
  const embedded = {
    prompts: o.numPrompts,
    samplesPerPrompt: o.samplesPerPrompt,
    maxNewTokens: o.maxNewTokens,
    seed: o.seed,
    rebuild: o.resume === false,
    log: (s: string) => log(`dpo: ${s}`),
  };
  if (listwise) {
    const chatTemplate = chatTemplateOf(lm.tokenizer);
    if (!dataPath) dataPath = join(o.out, "rankings.jsonl");
    const r = rankedPairs(
      opts.data
        ? loadListwiseJsonl(dataPath, { chatTemplate })
        : await embeddedRankings(lm, dataPath, embedded),
    );
    examples = r.pairs;
    group = r.listSize - 1;
  } else if (dataPath) {
    examples = loadPreferenceJsonl(dataPath, { chatTemplate: chatTemplateOf(lm.tokenizer) });
  } else {
    dataPath = join(o.out, "preferences.jsonl");
    examples = await embeddedPreferences(lm, dataPath, embedded);
  }
  const trunc: TruncationOptions = {
    maxPromptLength: o.maxPromptLength,
    maxCompletionLength: o.maxCompletionLength,
    // GPT-2 has no positions past n_positions
    maxLength: c.modelType === "gpt2" ? Math.min(o.maxLength, c.maxPositions) : o.maxLength,
    eosTokenId: lm.tokenizer.eosTokenId,
    bosTokenId: lm.tokenizer.bosTokenId ?? lm.tokenizer.eosTokenId,
  };
  const pairsAll = tokenizePairs(examples, lm.tokenizer, trunc, dataPath);
  const { train, eval: evalPairs } = splitEvalGroups(pairsAll, o.evalFraction, group);
  if (train.length < 1) throw new UserError(`${dataPath}: no training pairs`);
  const pad = lm.tokenizer.padTokenId ?? 0;
  // B rankings (pairs unless listwise) per step: B·group packed pairs, in `accum` micro-batches of ≤ micro
  const accum = accumulationSteps(o.gradientAccumulationSteps);
  const micro = Math.min(o.batchSize, train.length / group);
  const B = Math.min(o.batchSize * accum, train.length / group);
  // before any heavy work: will the step fit the engine heap? (one line and exit 2 if not)
  const loraTargets = opts.lora?.targets ?? defaultLoraTargets(c);
  checkDpoFits(c, lm.params, train, {
    rows: micro * group,
    accumulation: accum,
    maxLength: o.maxLength,
    lora:
      opts.lora && opts.lora.rank > 0 ? { rank: opts.lora.rank, targets: loraTargets } : undefined,
    loraTargets,
  });

  // reference log-probs, cached beside the dataset
  const refDir = opts.reference ?? modelDir;
  const key = refCacheKey(modelFingerprint(refDir), pairsAll);
  const compute = async () => {
    if (refDir === modelDir) return pairLogps(c, lm.params, pairsAll, micro, pad);
    const ref = await CausalLM.load(refDir);
    try {
      if (ref.config.vocabSize !== c.vocabSize)
        throw new UserError(
          `--reference ${refDir}: vocabulary of ${ref.config.vocabSize} tokens, the policy's has ${c.vocabSize}`,
        );
      return await pairLogps(ref.config, ref.params, pairsAll, micro, pad);
    } finally {
      ref.dispose();
    }
  };
  let refAll: RefLogps;
  let hit = false;
  let cachePath: string | undefined;
  if (o.refCache !== false) {
    const r = await cachedRefLogps(dataPath, key, pairsAll.length, compute);
    refAll = r.logps;
    hit = r.hit;
    cachePath = r.path;
    log(`dpo: reference log-probs ${hit ? "read from" : "computed and cached in"} ${r.path}`);
  } else refAll = await compute();
  // the reference value the loss sees: summed, or length-averaged for IPO
  const ipo = o.lossType === "ipo";
  const refValues = (which: "train" | "eval") => {
    const idx = splitEvalGroups(
      pairsAll.map((_, i) => i),
      o.evalFraction,
      group,
    )[which];
    const v = (s: number, n: number) => (ipo ? s / Math.max(1, n) : s);
    return {
      chosen: idx.map((i) => v(refAll.chosen[i], refAll.chosenTokens[i])),
      rejected: idx.map((i) => v(refAll.rejected[i], refAll.rejectedTokens[i])),
    };
  };
  const refTrain = refValues("train");
  const refEval = refValues("eval");

  // optimiser and schedule
  const { perEpoch, total } = epochSteps(train.length / group, B, o);
  const opt = linearAdamw(o, total);
  // with LoRA the trainable tree is the adapters; the base weights stay frozen
  const loraCfg: LoraConfig | undefined =
    opts.lora && opts.lora.rank > 0
      ? {
          rank: opts.lora.rank,
          alpha: opts.lora.alpha ?? 2 * opts.lora.rank,
          targets: opts.lora.targets ?? defaultLoraTargets(c),
        }
      : undefined;
  const base = lm.params;
  /** The policy's full weights (consumes `t` and `b`). */
  const policyOf = (t: Trainable, b: LMParams | Record<string, never>): LMParams =>
    loraCfg ? mergeLora(b as LMParams, t as LoraParams, loraCfg) : (t as LMParams);
  /** The same policy with the adapters unmerged (the base held once): compiled objectives, the saved model. */
  const tracedPolicyOf = (t: Trainable, b: LMParams | Record<string, never>): LMParams =>
    loraCfg ? adaptLora(b as LMParams, t as LoraParams, loraCfg) : (t as LMParams);
  const baseArg = (): LMParams | Record<string, never> => (loraCfg ? refTree(base) : {});
  const lossOpts = {
    beta: o.beta,
    type: o.lossType,
    labelSmoothing: o.labelSmoothing,
    simpoGamma: o.simpoGamma,
    desirableWeight: o.desirableWeight,
    undesirableWeight: o.undesirableWeight,
    listSize: group + 1,
  };

  // one prefix-shared forward over [prompt | chosen | rejected] rows, loss, gradient and AdamW
  const trainStep = makeDpoStep(c, opt, lossOpts, tracedPolicyOf);
  // the same update from micro-batches (src/train/gradient-accumulation.ts)
  const accStep = makeAccumulatedStep(
    (
      t: Trainable,
      b: LMParams | Record<string, never>,
      batch: PackedPairArrays,
      rc: np.Array,
      rr: np.Array,
    ) => dpoPairObjective(c, tracedPolicyOf(t, b), batch, rc, rr, lossOpts),
    opt,
  );
  // the same objective without the gradient, for held-out pairs
  const evalObjective = jit(
    (
      t: Trainable,
      b: LMParams | Record<string, never>,
      batch: PackedPairArrays,
      refC: np.Array,
      refR: np.Array,
    ) => {
      const [loss, aux] = dpoPairObjective(c, tracedPolicyOf(t, b), batch, refC, refR, lossOpts);
      return { loss, ...aux };
    },
  );
  const refArrays = (r: { chosen: number[]; rejected: number[] }, idx: number[]) => [
    np.array(new Float32Array(idx.map((i) => r.chosen[i]))),
    np.array(new Float32Array(idx.map((i) => r.rejected[i]))),
  ];

  let res: TrainingResult<State>;
  try {
    res = await runTraining<State>({
      ...loopOptions(o, "dpo", total, { ...runConfig(o), model: modelDir, data: dataPath }),
      init: () => {
        const params: Trainable = loraCfg
          ? initLora(base, loraCfg, makeKey(o.seed + 17))
          : refTree(lm.params);
        if (loraCfg) {
          const n = Object.values(params as LoraParams).reduce(
            (a, x) => a + x.A.size + x.B.size,
            0,
          );
          log(
            `dpo: LoRA rank ${loraCfg.rank}, α ${loraCfg.alpha} on ${loraCfg.targets.join(", ")}: ${n} trainable numbers`,
          );
        }
        return { params, opt: opt.init(refTree(params)) };
      },
      async step(s, step) {
        // the data order is a function of the step: nothing to checkpoint for it
        const epoch = Math.floor(step / perEpoch);
        const k = step % perEpoch;
        const lists = Array.from({ length: train.length / group }, (_, i) => i);
        const order = new HostRng(o.seed * 7919 + epoch).shuffle(lists);
        const idx = order
          .slice(k * B, (k + 1) * B)
          .flatMap((i) => Array.from({ length: group }, (_, j) => i * group + j));
        const batch = packedArrays(
          packPairs(
            idx.map((i) => train[i]),
            { padTokenId: pad },
          ),
        );
        const lr = opt.learningRate(step);
        if (accum > 1) {
          // whole rankings per micro-batch, each weighted by its share of the step's rankings
          const lists = splitMicroBatches(
            Array.from({ length: idx.length / group }, (_, i) =>
              idx.slice(i * group, (i + 1) * group),
            ),
            Math.ceil(idx.length / group / micro),
          );
          const r = accStep(
            s.params,
            baseArg,
            s.opt,
            lists.map((l) => {
              const mi = l.flat();
              const [rc, rr] = refArrays(refTrain, mi);
              const batch = packedArrays(
                packPairs(
                  mi.map((i) => train[i]),
                  { padTokenId: pad },
                ),
              );
              return { args: [batch, rc, rr], weight: l.length / (idx.length / group) };
            }),
            np.array(lr, { dtype: np.float32 }),
          );
          s.params = r.params;
          s.opt = r.state;
          const m = await readStepMetrics(r);
          return { ...m, learning_rate: lr, epoch: (step + 1) / perEpoch };
        }
        const [refC, refR] = refArrays(refTrain, idx);
        const r = trainStep(
          s.params,
          baseArg(),
          s.opt,
          batch,
          refC,
          refR,
          np.array(lr, { dtype: np.float32 }),
        );
        s.params = r.params;
        s.opt = r.state;
        const m = await readStepMetrics(r);
        return { ...m, learning_rate: lr, epoch: (step + 1) / perEpoch };
      },
      evaluate:
        evalPairs.length > 0 || opts.onEvaluate
          ? async (s, step) => {
              // means over all held-out pairs: batch means weighted by batch size
              const sums: Record<string, number> = {};
              for (let i = 0; i < evalPairs.length; i += micro * group) {
                const idx = evalPairs.slice(i, i + micro * group).map((_, k) => i + k);
                const batch = packedArrays(
                  packPairs(
                    idx.map((j) => evalPairs[j]),
                    { padTokenId: pad },
                  ),
                );
                const [refC, refR] = refArrays(refEval, idx);
                const out = evalObjective(refTree(s.params), baseArg(), batch, refC, refR);
                for (const [name, a] of Object.entries(out))
                  sums[name] = (sums[name] ?? 0) + (await a.data())[0] * idx.length;
              }
              const means = Object.fromEntries(
                Object.entries(sums).map(([k, v]) => [k, v / evalPairs.length]),
              );
              if (!opts.onEvaluate) return means;
              const policy = policyOf(refTree(s.params), baseArg());
              try {
                return { ...means, ...(await opts.onEvaluate(policy, step, total)) };
              } finally {
                disposeTree(policy);
              }
            }
          : undefined,
      ...paramsAndOpt<State>(),
    });
  } finally {
    trainStep.dispose();
    accStep.dispose();
    evalObjective.dispose();
  }
  const result: DpoResult = {
    status: res.status,
    out: o.out,
    data: dataPath,
    steps: res.step,
    pairs: { train: train.length, eval: evalPairs.length },
    ...(listwise
      ? {
          rankings: {
            train: train.length / group,
            eval: evalPairs.length / group,
            size: group + 1,
          },
        }
      : {}),
    refCacheHit: hit,
    refCachePath: cachePath,
    train: logged(res.lastLog),
    eval: res.lastEval ?? {},
    seconds: (Date.now() - t0) / 1000,
  };
  if (res.status === "completed") {
    // LoRA adapters are merged into the saved weights one at a time, as the file is written
    // (all merged at once beside the base, the 0.5B model's save ran out of heap)
    const weights = tracedPolicyOf(res.state.params, baseArg());
    await new CausalLM(c, weights, lm.tokenizer).save(o.out);
    writeJsonAtomic(join(o.out, "dpo_result.json"), result);
    disposeAdapted(weights);
  } else disposeTree(res.state.params as never);
  disposeTree(res.state.opt as never);
  lm.dispose();
  return result;
}
