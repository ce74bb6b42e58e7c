/**
 * The captioned training set of the text-to-digit world: MNIST images with
 * their measured thickness and slant classes, and a batch sampler that writes
 * a fresh random caption for every draw (synonyms, word order, attribute and
 * caption dropout). Held-out (digit, thickness, slant) combinations never
 * appear together in a training caption: their images are captioned without
 * the slant phrase.
 */
import type { HostRng } from "../engine/random.js";
import { measureDigit, type SlantClass, type ThicknessClass } from "../models/vision/measures.js";
import { isHeldOutCombo, makeCaption } from "./captions.js";
import { type DigitImages, PIXELS } from "./mnist.js";

export type CaptionedDigits = DigitImages & {
  thickness: ThicknessClass[];
  slant: SlantClass[];
};

export function measureSet(set: DigitImages): CaptionedDigits {
  const thickness: ThicknessClass[] = [];
  const slant: SlantClass[] = [];
  for (let i = 0; i < set.n; i++) {
    const m = measureDigit(set.pixels.subarray(i * PIXELS, (i + 1) * PIXELS));
    thickness.push(m.thicknessClass);
    slant.push(m.slantClass);
  }
  return { ...set, thickness, slant };
}

/** The caption of image i for training (random; held-out combinations lose their slant). */
export function trainingCaption(
  set: CaptionedDigits,
  i: number,
  rng: HostRng,
  opts: { captionDropout?: number; attributeDropout?: number } = {},
): string {
  const digit = set.labels[i];
  const thickness = set.thickness[i];
  let slant: SlantClass | undefined = set.slant[i];
  if (isHeldOutCombo(digit, thickness, slant)) slant = undefined;
  return makeCaption({ digit, thickness, slant }, rng, opts);
}

export type ImageBatch = {
  pixels: Float32Array<ArrayBuffer>;
  captions: string[];
  indices: number[];
};

/** A batch of `size` random images in [−1, 1] with fresh captions. */
export function sampleCaptionedBatch(
  set: CaptionedDigits,
  size: number,
  rng: HostRng,
  opts: { captionDropout?: number; attributeDropout?: number } = {},
): ImageBatch {
  const pixels = new Float32Array(size * PIXELS);
  const captions: string[] = [];
  const indices: number[] = [];
  for (let b = 0; b < size; b++) {
    const i = rng.int(set.n);
    indices.push(i);
    const src = set.pixels.subarray(i * PIXELS, (i + 1) * PIXELS);
    for (let k = 0; k < PIXELS; k++) pixels[b * PIXELS + k] = src[k] * 2 - 1;
    captions.push(trainingCaption(set, i, rng, opts));
  }
  return { pixels, captions, indices };
}
