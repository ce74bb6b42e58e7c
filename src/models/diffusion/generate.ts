/**
 * Text-to-image generation: encode the prompts and the null (or negative)
 * prompt, draw x_T ~ N(0, I) from the seed, and run a sampler with
 * classifier-free guidance. Images come back as n × 784 floats in [0, 1]
 * (white strokes on black, as MNIST).
 */
import { numpy as np, random } from "../../engine/jax.js";
import { makeKey, splitKey } from "../../engine/random.js";
import { encodePrompts, guidedEps } from "./guidance.js";
import type { DiffusionModel } from "./model.js";
import { type SamplerOptions, sampleLoop } from "./samplers.js";
import { makeSchedule } from "./schedule.js";

export type GenerateOptions = SamplerOptions & {
  /** Seed for the initial noise and every sampler draw (default 0). */
  seed?: number;
  /** Classifier-free guidance scale g (default 3). */
  guidance?: number;
  /** Replaces the null prompt in guidance (steers away from it); a list gives one per image. */
  negativePrompt?: string | string[];
  /** Images per engine batch (default 64). */
  batchSize?: number;
};

/** Engine images [B,28,28,1] in [−1, 1] → host pixels in [0, 1]. Consumes x. */
export async function toPixels(x: np.Array): Promise<Float32Array> {
  const d = (await np.clip(x.mul(0.5).add(0.5), 0, 1).data()) as Float32Array;
  return Float32Array.from(d);
}

/** Host pixels in [0, 1] (n × 784) → engine images [n,28,28,1] in [−1, 1]. */
export function fromPixels(pixels: Float32Array, n: number, size = 28): np.Array {
  return np
    .array(pixels as Float32Array<ArrayBuffer>)
    .reshape([n, size, size, 1])
    .mul(2)
    .sub(1);
}

/**
 * Runs a guided sampler for one batch, starting from `x` (pure noise, or a
 * noised image with `startStep`). Consumes x and key.
 */
export async function guidedSample(
  model: DiffusionModel,
  prompts: string[],
  x: np.Array,
  key: np.Array,
  opts: GenerateOptions,
): Promise<Float32Array> {
  const schedule = makeSchedule(model.config.schedule.kind, model.config.schedule.T);
  const cond = encodePrompts(model, prompts);
  const neg = opts.negativePrompt;
  const uncond = encodePrompts(
    model,
    prompts.map((_, i) => (Array.isArray(neg) ? neg[i] : neg) ?? ""),
  );
  const eps = guidedEps(model, cond, uncond, opts.guidance ?? 3);
  try {
    return await toPixels(await sampleLoop(eps, schedule, x, key, opts));
  } finally {
    eps.dispose();
  }
}

/** n images for `prompts` (one per image; a single prompt is repeated). Same seed, same images. */
export async function generateImages(
  model: DiffusionModel,
  prompts: string[] | string,
  n: number,
  opts: GenerateOptions = {},
): Promise<Float32Array> {
  const list = typeof prompts === "string" ? Array(n).fill(prompts) : prompts;
  if (list.length !== n) throw new Error(`generateImages: ${list.length} prompts for ${n} images`);
  return sampleInBatches(model, list, opts, (noise) => noise);
}

/**
 * One image per prompt, sampled batch by batch (`batchSize`, default 64) from
 * one seed: each batch splits the key into the next key, its noise key and its
 * sampler key; `begin(noise, start, m)` turns the batch's N(0, I) draw
 * [m, S, S, 1] into the sampler's starting x (consuming it: x_T itself, or a
 * noised image with `startStep`), and the guided sampler runs from there under
 * the batch's prompts and negative prompts. Same seed, same images.
 */
export async function sampleInBatches(
  model: DiffusionModel,
  prompts: string[],
  opts: GenerateOptions,
  begin: (noise: np.Array, start: number, m: number) => np.Array,
): Promise<Float32Array> {
  const n = prompts.length;
  const S = model.config.imageSize;
  const bs = opts.batchSize ?? 64;
  const out = new Float32Array(n * S * S);
  let key = makeKey(opts.seed ?? 0);
  for (let start = 0; start < n; start += bs) {
    const m = Math.min(bs, n - start);
    const [kNext, kNoise, kSample] = splitKey(key, 3);
    key = kNext;
    const x = begin(random.normal(kNoise, [m, S, S, 1]), start, m);
    const batch = prompts.slice(start, start + m);
    out.set(
      await guidedSample(model, batch, x, kSample, batchOptions(opts, start, m)),
      start * S * S,
    );
  }
  key.dispose();
  return out;
}

/** The options of the batch of images start..start+m (a per-image negative prompt list is sliced). */
function batchOptions<O extends GenerateOptions>(opts: O, start: number, m: number): O {
  const neg = opts.negativePrompt;
  return Array.isArray(neg) ? { ...opts, negativePrompt: neg.slice(start, start + m) } : opts;
}
