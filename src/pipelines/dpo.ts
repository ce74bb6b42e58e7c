/**
 * The DPO trainer (TRL's DPOTrainer, Rafailov et al. 2023). Per batch of
 * pairs the policy runs one prefix-shared forward over rows [prompt | chosen |
 * rejected] (each prompt once, src/data/pair-pack.ts); the reference
 * log-probs are constants computed once and cached beside the dataset
 * (src/train/ref-logp-cache.ts);
 *   L = preferenceLoss(Δ_θ − Δ_ref; β, type, ε),  Δ = log π(x_w|c) − log π(x_l|c)
 * with log-probs summed over completion tokens (length-averaged for IPO).
 * Logs TRL's metrics under TRL's names, evaluates on a held-out split,
 * checkpoints and resumes, and writes the final model in Hugging Face layout.
 * With no dataset it builds the embedded world's preferences (samples of the
 * model scored by AFINN, Bradley–Terry labels) and trains on them.
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packPairs } from "../data/pair-pack.js";
import {
  type TokenizedPair,
  type TruncationOptions,
  tokenizePairs,
} from "../data/preference-collate.js";
import {
  loadPreferenceJsonl,
  type PreferenceExample,
  preferenceJsonl,
  splitEval,
} from "../data/preference-data.js";
import {
  bradleyTerryPreferences,
  sampleAndScore,
  sentimentPrompts,
} from "../data/sentiment-preferences.js";
import { writeJsonAtomic } from "../engine/atomic.js";
import { UserError } from "../engine/errors.js";
import { initEngine } from "../engine/init.js";
import { jit, numpy as np } from "../engine/jax.js";
import { disposeTree, refTree } from "../engine/pytree.js";
import { HostRng, makeKey } from "../engine/random.js";
import { defaultModelDir } from "../models/default-model.js";
import { CausalLM } from "../models/lm/causal-lm.js";
import type { LMConfig } from "../models/lm/config.js";
import {
  defaultLoraTargets,
  initLora,
  type LoraConfig,
  type LoraParams,
  mergeLora,
} from "../models/lm/lora.js";
import { type PackedPairArrays, packedArrays, pairLogProbs } from "../models/lm/pair-logprobs.js";
import type { LMParams } from "../models/lm/params.js";
import type { PreferenceLossType } from "../objectives/preference-loss.js";
import { resumeLatest, saveCheckpoint } from "../train/checkpoint.js";
import { MetricsLogger } from "../train/metrics.js";
import { type AdamState, adamw, decayMatrices } from "../train/optimizer.js";
import { ProgressBar } from "../train/progress.js";
import {
  cachedRefLogps,
  modelFingerprint,
  type RefLogps,
  refCacheKey,
} from "../train/ref-logp-cache.js";
import { linearWarmupDecay } from "../train/schedules.js";
import { NonFiniteGuard } from "../train/trainer.js";
import { makeDpoStep } from "./dpo-step.js";
import { chatTemplateOf } from "./lm-data.js";

export type DpoOptions = {
  /** model directory (default: the bundled text model) */
  model?: string;
  /** TRL preference JSONL (default: build the embedded world's preferences) */
  data?: string;
  out: string;
  beta?: number;
  lossType?: PreferenceLossType;
  labelSmoothing?: number;
  learningRate?: number;
  warmupSteps?: number;
  weightDecay?: number;
  maxGradNorm?: number;
  batchSize?: number;
  epochs?: number;
  /** stop after this many updates (default: epochs × batches per epoch) */
  maxSteps?: number;
  maxPromptLength?: number;
  maxCompletionLength?: number;
  maxLength?: number;
  evalFraction?: number;
  /** evaluate every this many steps (0: only at the end) */
  evalEvery?: number;
  /** checkpoint every this many steps (0: never) */
  saveEvery?: number;
  logEvery?: number;
  seed?: number;
  /** cache reference log-probs beside the dataset (default true) */
  refCache?: boolean;
  /** continue from the newest checkpoint in `out` (default true) */
  resume?: boolean;
  /** embedded world: prompts, samples per prompt, tokens per sample */
  prompts?: number;
  samplesPerPrompt?: number;
  maxNewTokens?: number;
  /** a step with a non-finite loss or gradient: stop with an error (default) or roll it back and count it */
  onNonFinite?: "stop" | "skip";
  /** LoRA adapters instead of full fine-tuning (rank 0: off); merged into the saved model */
  lora?: { rank: number; alpha?: number; targets?: string[] };
  /** stop like an interrupt once this many steps are done: checkpoint, no final model */
  stopAfter?: number;
  /** progress bar and messages (default: stderr) */
  quiet?: boolean;
  log?: (line: string) => void;
};

