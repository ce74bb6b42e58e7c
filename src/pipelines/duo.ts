/**
 * DUO training (Park et al. 2024) on the shared loop: Diffusion-DPO with the
 * safe image preferred over its unsafe SDEdit twin, plus output preservation
 * on pure noise (pipelines/duo-step.ts), full fine-tuning of the UNet with the
 * text encoder frozen. Hyper-parameters as the reference code sets them
 * (naver-ai/DUO, train/unlearn-sd.py):
 *   lr = base_lr · 100/β,   λ = base_λ · β/100,   base_λ = 7.5 (1.5 with preservation on safe images),  β = 500 by default,
 * constant learning rate, AdamW (weight decay 1e-4, gradient norm clipped to 1).
 * base_lr is this model's: 2e-4 (the reference's 5e-5 is for LoRA on SD 1.4).
 *
 * Prompts: "empty" (the paper's method): every pair and every preservation row
 * is conditioned on the empty prompt. "prompted" (our documented deviation,
 * the default: with preservation on safe images, the empty prompt either kept
 * the concept or cost digits; README): each pair is conditioned on the unsafe prompt it was
 * made from, 20% of them dropped to the empty prompt (the reference code's
 * --given_prompt with --cfg_train, except that both images of a pair get the
 * unsafe prompt, as in Diffusion-DPO, instead of each image its own prompt).
 * All randomness comes from a checkpointed host generator, so a resumed run
 * continues the same sequence.
 */
import type { PixelPair } from "../data/image-pairs.js";
import { UserError } from "../engine/errors.js";
import { numpy as np } from "../engine/jax.js";
import { disposeTree, refTree } from "../engine/pytree.js";
import { HostRng } from "../engine/random.js";
import { type DiffusionModel, saveDiffusion } from "../models/diffusion/model.js";
import { makeSchedule, type NoiseSchedule, qCoefficients } from "../models/diffusion/schedule.js";
import { tokenize } from "../models/diffusion/tokenizer.js";
import type { UNetParams } from "../models/diffusion/unet.js";
import { type AdamState, adamw } from "../train/optimizer.js";
import {
  loopOptions,
  runConfig,
  stripUndefined,
  type TrainRunOptions,
} from "../train/run-options.js";
import { paramsAndOpt, readStepMetrics, rngHost, runTraining } from "../train/trainer.js";
import { diffusionDpoBatchFromHost } from "./diffusion-dpo-step.js";
import { makeDuoStep, priorNoiseFromHost } from "./duo-step.js";

export type DuoPromptMode = "empty" | "prompted";

/**
 * What the preservation term sees. "noise": pure noise x_T at t = T−1 (the
 * paper's, data-free). "safe": x_t of the pairs' safe images at a uniform
 * timestep (our deviation: the term then binds at every noise level where the
 * preference term moves the model, not only at t = T−1, where a denoiser's
 * output on pure noise is nearly the noise itself and the term barely binds).
 */
export type DuoPreserve = "noise" | "safe";

/**
 * The shared run options (`out`, `steps`, `lr` overriding the β-derived
 * learning rate, `batchSize` pairs per step, `saveEvery`, `seed`, ...; a
 * stopped run leaves its checkpoint and no final model) plus DUO's own.
 */
export type DuoOptions = TrainRunOptions & {
  beta?: number;
  /** lr = baseLr · 100/β (reference code). */
  baseLr?: number;
  /** λ = baseLambda · β/100 (reference code). */
  baseLambda?: number;
  /** Overrides the derived λ. */
  lambda?: number;
  /** Pure-noise rows of the preservation term per step (default: batchSize, as the reference). */
  priorBatch?: number;
  /** What the preservation term is evaluated on (see DuoPreserve). */
  preserve?: DuoPreserve;
  /**
   * The concept's words. With prompts "prompted" and preserve "safe", each
   * preservation row is conditioned on its pair's prompt without these words
   * ("thick 7" → "7"; dropped to "" at promptDropout), so the model keeps its
   * outputs for the digit while the concept's prompts change. Without them the
   * preservation rows use the empty prompt.
   */
  conceptWords?: string[];
  prompts?: DuoPromptMode;
  /** Share of pairs whose prompt is dropped to "" in "prompted" mode. */
  promptDropout?: number;
  weightDecay?: number;
};

