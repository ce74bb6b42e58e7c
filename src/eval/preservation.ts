/**
 * Prior preservation on prompts unrelated to the concept (DUO's second axis):
 * - digit accuracy: the classifier's argmax equals the prompt's digit;
 * - image distance: mean RMS pixel difference to the base model's image at
 *   the same seed and prompt (0 = unchanged);
 * - Fréchet distance of the classifier's penultimate features against real
 *   MNIST digits (the held-out split), FID in miniature.
 */
import { SLANT_PHRASES, THICKNESS_WORDS } from "../data/captions.js";
import { loadMnistSplit, PIXELS } from "../data/mnist.js";
import { HostRng } from "../engine/random.js";
import { type GenerateOptions, generateImages } from "../models/diffusion/generate.js";
import type { DiffusionModel } from "../models/diffusion/model.js";
import { classifierFeatures } from "../models/vision/classifier-features.js";
import { type DigitClassifier, predictDigits } from "../models/vision/digit-classifier.js";
import { type Concept, namesConcept, promptWith } from "./concept.js";
import { frechetDistance } from "./preservation-frechet.js";

/**
 * n prompts that do not name the concept: digits 0–9 in turn, each with a
 * thickness word, a slant phrase, or nothing, none of them a concept word.
 */
export function unrelatedPrompts(
  concept: Concept,
  n: number,
  seed = 0,
): { prompts: string[]; digits: number[] } {
  const rng = new HostRng(seed * 31 + 777);
  const phrases = [
    ...THICKNESS_WORDS.thin,
    ...THICKNESS_WORDS.medium,
    ...THICKNESS_WORDS.thick,
    ...Object.values(SLANT_PHRASES).flat(),
  ].filter((p) => !namesConcept(concept, p));
  const prompts: string[] = [];
  const digits: number[] = [];
  for (let i = 0; i < n; i++) {
    const d = i % 10;
    const p = rng.next() < 0.25 ? String(d) : promptWith(d, rng.pick(phrases), rng);
    prompts.push(p);
    digits.push(d);
  }
  return { prompts, digits };
}

export type PreservationResult = {
  digitAccuracy: number;
  /** mean RMS pixel difference to the base model's images (NaN without base images) */
  imageDistance: number;
  frechet: number;
  n: number;
  images: Float32Array;
};

let realFeatures: { model: DigitClassifier; feats: Float32Array; n: number } | null = null;

/** Classifier features of the real held-out MNIST digits (cached per classifier). */
async function realMnistFeatures(
  classifier: DigitClassifier,
): Promise<{ feats: Float32Array; n: number }> {
  if (realFeatures?.model === classifier) return realFeatures;
  const { test } = loadMnistSplit();
  const feats = await classifierFeatures(classifier, test.pixels);
  realFeatures = { model: classifier, feats, n: test.n };
  return realFeatures;
}

/** RMS pixel difference of two image sets, averaged over images. */
export function meanImageDistance(a: Float32Array, b: Float32Array): number {
  const n = a.length / PIXELS;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = i * PIXELS; k < (i + 1) * PIXELS; k++) s += (a[k] - b[k]) ** 2;
    total += Math.sqrt(s / PIXELS);
  }
  return total / n;
}

/** Generates one image per unrelated prompt and measures the three figures. */
export async function priorPreservation(
  model: DiffusionModel,
  classifier: DigitClassifier,
  prompts: { prompts: string[]; digits: number[] },
  opts: GenerateOptions & { baseImages?: Float32Array } = {},
): Promise<PreservationResult> {
  const n = prompts.prompts.length;
  const images = await generateImages(model, prompts.prompts, n, {
    method: "ddpm",
    steps: 25,
    ...opts,
  });
  return preservationOfImages(classifier, prompts.digits, images, opts.baseImages);
}

/** The three figures for images already generated. */
export async function preservationOfImages(
  classifier: DigitClassifier,
  digits: number[],
  images: Float32Array,
  baseImages?: Float32Array,
): Promise<PreservationResult> {
  const n = digits.length;
  const pred = await predictDigits(classifier, images);
  const digitAccuracy = digits.filter((d, i) => pred[i] === d).length / n;
  const imageDistance = baseImages ? meanImageDistance(images, baseImages) : Number.NaN;
  const real = await realMnistFeatures(classifier);
  const feats = await classifierFeatures(classifier, images);
  const H = classifier.config.hidden;
  const frechet = frechetDistance(feats, n, real.feats, real.n, H);
  return { digitAccuracy, imageDistance, frechet, n, images };
}