export const DPO_DEFAULTS = {
  beta: 0.1,
  lossType: "sigmoid" as PreferenceLossType,
  labelSmoothing: 0,
  learningRate: 1e-4,
  warmupSteps: 5,
  weightDecay: 0,
  maxGradNorm: 10,
  batchSize: 16,
  epochs: 2,
  maxPromptLength: 64,
  maxCompletionLength: 64,
  maxLength: 128,
  evalFraction: 0.1,
  evalEvery: 0,
  saveEvery: 50,
  logEvery: 5,
  seed: 0,
  prompts: 128,
  samplesPerPrompt: 4,
  maxNewTokens: 16,
};

export type DpoMetrics = Record<string, number>;

export type DpoResult = {
  out: string;
  data: string;
  steps: number;
  pairs: { train: number; eval: number };
  refCacheHit: boolean;
  refCachePath?: string;
  train: DpoMetrics;
  eval: DpoMetrics;
  seconds: number;
};

/** Host mean of a float array. */
function mean(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return xs.length ? s / xs.length : Number.NaN;
}

/**
 * Completion log-probs of every pair under `params` (no gradient), in
 * batches of `batchSize` pairs: sums and token counts. Does not consume `params`.
 */
export async function pairLogps(
  c: LMConfig,
  params: LMParams,
  pairs: TokenizedPair[],
  batchSize: number,
  padTokenId: number,
): Promise<RefLogps> {
  const out: RefLogps = { chosen: [], rejected: [], chosenTokens: [], rejectedTokens: [] };
  // prefix-shared: each prompt runs once for both completions (src/data/pair-pack.ts)
  const f = jit((p: LMParams, b: PackedPairArrays) => {
    const r = pairLogProbs(c, p, b);
    return [r.chosen, r.rejected];
  });
  for (let i = 0; i < pairs.length; i += batchSize) {
    const chunk = pairs.slice(i, i + batchSize);
    const [ch, rj] = f(refTree(params), packedArrays(packPairs(chunk, { padTokenId, batchSize })));
    const lc = (await ch.data()) as Float32Array;
    const lr = (await rj.data()) as Float32Array;
    for (let k = 0; k < chunk.length; k++) {
      out.chosen.push(lc[k]);
      out.rejected.push(lr[k]);
      out.chosenTokens.push(chunk[k].chosen.length);
      out.rejectedTokens.push(chunk[k].rejected.length);
    }
  }
  f.dispose();
  return out;
}

/** TRL's DPO metrics from host log-probs (used for evaluation). */
export function dpoMetricsFromLogps(
  policy: RefLogps,
  ref: RefLogps,
  o: { beta: number; lossType: PreferenceLossType; labelSmoothing: number },
): DpoMetrics {
  const n = policy.chosen.length;
  const ipo = o.lossType === "ipo";
  const avg = (x: number[], t: number[], i: number) => (ipo ? x[i] / Math.max(1, t[i]) : x[i]);
  let loss = 0;
  let rc = 0;
  let rr = 0;
  let acc = 0;
  let lc = 0;
  let lr = 0;
  const sp = (z: number) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));
  const eps = o.labelSmoothing;
  for (let i = 0; i < n; i++) {
    const pc = avg(policy.chosen, policy.chosenTokens, i);
    const pr = avg(policy.rejected, policy.rejectedTokens, i);
    const qc = avg(ref.chosen, ref.chosenTokens, i);
    const qr = avg(ref.rejected, ref.rejectedTokens, i);
    const m = pc - qc - (pr - qr);
    const z = o.beta * m;
    let l: number;
    if (o.lossType === "sigmoid") l = (1 - eps) * sp(-z) + eps * sp(z);
    else if (o.lossType === "robust") l = ((1 - eps) * sp(-z) - eps * sp(z)) / (1 - 2 * eps);
    else if (o.lossType === "hinge") l = Math.max(0, 1 - z);
    else l = (m - 1 / (2 * o.beta)) ** 2;
    loss += l;
    const cr = o.beta * (pc - qc);
    const rj = o.beta * (pr - qr);
    rc += cr;
    rr += rj;
    acc += cr > rj ? 1 : 0;
    lc += policy.chosen[i];
    lr += policy.rejected[i];
  }
  return {
    loss: loss / n,
    "rewards/chosen": rc / n,
    "rewards/rejected": rr / n,
    "rewards/accuracies": acc / n,
    "rewards/margins": (rc - rr) / n,
    "logps/chosen": lc / n,
    "logps/rejected": lr / n,
  };
}

/** The embedded world's preferences, sampled from `lm` and written to `path` (JSONL). */
export async function buildEmbeddedPreferences(
  lm: CausalLM,
  path: string,
  o: { prompts: number; samplesPerPrompt: number; maxNewTokens: number; seed: number },
): Promise<PreferenceExample[]> {
  const prompts = sentimentPrompts(o.prompts, 1234 + o.seed);
  const scored = await sampleAndScore(lm.config, lm.params, lm.tokenizer, prompts, {
    n: o.samplesPerPrompt,
    maxNewTokens: o.maxNewTokens,
    seed: o.seed,
  });
  const ex = bradleyTerryPreferences(scored, { seed: o.seed });
  writeFileSync(path, preferenceJsonl(ex));
  return ex;
}