export const DUO_DEFAULTS = {
  beta: 500,
  baseLr: 2e-4,
  /** The reference code's base λ, for its term on pure noise (preserve "noise"). */
  baseLambda: 7.5,
  /** Ours for preserve "safe" (measured: 7.5 there kept the concept, DSR 0.35 under Ring-A-Bell). */
  baseLambdaSafe: 1.5,
  steps: 40,
  batchSize: 8,
  prompts: "prompted" as DuoPromptMode,
  preserve: "safe" as DuoPreserve,
  promptDropout: 0.2,
  weightDecay: 1e-4,
  seed: 0,
  saveEvery: 50,
};

/**
 * The reference code's coupling of learning rate and λ to β; the default base
 * λ depends on what the preservation term sees (DUO_DEFAULTS).
 */
export function duoHyperparameters(o: {
  beta: number;
  baseLr?: number;
  baseLambda?: number;
  preserve?: DuoPreserve;
}): {
  learningRate: number;
  lambda: number;
} {
  const preserve = o.preserve ?? DUO_DEFAULTS.preserve;
  const baseLambda =
    o.baseLambda ?? (preserve === "safe" ? DUO_DEFAULTS.baseLambdaSafe : DUO_DEFAULTS.baseLambda);
  return {
    learningRate: (o.baseLr ?? DUO_DEFAULTS.baseLr) * (100 / o.beta),
    lambda: baseLambda * (o.beta / 100),
  };
}

type State = { params: UNetParams; opt: AdamState<UNetParams>; rng: HostRng };

export type DuoResult = {
  status: string;
  seconds: number;
  step: number;
  lr: number;
  lambda: number;
  lastLog: Record<string, unknown> | null;
};

