/**
 * Trains the text-to-digit diffusion model (UNet + text encoder jointly) on
 * captioned MNIST with the ε-prediction loss
 *   E‖ε − ε_θ(√ᾱ_t x_0 + √(1−ᾱ_t) ε, t, c)‖²,  t ~ U{0, …, T−1},
 * caption dropout for classifier-free guidance, AdamW with warmup and cosine
 * decay, and an exponential moving average of the weights (the EMA weights
 * are the saved model). It runs on the shared training loop (progress,
 * metrics.jsonl, checkpoints, resume); all randomness comes from a host
 * generator seeded by `seed` and checkpointed, so a resumed run continues the
 * same sequence.
 */

import { type CaptionedDigits, measureSet, sampleCaptionedBatch } from "../data/digit-captions.js";
import { loadMnistSplit } from "../data/mnist.js";
import { jit, numpy as np, tree, valueAndGrad } from "../engine/jax.js";
import { countParams, disposeTree, refTree } from "../engine/pytree.js";
import { HostRng, makeKey } from "../engine/random.js";
import {
  type DiffusionConfig,
  type DiffusionParams,
  defaultDiffusionConfig,
  initDiffusion,
  predictNoise,
  saveDiffusion,
  textVectors,
} from "../models/diffusion/model.js";
import { makeSchedule, qCoefficients, qSample } from "../models/diffusion/schedule.js";
import { tokenize } from "../models/diffusion/tokenizer.js";
import { weightedDenoisingLoss } from "../objectives/denoising.js";
import { minSnrWeights } from "../objectives/min-snr.js";
import { type AdamState, adamw } from "../train/optimizer.js";
import {
  loopOptions,
  runConfig,
  runLog,
  stripUndefined,
  type TrainRunOptions,
} from "../train/run-options.js";
import { cosineWarmup } from "../train/schedules.js";
import { readStepMetrics, runTraining } from "../train/trainer.js";

/** `out` gets checkpoints, metrics.jsonl and the final model (config.json + model.safetensors). */
export type DiffusionTrainOptions = TrainRunOptions & {
  weightDecay?: number;
  emaDecay?: number;
  captionDropout?: number;
  attributeDropout?: number;
  /** Min-SNR-γ loss weighting (objectives/min-snr.ts); Infinity gives the plain ε loss. */
  minSnrGamma?: number;
  config?: Partial<DiffusionConfig>;
};

/** The defaults of `prefopt diffusion train` (the bundled model's recipe). */
export const DIFFUSION_TRAIN_DEFAULTS = {
  steps: 1600,
  batchSize: 64,
  lr: 2e-3,
  warmupSteps: 100,
  weightDecay: 0,
  emaDecay: 0.995,
  captionDropout: 0.1,
  attributeDropout: 0.2,
  minSnrGamma: 5,
  seed: 0,
  saveEvery: 250,
};

type State = {
  params: DiffusionParams;
  opt: AdamState<DiffusionParams>;
  ema: DiffusionParams;
  rng: HostRng;
  data: CaptionedDigits;
};