/** Runs DPO; see the module doc. */
export async function runDpo(opts: DpoOptions): Promise<DpoResult> {
  await initEngine();
  const t0 = Date.now();
  const o = { ...DPO_DEFAULTS, ...stripUndefined(opts), out: opts.out };
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const modelDir = opts.model ?? defaultModelDir("text");
  if (!(o.beta > 0)) throw new UserError(`--beta: must be > 0, got ${o.beta}`);
  const lm = await CausalLM.load(modelDir);
  const c = lm.config;

  // data
  let dataPath = opts.data;
  let examples: PreferenceExample[];
  if (dataPath) {
    examples = loadPreferenceJsonl(dataPath, { chatTemplate: chatTemplateOf(lm.tokenizer) });
  } else {
    dataPath = join(o.out, "preferences.jsonl");
    if (existsSync(dataPath) && o.resume !== false) {
      examples = loadPreferenceJsonl(dataPath);
      log(`dpo: reusing ${examples.length} embedded-world preference pairs in ${dataPath}`);
    } else {
      const { mkdirSync } = await import("node:fs");
      mkdirSync(o.out, { recursive: true });
      log(
        `dpo: sampling ${o.samplesPerPrompt} completions for ${o.prompts} prompts, AFINN scores, Bradley–Terry labels`,
      );
      examples = await buildEmbeddedPreferences(lm, dataPath, o);
      log(`dpo: ${examples.length} preference pairs written to ${dataPath}`);
    }
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
  const split = splitEval(pairsAll, o.evalFraction);
  const train = split.train;
  const evalPairs = split.eval;
  if (train.length < 1) throw new UserError(`${dataPath}: no training pairs`);
  const pad = lm.tokenizer.padTokenId ?? 0;
  const B = Math.min(o.batchSize, train.length);

  // reference log-probs, cached beside the dataset
  const key = refCacheKey(modelFingerprint(modelDir), pairsAll);
  const compute = () => pairLogps(c, lm.params, pairsAll, B, pad);
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
  const splitRef = (which: "train" | "eval"): RefLogps => {
    const idx = splitEval(
      pairsAll.map((_, i) => i),
      o.evalFraction,
    )[which];
    return {
      chosen: idx.map((i) => refAll.chosen[i]),
      rejected: idx.map((i) => refAll.rejected[i]),
      chosenTokens: idx.map((i) => refAll.chosenTokens[i]),
      rejectedTokens: idx.map((i) => refAll.rejectedTokens[i]),
    };
  };
  const refTrain = splitRef("train");
  const refEval = splitRef("eval");

  // optimiser and schedule
  const perEpoch = Math.max(1, Math.floor(train.length / B));
  const total = o.maxSteps ?? Math.max(1, Math.round(o.epochs * perEpoch));
  const schedule = linearWarmupDecay({
    peak: o.learningRate,
    warmupSteps: Math.min(o.warmupSteps, total),
    totalSteps: total,
  });
  const opt = adamw({
    learningRate: schedule,
    weightDecay: o.weightDecay,
    maxGradNorm: o.maxGradNorm,
    decayMask: decayMatrices,
  });
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
  type Trainable = LMParams | LoraParams;
  let params: Trainable = loraCfg
    ? initLora(base, loraCfg, makeKey(o.seed + 17))
    : refTree(lm.params);
  if (loraCfg) {
    const n = Object.values(params as LoraParams).reduce((a, x) => a + x.A.size + x.B.size, 0);
    log(
      `dpo: LoRA rank ${loraCfg.rank}, α ${loraCfg.alpha} on ${loraCfg.targets.join(", ")}: ${n} trainable numbers`,
    );
  }
  /** The policy's full weights (consumes `t` and `b`). */
  const policyOf = (t: Trainable, b: LMParams | Record<string, never>): LMParams =>
    loraCfg ? mergeLora(b as LMParams, t as LoraParams, loraCfg) : (t as LMParams);
  const baseArg = (): LMParams | Record<string, never> => (loraCfg ? refTree(base) : {});
  let state: AdamState<Trainable> = opt.init(refTree(params));
  let step = 0;
  // the metrics of the unfinished log window, checkpointed so a resumed run logs the same means
  let resumedWindow: Record<string, number[]> = {};
  if (o.resume !== false) {
    const r = resumeLatest(o.out, params, state);
    params = r.params;
    state = r.optState;
    step = r.step;
    resumedWindow = r.logWindow;
    if (r.from) log(`dpo: resumed from ${r.from} at step ${step}`);
  }
  const metrics = new MetricsLogger(o.out, { keepUpToStep: step });
  const guard = new NonFiniteGuard(opts.onNonFinite ?? "stop", 10, log);
  const ipo = o.lossType === "ipo";
  const lossOpts = { beta: o.beta, type: o.lossType, labelSmoothing: o.labelSmoothing };

  // one prefix-shared forward over [prompt | chosen | rejected] rows, loss, gradient and AdamW
  const trainStep = makeDpoStep(c, opt, lossOpts, policyOf);

  const refValue = (r: RefLogps, which: "chosen" | "rejected", i: number) => {
    const s = r[which][i];
    if (!ipo) return s;
    return s / Math.max(1, which === "chosen" ? r.chosenTokens[i] : r.rejectedTokens[i]);
  };
  const evaluate = async (): Promise<DpoMetrics> => {
    if (evalPairs.length === 0) return {};
    const full = policyOf(refTree(params), baseArg());
    const pol = await pairLogps(c, full, evalPairs, B, pad);
    disposeTree(full);
    const m = dpoMetricsFromLogps(pol, refEval, {
      beta: o.beta,
      lossType: o.lossType,
      labelSmoothing: o.labelSmoothing,
    });
    return Object.fromEntries(Object.entries(m).map(([k, v]) => [`eval_${k}`, v]));
  };

  const bar = opts.quiet ? undefined : new ProgressBar({ total, label: "dpo", start: step });
  let last: DpoMetrics = {};
  let acc: Record<string, number[]> = resumedWindow;
  while (step < total) {
    const epoch = Math.floor(step / perEpoch);
    const k = step % perEpoch;
    const order = new HostRng(o.seed * 7919 + epoch).shuffle(train.map((_, i) => i));
    const idx = order.slice(k * B, (k + 1) * B);
    const batch = packedArrays(
      packPairs(
        idx.map((i) => train[i]),
        { padTokenId: pad },
      ),
    );
    const refC = np.array(new Float32Array(idx.map((i) => refValue(refTrain, "chosen", i))));
    const refR = np.array(new Float32Array(idx.map((i) => refValue(refTrain, "rejected", i))));
    const lr = np.array(opt.learningRate(step), { dtype: np.float32 });
    // with onNonFinite "skip", the pre-update state to roll back to
    const keep = guard.mode === "skip" ? refTree({ params, state }) : null;
    const r = trainStep(params, baseArg(), state, batch, refC, refR, lr);
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
    bar?.update(step, { loss, acc: vals["rewards/accuracies"] });
    if (step % o.logEvery === 0 || step === total) {
      last = Object.fromEntries(Object.entries(acc).map(([kk, v]) => [kk, mean(v)]));
      last.learning_rate = opt.learningRate(step - 1);
      metrics.log(step, last, step / perEpoch);
      acc = {};
    }
    if (o.evalEvery > 0 && step % o.evalEvery === 0 && step < total) {
      metrics.log(step, await evaluate(), step / perEpoch);
    }
    const stop = opts.stopAfter !== undefined && step >= opts.stopAfter && step < total;
    if ((o.saveEvery > 0 && step % o.saveEvery === 0 && step < total) || stop) {
      await saveCheckpoint(o.out, {
        params,
        optState: state,
        trainerState: {
          step,
          epoch: step / perEpoch,
          config: { ...o, log: undefined },
          logWindow: acc,
        },
      });
    }
    if (stop) {
      bar?.done();
      trainStep.dispose();
      metrics.close();
      disposeTree(params);
      disposeTree(state as never);
      lm.dispose();
      return {
        out: o.out,
        data: dataPath,
        steps: step,
        pairs: { train: train.length, eval: evalPairs.length },
        refCacheHit: hit,
        refCachePath: cachePath,
        train: last,
        eval: {},
        seconds: (Date.now() - t0) / 1000,
      };
    }
  }
  bar?.done();
  trainStep.dispose();
  const ev = await evaluate();
  if (Object.keys(ev).length) metrics.log(step, ev, step / perEpoch);
  metrics.close();

  // final model in HF layout
  // LoRA adapters are merged into the saved weights
  const final = new CausalLM(c, policyOf(params, baseArg()), lm.tokenizer);
  await final.save(o.out);
  const result: DpoResult = {
    out: o.out,
    data: dataPath,
    steps: step,
    pairs: { train: train.length, eval: evalPairs.length },
    refCacheHit: hit,
    refCachePath: cachePath,
    train: last,
    eval: ev,
    seconds: (Date.now() - t0) / 1000,
  };
  writeJsonAtomic(join(o.out, "dpo_result.json"), result);
  disposeTree(state as never);
  final.dispose();
  lm.dispose();
  return result;
}

/** Drops keys whose value is undefined (so defaults apply). */
export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
