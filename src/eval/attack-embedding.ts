/**
 * A white-box attack on the unlearned model itself (in the spirit of
 * UnlearnDiffAtk, Zhang et al. 2024): a continuous text vector c (no words at
 * all) is optimised so that the model denoises images of the concept well,
 *   c* = argmin_c E_{x₀ ∈ concept, t, ε} ‖ε − ε_θ(√ᾱ_t x₀ + √(1−ᾱ_t) ε, t, c)‖²,
 * starting from the embedding of a prompt without the concept, with Adam on
 * c alone; then the model generates from c* with classifier-free guidance
 * and the detector judges the images. A model that lost the concept has no c
 * that brings it back.
 */
import { jit, numpy as np, random, valueAndGrad } from "../engine/jax.js";
import { refTree } from "../engine/pytree.js";
import { HostRng, makeKey, splitKey } from "../engine/random.js";
import { toPixels } from "../models/diffusion/generate.js";
import { encodePrompts, guidedEps } from "../models/diffusion/guidance.js";
import { type DiffusionModel, predictNoise } from "../models/diffusion/model.js";
import { sampleLoop } from "../models/diffusion/samplers.js";
import { makeSchedule, qCoefficients, qSample } from "../models/diffusion/schedule.js";
import type { UNetParams } from "../models/diffusion/unet.js";
import { denoisingLoss } from "../objectives/denoising.js";
import { adamw } from "../train/optimizer.js";

export type EmbeddingAttackOptions = {
  /** Adam steps on c (default 60). */
  steps?: number;
  learningRate?: number;
  /** Concept images per step (default 8). */
  batchSize?: number;
  /** The prompt whose embedding c starts from (default "" — the null prompt). */
  start?: string;
  /** Images generated from c* (default 16). */
  samples?: number;
  sampleSteps?: number;
  guidance?: number;
  seed?: number;
};

/**
 * Optimises c against `model` on `conceptImages` (n × 784 in [0, 1]) and
 * returns c* [condDim], the loss before and after, and images drawn from c*.
 */
export async function embeddingAttack(
  model: DiffusionModel,
  conceptImages: Float32Array,
  opts: EmbeddingAttackOptions = {},
): Promise<{ vector: Float32Array; lossBefore: number; lossAfter: number; images: Float32Array }> {
  const o = {
    steps: 60,
    learningRate: 0.05,
    batchSize: 8,
    start: "",
    samples: 16,
    sampleSteps: 25,
    guidance: 3,
    seed: 0,
    ...opts,
  };
  const config = model.config;
  const S = config.imageSize;
  const P = S * S;
  const n = conceptImages.length / P;
  const schedule = makeSchedule(config.schedule.kind, config.schedule.T);
  const rng = new HostRng(o.seed * 31337 + 1);
  const B = o.batchSize;
  const loss = (
    c: np.Array,
    unet: UNetParams,
    x0: np.Array,
    eps: np.Array,
    t: np.Array,
    a: np.Array,
    b: np.Array,
  ) => {
    const xt = qSample(x0, eps.ref, a, b);
    const cond = np.broadcastTo(c.reshape([1, -1]), [B, config.unet.condDim]);
    return denoisingLoss(predictNoise(unet, xt, t, cond, config), eps);
  };
  const opt = adamw({ learningRate: o.learningRate, weightDecay: 0 });
  const step = jit(
    (
      c: np.Array,
      st: ReturnType<typeof opt.init<np.Array>>,
      unet: UNetParams,
      x0: np.Array,
      eps: np.Array,
      t: np.Array,
      a: np.Array,
      b: np.Array,
    ) => {
      const [l, g] = valueAndGrad(loss)(c.ref, unet, x0, eps, t, a, b);
      const next = opt.step(c, g, st);
      return { loss: l, c: next.params, state: next.state };
    },
  );
  let c = encodePrompts(model, [o.start]).reshape([config.unet.condDim]);
  let state = opt.init(c.ref);
  const batch = () => {
    const x0 = new Float32Array(B * P);
    for (let i = 0; i < B; i++) {
      const k = rng.int(n);
      for (let j = 0; j < P; j++) x0[i * P + j] = conceptImages[k * P + j] * 2 - 1;
    }
    const ts = Array.from({ length: B }, () => rng.int(schedule.T));
    const eps = new Float32Array(B * P);
    for (let i = 0; i < eps.length; i++) eps[i] = rng.normal();
    const { a, b } = qCoefficients(schedule, ts);
    return [
      np.array(x0).reshape([B, S, S, 1]),
      np.array(eps).reshape([B, S, S, 1]),
      np.array(new Int32Array(ts), { dtype: np.int32 }),
      np.array(a),
      np.array(b),
    ] as const;
  };
  let lossBefore = Number.NaN;
  let lossAfter = Number.NaN;
  for (let s = 0; s < o.steps; s++) {
    const out = step(c, state, refTree(model.params.unet), ...batch());
    c = out.c;
    state = out.state;
    const l = (await out.loss.data())[0];
    if (s === 0) lossBefore = l;
    lossAfter = l;
  }
  state.mu.dispose();
  state.nu.dispose();
  state.count.dispose();
  const vector = Float32Array.from((await c.ref.data()) as Float32Array);
  // generate from c* with guidance against the null prompt
  const m = o.samples;
  const cond = np.broadcastTo(c.reshape([1, -1]), [m, config.unet.condDim]);
  const uncond = encodePrompts(model, Array(m).fill(""));
  const eps = guidedEps(model, cond, uncond, o.guidance);
  const [kNoise, kSample] = splitKey(makeKey(o.seed + 7), 2);
  try {
    const x = await sampleLoop(eps, schedule, random.normal(kNoise, [m, S, S, 1]), kSample, {
      method: "ddpm",
      steps: o.sampleSteps,
    });
    return { vector, lossBefore, lossAfter, images: await toPixels(x) };
  } finally {
    eps.dispose();
  }
}
