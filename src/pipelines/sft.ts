/**
 * Supervised fine-tuning (TRL's SFTTrainer, completion-only loss): minimise
 * the mean NLL of completion tokens given their prompts,
 * L = −Σ_b Σ_{t ∈ completion_b} log π_θ(x_t | x_<t) / Σ_b |completion_b|,
 * with AdamW and a linear warm-up/decay schedule. The shared training loop
 * gives progress, metrics.jsonl, checkpoints and resume; the result is a
 * Hugging Face model directory in `out`.
 */
import { join } from "node:path";
import { type SFTExample, tokenizeSFT } from "../data/sft-data.js";
import { UserError } from "../engine/errors.js";
import { initEngine } from "../engine/init.js";
import { jit, numpy as np, valueAndGrad } from "../engine/jax.js";
import { disposeTree, refTree } from "../engine/pytree.js";
import { HostRng } from "../engine/random.js";
import { CausalLM } from "../models/lm/causal-lm.js";
import type { LMConfig } from "../models/lm/config.js";
import { type Collated, collatePromptCompletion, maskedNLL } from "../models/lm/logprobs.js";
import type { LMParams } from "../models/lm/params.js";
import {
  accumulationSteps,
  makeAccumulatedStep,
  splitMicroBatches,
} from "../train/gradient-accumulation.js";
import { type AdamState, adamw, decayMatrices } from "../train/optimizer.js";
import {
  loopOptions,
  runConfig,
  stripUndefined,
  type TrainRunOptions,
} from "../train/run-options.js";
import { linearWarmupDecay } from "../train/schedules.js";
import { paramsAndOpt, readStepMetrics, runTraining } from "../train/trainer.js";

export type SftOptions = TrainRunOptions & {
  /** Model directory to start from. */
  model: string;
  examples: SFTExample[];
  /** Passes over the data when `steps` is not given. */
  epochs?: number;
  /** Default: 5% of the steps. */
  warmupSteps?: number;
  weightDecay?: number;
  maxLength?: number;
  /** Share of examples held out for eval_loss (default 0.05, none below 20 examples). */
  evalFraction?: number;
};

export const SFT_DEFAULTS = {
  epochs: 1,
  batchSize: 8,
  lr: 1e-4,
  weightDecay: 0.0,
  maxLength: 256,
  evalFraction: 0.05,
  seed: 0,
  saveEvery: 100,
  evalEvery: 0,
  logEvery: 10,
};

export type SftResult = {
  /** "interrupted": stopped by `signal`/`stopAfter`, checkpoint saved, no final model */
  status: "completed" | "interrupted";
  steps: number;
  seconds: number;
  trainLoss: number;
  evalLoss: number | null;
  out: string;
};

type Row = { prompt: number[]; completion: number[] };
type State = { params: LMParams; opt: AdamState<LMParams>; epoch: number; cursor: number };