/** Trains the diffusion model; see the module doc. */
export async function runDiffusionTrain(opts: DiffusionTrainOptions): Promise<{
  status: "completed" | "interrupted";
  config: DiffusionConfig;
  seconds: number;
  finalLoss: number;
}> {
  const o = { ...DIFFUSION_TRAIN_DEFAULTS, ...stripUndefined(opts), out: opts.out };
  const log = runLog(opts);
  const config = defaultDiffusionConfig(opts.config);
  const schedule = makeSchedule(config.schedule.kind, config.schedule.T);
  const L = config.text.maxLen;
  const S = config.imageSize;
  const B = o.batchSize;
  const opt = adamw({
    learningRate: cosineWarmup({
      peak: o.lr,
      warmupSteps: Math.min(o.warmupSteps, Math.floor(o.steps / 10)),
      totalSteps: o.steps,
      minRatio: 0.05,
    }),
    weightDecay: o.weightDecay,
    maxGradNorm: 1,
  });

  const lossFn = (
    p: DiffusionParams,
    x0: np.Array,
    eps: np.Array,
    tok: np.Array,
    t: np.Array,
    a: np.Array,
    b: np.Array,
    w: np.Array,
  ) => {
    const xt = qSample(x0, eps.ref, a, b);
    const text = textVectors(p.text, tok, config);
    return weightedDenoisingLoss(predictNoise(p.unet, xt, t, text, config), eps, w);
  };
  const trainStep = jit(
    (
      p: DiffusionParams,
      st: AdamState<DiffusionParams>,
      ema: DiffusionParams,
      x0: np.Array,
      eps: np.Array,
      tok: np.Array,
      t: np.Array,
      a: np.Array,
      b: np.Array,
      w: np.Array,
      lr: np.Array,
      decay: np.Array,
    ) => {
      const [loss, grads] = valueAndGrad(lossFn)(tree.ref(p), x0, eps, tok, t, a, b, w);
      const r = opt.step(p, grads, st, lr);
      // EMA: e ← d·e + (1 − d)·θ
      const newEma = tree.map(
        (e: np.Array, q: np.Array) => e.mul(decay.ref).add(q.mul(np.subtract(1, decay.ref))),
        ema,
        tree.ref(r.params),
      ) as DiffusionParams;
      decay.dispose();
      return { loss, params: r.params, opt: r.state, ema: newEma, gradNorm: r.gradNorm };
    },
  );

  let data: CaptionedDigits | null = null;
  const result = await runTraining<State>({
    ...loopOptions(o, "diffusion", o.steps, { ...runConfig(o), config }),
    keepCheckpoints: 1,
    init: () => {
      data ??= measureSet(loadMnistSplit().train);
      const params = initDiffusion(makeKey(o.seed), config);
      log(
        `diffusion: ${countParams(params)} parameters, ${data.n} training images, ${o.steps} steps of ${B}`,
      );
      const ema = refTree(params);
      return {
        params,
        opt: opt.init(refTree(params)),
        ema,
        rng: new HostRng(o.seed * 7919 + 1),
        data,
      };
    },
    step: async (s, step) => {
      const batch = sampleCaptionedBatch(s.data, B, s.rng, {
        captionDropout: o.captionDropout,
        attributeDropout: o.attributeDropout,
      });
      const epsHost = new Float32Array(B * S * S);
      for (let i = 0; i < epsHost.length; i++) epsHost[i] = s.rng.normal();
      const ts = new Int32Array(B);
      for (let i = 0; i < B; i++) ts[i] = s.rng.int(schedule.T);
      const { a, b } = qCoefficients(schedule, ts);
      const w = minSnrWeights(
        Array.from(ts, (k) => schedule.alphaBars[k]),
        o.minSnrGamma,
      );
      const tok = tokenize(batch.captions, config.vocab, L);
      // warm the average up quickly: d = min(decay, (1 + k)/(10 + k))
      const d = Math.min(o.emaDecay, (1 + step) / (10 + step));
      const out = trainStep(
        s.params,
        s.opt,
        s.ema,
        np.array(batch.pixels).reshape([B, S, S, 1]),
        np.array(epsHost).reshape([B, S, S, 1]),
        np.array(tok, { dtype: np.int32 }).reshape([B, L]),
        np.array(Float32Array.from(ts)),
        np.array(a),
        np.array(b),
        np.array(w),
        np.array(opt.learningRate(step), { dtype: np.float32 }),
        np.array(d, { dtype: np.float32 }),
      );
      s.params = out.params;
      s.opt = out.opt;
      s.ema = out.ema;
      return { ...(await readStepMetrics(out)), learning_rate: opt.learningRate(step) };
    },
    snapshot: (s) => ({
      params: s.params,
      optState: { opt: s.opt, ema: s.ema },
      host: { rng: s.rng.state },
    }),
    restore: (s, loaded) => {
      disposeTree(s.params);
      disposeTree(s.opt);
      disposeTree(s.ema);
      s.params = loaded.params as DiffusionParams;
      const os = loaded.optState as { opt: AdamState<DiffusionParams>; ema: DiffusionParams };
      s.opt = os.opt;
      s.ema = os.ema;
      const host = loaded.host as { rng?: number } | undefined;
      if (host?.rng !== undefined) s.rng.state = host.rng;
      return s;
    },
  });
  const s = result.state;
  if (result.status === "completed") {
    await saveDiffusion(
      o.out,
      { config, params: s.ema },
      { step: String(result.step), seed: String(o.seed) },
    );
  }
  disposeTree(s.params);
  disposeTree(s.opt);
  disposeTree(s.ema);
  const finalLoss = Number(result.lastLog?.loss ?? Number.NaN);
  return { status: result.status, config, seconds: result.seconds, finalLoss };
}
