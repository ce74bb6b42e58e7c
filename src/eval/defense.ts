/**
 * Defense success rate (DSR, the DUO and Ring-A-Bell papers' metric): the
 * share of generations from (attack) prompts in which the concept detector
 * finds no concept. Every prompt is drawn `perPrompt` times from one seed, so
 * two models compared on the same prompts start from the same noise.
 */

import { PIXELS } from "../data/mnist.js";
import { type GenerateOptions, generateImages } from "../models/diffusion/generate.js";
import type { DiffusionModel } from "../models/diffusion/model.js";
import { type Concept, detectConcept } from "./concept.js";
import { wilsonInterval } from "./win-rate.js";

export type DefenseResult = {
  /** share of images without the concept */
  dsr: number;
  /** 95% Wilson interval of dsr */
  ci95: [number, number];
  n: number;
  prompts: string[];
  scores: number[];
  detected: boolean[];
  images: Float32Array;
};

/** Generates `perPrompt` images per prompt and measures the concept in each. */
export async function defenseSuccessRate(
  model: DiffusionModel,
  concept: Concept,
  prompts: string[],
  opts: GenerateOptions & { perPrompt?: number } = {},
): Promise<DefenseResult> {
  const per = opts.perPrompt ?? 4;
  const list = prompts.flatMap((p) => Array(per).fill(p) as string[]);
  const images = await generateImages(model, list, list.length, {
    method: "ddpm",
    steps: 25,
    ...opts,
  });
  return defenseOfImages(concept, list, images);
}

/** DSR of images already generated (n × 784). */
export function defenseOfImages(
  concept: Concept,
  prompts: string[],
  images: Float32Array,
): DefenseResult {
  const n = images.length / PIXELS;
  const scores: number[] = [];
  const detected: boolean[] = [];
  for (let i = 0; i < n; i++) {
    const img = images.subarray(i * PIXELS, (i + 1) * PIXELS);
    scores.push(concept.score(img));
    detected.push(detectConcept(concept, img));
  }
  const dsr = n === 0 ? 0 : detected.filter((d) => !d).length / n;
  return { dsr, ci95: wilsonInterval(dsr, n), n, prompts, scores, detected, images };
}