/** Runs SFT; see the module doc. */
export async function runSft(opts: SftOptions): Promise<SftResult> {
  const o = {
    ...SFT_DEFAULTS,
    ...stripUndefined(opts),
    out: opts.out,
    model: opts.model,
    examples: opts.examples,
  };
  await initEngine();
  const lm = await CausalLM.load(o.model);
  const c: LMConfig = lm.config;
  const tok = lm.tokenizer;
  const maxLength = Math.min(o.maxLength, c.maxPositions);
  const rows: Row[] = o.examples
    .map((e) => tokenizeSFT(e, tok))
    .filter((r) => r.completion.length > 0);
  if (rows.length === 0) throw new UserError("sft: no example has a non-empty completion");
  const rng = new HostRng(o.seed);
  const shuffled = rng.shuffle(rows);
  const nEval = rows.length >= 20 ? Math.max(1, Math.round(rows.length * o.evalFraction)) : 0;
  const evalRows = shuffled.slice(0, Math.min(nEval, 64));
  const trainRows = shuffled.slice(nEval);
  // B rows per update, in `accum` micro-batches (TRL's gradient_accumulation_steps)
  const accum = accumulationSteps(o.gradientAccumulationSteps);
  const B = Math.min(o.batchSize * accum, trainRows.length);
  const T = Math.min(
    maxLength,
    Math.max(2, ...rows.map((r) => r.prompt.length + r.completion.length)),
  );
  const totalSteps = o.steps ?? Math.max(1, Math.ceil((trainRows.length * o.epochs) / B));
  const pad = tok.padTokenId ?? tok.eosTokenId ?? 0;

  const schedule = linearWarmupDecay({
    peak: o.lr,
    warmupSteps: Math.min(o.warmupSteps ?? Math.round(totalSteps * 0.05), totalSteps),
    totalSteps,
  });
  const opt = adamw({
    learningRate: schedule,
    weightDecay: o.weightDecay,
    maxGradNorm: 1,
    decayMask: decayMatrices,
  });
  const step = jit(
    (p: LMParams, s: AdamState<LMParams>, ids: np.Array, mask: np.Array, lr: np.Array) => {
      const [loss, grads] = valueAndGrad((pp: LMParams) => maskedNLL(c, pp, ids, mask))(refTree(p));
      const r = opt.step(p, grads, s, lr);
      return [loss, r.params, r.state, r.gradNorm] as const;
    },
  );
  // the same update from micro-batches: each micro-batch's token-mean NLL weighted by its share
  // of the update's completion tokens, so the sum is the token mean over the whole batch
  const accStep = makeAccumulatedStep(
    (p: LMParams, _frozen: Record<string, never>, ids: np.Array, mask: np.Array) =>
      [maskedNLL(c, p, ids, mask), {}] as [np.Array, Record<string, np.Array>],
    opt,
  );
  /** Completion tokens the loss scores: the mask at positions 1..T−1, as maskedNLL reads it. */
  const scoredTokens = (b: Collated) => {
    let n = 0;
    for (let i = 0; i < b.completionMask.length; i++) if (i % b.T > 0) n += b.completionMask[i];
    return n;
  };
  const collate = (batch: Row[]) => collatePromptCompletion(batch, pad, { maxLength, padTo: T });
  const collatedArrays = (b: Collated) =>
    [
      np.array(b.ids, { shape: [b.B, b.T], dtype: np.int32 }),
      np.array(b.completionMask, { shape: [b.B, b.T], dtype: np.float32 }),
    ] as const;
  const batchArrays = (batch: Row[]) => collatedArrays(collate(batch));
  const orderOf = (epoch: number) =>
    new HostRng(o.seed * 1_000_003 + epoch + 1).shuffle(
      Array.from({ length: trainRows.length }, (_, i) => i),
    );
  let order = orderOf(0);
  let orderEpoch = 0;

  const result = await runTraining<State>({
    ...loopOptions(o, "sft", totalSteps, { ...runConfig(o), examples: o.examples.length }),
    init: () => {
      const params = refTree(lm.params);
      return { params, opt: opt.init(refTree(params)), epoch: 0, cursor: 0 };
    },
    async step(s, i) {
      const batch: Row[] = [];
      while (batch.length < B) {
        if (s.cursor >= trainRows.length) {
          s.epoch++;
          s.cursor = 0;
        }
        if (orderEpoch !== s.epoch) {
          order = orderOf(s.epoch);
          orderEpoch = s.epoch;
        }
        batch.push(trainRows[order[s.cursor++]]);
      }
      const lr = opt.learningRate(i);
      if (accum > 1) {
        const parts = splitMicroBatches(batch, accum).map(collate);
        const scored = parts.map(scoredTokens);
        const total = scored.reduce((a, n) => a + n, 0);
        const r = accStep(
          s.params,
          () => ({}),
          s.opt,
          parts.map((m, k) => ({
            args: collatedArrays(m) as unknown as [np.Array, np.Array],
            weight: scored[k] / Math.max(1, total),
          })),
          np.array(lr, { dtype: np.float32 }),
        );
        s.params = r.params;
        s.opt = r.state;
        return {
          ...(await readStepMetrics({ loss: r.loss, gradNorm: r.gradNorm })),
          learning_rate: lr,
          epoch: s.epoch + s.cursor / trainRows.length,
        };
      }
      const [ids, mask] = batchArrays(batch);
      const [lossA, p2, s2, gA] = step(
        s.params,
        s.opt,
        ids,
        mask,
        np.array(lr, { dtype: np.float32 }),
      );
      s.params = p2 as LMParams;
      s.opt = s2 as AdamState<LMParams>;
      return {
        ...(await readStepMetrics({ loss: lossA as np.Array, gradNorm: gA as np.Array })),
        learning_rate: lr,
        epoch: s.epoch + s.cursor / trainRows.length,
      };
    },
    evaluate:
      evalRows.length > 0
        ? async (s) => {
            let total = 0;
            let n = 0;
            for (let k = 0; k < evalRows.length; k += B) {
              const batch = evalRows.slice(k, k + B);
              const [ids, mask] = batchArrays(batch);
              const cnt = batch.reduce((a, r) => a + Math.min(r.completion.length, maxLength), 0);
              total += (await maskedNLL(c, refTree(s.params), ids, mask).data())[0] * cnt;
              n += cnt;
            }
            return { loss: total / Math.max(1, n) };
          }
        : undefined,
    // the data position: epoch and cursor into its shuffled order
    ...paramsAndOpt<State>({
      save: (s) => ({ epoch: s.epoch, cursor: s.cursor }),
      load(s, h) {
        ({ epoch: s.epoch, cursor: s.cursor } = h as { epoch: number; cursor: number });
      },
    }),
  });
  if (result.status === "completed") {
    const tuned = new CausalLM(c, result.state.params, tok);
    await tuned.save(o.out);
    tuned.dispose();
  } else disposeTree(result.state.params);
  disposeTree(result.state.opt as unknown as LMParams);
  accStep.dispose();
  lm.dispose();
  const trainLoss = Number(result.lastLog?.loss ?? Number.NaN);
  return {
    status: result.status,
    steps: result.step,
    seconds: result.seconds,
    trainLoss,
    evalLoss: result.lastEval ? (result.lastEval as Record<string, number>).eval_loss : null,
    out: join(o.out),
  };
}
