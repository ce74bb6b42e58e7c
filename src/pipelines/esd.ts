/**
 * ESD, Erased Stable Diffusion (Gandikota et al. 2023), the baseline DUO is
 * compared with, on the shared loop: the UNet's prediction under a prompt
 * that names the concept is regressed onto negative guidance away from it,
 *   L = E‖ε_θ(x_t, t, c) − [ε_ref(x_t, t, ∅) − η(ε_ref(x_t, t, c) − ε_ref(x_t, t, ∅))]‖²
 * (objectives/esd.ts), full fine-tuning of the UNet, text encoder frozen.
 * x_t: the paper partially denoises with the model being tuned; here x_t is
 * the forward process at a uniform t applied to images of the concept (the
 * unsafe images of the DUO pairs), which avoids a sampler run per step.
 * Resumable bit-for-bit: every draw comes from a checkpointed host generator.
 */
import type { PixelPair } from "../data/image-pairs.js";
import { UserError } from "../engine/errors.js";
import { jit, numpy as np, valueAndGrad } from "../engine/jax.js";
import { disposeTree, refTree } from "../engine/pytree.js";
import { HostRng } from "../engine/random.js";
import {
  type DiffusionConfig,
  type DiffusionModel,
  predictNoise,
  saveDiffusion,
  textVectors,
} from "../models/diffusion/model.js";
import { makeSchedule, qCoefficients, qSample } from "../models/diffusion/schedule.js";
import type { TextEncoderParams } from "../models/diffusion/text-encoder.js";
import { tokenize } from "../models/diffusion/tokenizer.js";
import type { UNetParams } from "../models/diffusion/unet.js";
import { denoisingLoss } from "../objectives/denoising.js";
import { esdTarget } from "../objectives/esd.js";
import { type AdamState, type Adamw, adamw } from "../train/optimizer.js";
import {
  loopOptions,
  runConfig,
  stripUndefined,
  type TrainRunOptions,
} from "../train/run-options.js";
import { paramsAndOpt, readStepMetrics, rngHost, runTraining } from "../train/trainer.js";

/** The shared run options (`batchSize`: concept images per step; constant `lr`) plus η. */
export type EsdOptions = TrainRunOptions & {
  /** Negative-guidance strength η (the paper's default 1). */
  eta?: number;
};

/**
 * lr 1e-5 and 100 steps of 8 images: ESD's reference setting (1000 steps of
 * one image at 1e-5), not DUO's learning rate.
 */
export const ESD_DEFAULTS = {
  eta: 1,
  lr: 1e-5,
  steps: 100,
  batchSize: 8,
  seed: 0,
  saveEvery: 50,
};

type EsdBatch = {
  x0: np.Array;
  noise: np.Array;
  t: np.Array;
  a: np.Array;
  b: np.Array;
  tokens: np.Array;
  nullTokens: np.Array;
};

/** One compiled ESD update (consumes every argument). */
export function makeEsdStep(config: DiffusionConfig, opt: Adamw, eta: number) {
  const objective = (
    unet: UNetParams,
    xt: np.Array,
    t: np.Array,
    cond: np.Array,
    target: np.Array,
  ) => denoisingLoss(predictNoise(unet, xt, t, cond, config), target);
  return jit(
    (
      unet: UNetParams,
      st: AdamState<UNetParams>,
      refUnet: UNetParams,
      text: TextEncoderParams,
      batch: EsdBatch,
      lr: np.Array,
    ) => {
      const n = batch.tokens.shape[0];
      const vec = textVectors(text, np.concatenate([batch.tokens, batch.nullTokens], 0), config);
      const cond = vec.ref.slice([0, n]);
      const xt = qSample(batch.x0, batch.noise, batch.a, batch.b);
      const both = predictNoise(
        refUnet,
        np.concatenate([xt.ref, xt.ref], 0),
        np.concatenate([batch.t.ref, batch.t.ref], 0),
        vec,
        config,
        "inference",
      );
      const target = esdTarget(both.ref.slice([n, 2 * n]), both.slice([0, n]), eta);
      const [loss, grads] = valueAndGrad(objective)(refTree(unet), xt, batch.t, cond, target);
      const next = opt.step(unet, grads, st, lr);
      return { loss, unet: next.params, state: next.state, gradNorm: next.gradNorm };
    },
  );
}

type State = { params: UNetParams; opt: AdamState<UNetParams>; rng: HostRng };

/** Trains ESD from `base` on the unsafe images and prompts of `pairs`; saves into `out`. */
export async function trainEsd(
  base: DiffusionModel,
  pairs: PixelPair[],
  opts: EsdOptions,
): Promise<{ status: string; seconds: number; step: number }> {
  const o = { ...ESD_DEFAULTS, ...stripUndefined(opts), out: opts.out };
  if (pairs.length === 0) throw new UserError("esd: no concept images to train on");
  const config = base.config;
  const schedule = makeSchedule(config.schedule.kind, config.schedule.T);
  const S = config.imageSize;
  const P = S * S;
  const L = config.text.maxLen;
  const B = o.batchSize;
  const opt = adamw({ learningRate: o.lr, weightDecay: 0, maxGradNorm: 1 });
  const step = makeEsdStep(config, opt, o.eta);
  const nullTokens = tokenize(Array(B).fill(""), config.vocab, L);
  const result = await runTraining<State>({
    ...loopOptions(o, "esd", o.steps, runConfig(o)),
    keepCheckpoints: 1,
    init: () => {
      const params = refTree(base.params.unet);
      return { params, opt: opt.init(refTree(params)), rng: new HostRng(o.seed * 7727 + 3) };
    },
    step: async (s) => {
      const x0 = new Float32Array(B * P) as Float32Array<ArrayBuffer>;
      const prompts: string[] = [];
      for (let i = 0; i < B; i++) {
        const p = pairs[s.rng.int(pairs.length)];
        for (let k = 0; k < P; k++) x0[i * P + k] = p.rejected[k] * 2 - 1;
        prompts.push(p.prompt);
      }
      const ts = Array.from({ length: B }, () => s.rng.int(schedule.T));
      const noise = new Float32Array(B * P) as Float32Array<ArrayBuffer>;
      for (let i = 0; i < noise.length; i++) noise[i] = s.rng.normal();
      const { a, b } = qCoefficients(schedule, ts);
      const img = (x: Float32Array<ArrayBuffer>) => np.array(x).reshape([B, S, S, 1]);
      const out = step(
        s.params,
        s.opt,
        refTree(base.params.unet),
        refTree(base.params.text),
        {
          x0: img(x0),
          noise: img(noise),
          t: np.array(new Int32Array(ts), { dtype: np.int32 }),
          a: np.array(a),
          b: np.array(b),
          tokens: np.array(tokenize(prompts, config.vocab, L), { dtype: np.int32 }).reshape([B, L]),
          nullTokens: np.array(nullTokens, { dtype: np.int32 }).reshape([B, L]),
        },
        np.array(o.lr, { dtype: np.float32 }),
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
  if (result.status === "completed")
    await saveDiffusion(
      o.out,
      { config, params: { unet: s.params, text: base.params.text } },
      { method: "esd", eta: String(o.eta), step: String(result.step) },
    );
  disposeTree(s.params);
  disposeTree(s.opt);
  return { status: result.status, seconds: result.seconds, step: result.step };
}