/** Trains DUO from `base` on `pairs` and saves the tuned model into `out`. */
export async function trainDuo(
  base: DiffusionModel,
  pairs: PixelPair[],
  opts: DuoOptions,
): Promise<DuoResult> {
  const o = { ...DUO_DEFAULTS, ...stripUndefined(opts), out: opts.out };
  if (pairs.length === 0) throw new UserError("duo: no pairs to train on");
  const hp = duoHyperparameters({ ...o, baseLambda: opts.baseLambda });
  const learningRate = opts.lr ?? hp.learningRate;
  const lambda = opts.lambda ?? hp.lambda;
  const config = base.config;
  const schedule = makeSchedule(config.schedule.kind, config.schedule.T);
  const S = config.imageSize;
  const L = config.text.maxLen;
  const B = o.batchSize;
  const M = o.priorBatch ?? B;
  const opt = adamw({ learningRate, weightDecay: o.weightDecay, maxGradNorm: 1 });
  const step = makeDuoStep(config, opt, { beta: o.beta, lambda });
  const P = S * S;
  const nullTokens = tokenize(Array(M).fill(""), config.vocab, L);
  const words = new Set((o.conceptWords ?? []).map((w) => w.toLowerCase()));
  const priorPrompt = (p: string, rng: HostRng) =>
    o.prompts === "empty" || words.size === 0 || rng.next() < o.promptDropout
      ? ""
      : withoutWords(p, words);

  const result = await runTraining<State>({
    ...loopOptions(o, "duo", o.steps, { ...runConfig(o), lr: learningRate, lambda }),
    keepCheckpoints: 1,
    init: () => {
      const params = refTree(base.params.unet);
      return { params, opt: opt.init(refTree(params)), rng: new HostRng(o.seed * 104729 + 16) };
    },
    step: async (s) => {
      const winner = new Float32Array(B * P);
      const loser = new Float32Array(B * P);
      const prompts: string[] = [];
      for (let b = 0; b < B; b++) {
        const p = pairs[s.rng.int(pairs.length)];
        for (let k = 0; k < P; k++) {
          winner[b * P + k] = p.chosen[k] * 2 - 1;
          loser[b * P + k] = p.rejected[k] * 2 - 1;
        }
        const drop = o.prompts === "empty" || s.rng.next() < o.promptDropout;
        prompts.push(drop ? "" : p.prompt);
      }
      const tokens = tokenize(prompts, config.vocab, L);
      const batch = diffusionDpoBatchFromHost(schedule, winner, loser, tokens, B, S, s.rng);
      let priorTokens = nullTokens;
      let prior: { priorNoise: np.Array; priorT?: np.Array };
      if (o.preserve === "safe") {
        const { pairIndex, ...rows } = priorNoisedFromHost(schedule, pairs, M, S, s.rng);
        prior = rows;
        if (o.prompts === "prompted" && words.size > 0)
          priorTokens = tokenize(
            pairIndex.map((i) => priorPrompt(pairs[i].prompt, s.rng)),
            config.vocab,
            L,
          );
      } else prior = { priorNoise: priorNoiseFromHost(M, S, s.rng) };
      const duoBatch = {
        ...batch,
        ...prior,
        priorTokens: np.array(priorTokens, { dtype: np.int32 }).reshape([M, L]),
      };
      const out = step(
        s.params,
        s.opt,
        refTree(base.params.unet),
        refTree(base.params.text),
        duoBatch,
        np.array(learningRate, { dtype: np.float32 }),
      );
      s.params = out.unet;
      s.opt = out.state;
      return readStepMetrics(out);
    },
    ...paramsAndOpt<State>(rngHost<State>()),
  });
  const s = result.state;
  step.dispose();
  // a stopped run leaves its checkpoint only; rerunning resumes and writes the model
  if (result.status === "completed") {
    await saveDiffusion(
      o.out,
      { config, params: { unet: s.params, text: base.params.text } },
      {
        method: "duo",
        beta: String(o.beta),
        lambda: String(lambda),
        prompts: o.prompts,
        preserve: o.preserve,
        step: String(result.step),
      },
    );
  }
  disposeTree(s.params);
  disposeTree(s.opt);
  return {
    status: result.status,
    seconds: result.seconds,
    step: result.step,
    lr: learningRate,
    lambda,
    lastLog: result.lastLog as Record<string, unknown> | null,
  };
}

/**
 * m preservation rows x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε, x_0 a random pair's safe
 * image (scaled to [−1, 1]), t uniform over the schedule, ε ~ N(0, I); drawn
 * from the run's host generator after the pair batch, so resumes replay them.
 */
export function priorNoisedFromHost(
  schedule: NoiseSchedule,
  pairs: PixelPair[],
  m: number,
  size: number,
  rng: HostRng,
): { priorNoise: np.Array; priorT: np.Array; pairIndex: number[] } {
  const P = size * size;
  const ts = Array.from({ length: m }, () => rng.int(schedule.T));
  const { a, b } = qCoefficients(schedule, ts);
  const x = new Float32Array(m * P);
  const pairIndex: number[] = [];
  for (let r = 0; r < m; r++) {
    pairIndex.push(rng.int(pairs.length));
    const safe = pairs[pairIndex[r]].chosen;
    for (let k = 0; k < P; k++) x[r * P + k] = a[r] * (safe[k] * 2 - 1) + b[r] * rng.normal();
  }
  return {
    priorNoise: np.array(x).reshape([m, size, size, 1]),
    priorT: np.array(new Int32Array(ts), { dtype: np.int32 }),
    pairIndex,
  };
}

/** A prompt with the given (lower-case) words removed: "thick 7" → "7". */
export function withoutWords(prompt: string, words: Set<string>): string {
  return prompt
    .split(/\s+/)
    .filter((w) => w && !words.has(w.toLowerCase()))
    .join(" ");
}
