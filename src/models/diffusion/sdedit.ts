/**
 * SDEdit (Meng et al.): noise a given image to x_{t0} = √ᾱ_{t0} x_0 + √(1−ᾱ_{t0}) ε
 * with t0 = ⌈strength · T⌉ − 1, then run the guided reverse process from t0
 * under a new prompt (optionally steering away from a negative prompt).
 * strength → 0 returns the input nearly unchanged; strength = 1 ignores it.
 */
import { UserError } from "../../engine/errors.js";
import { fromPixels, type GenerateOptions, sampleInBatches } from "./generate.js";
import type { DiffusionModel } from "./model.js";
import { makeSchedule, qSample } from "./schedule.js";

export type SdeditOptions = Omit<GenerateOptions, "startStep"> & {
  /** Fraction of the diffusion to redo, in (0, 1] (default 0.75). */
  strength?: number;
};

/** The starting timestep t0 for a strength in (0, 1]. */
export function sdeditStartStep(T: number, strength: number): number {
  if (!(strength > 0 && strength <= 1))
    throw new UserError(`sdedit: strength ${strength} is not in (0, 1]`);
  return Math.max(0, Math.ceil(strength * T) - 1);
}

/** Edits n images (n × 784 pixels in [0, 1]) under `prompt`; returns n × 784 in [0, 1]. */
export async function sdedit(
  model: DiffusionModel,
  images: Float32Array,
  prompt: string | string[],
  opts: SdeditOptions = {},
): Promise<Float32Array> {
  const S = model.config.imageSize;
  const n = images.length / (S * S);
  const prompts = typeof prompt === "string" ? Array(n).fill(prompt) : prompt;
  const schedule = makeSchedule(model.config.schedule.kind, model.config.schedule.T);
  const t0 = sdeditStartStep(schedule.T, opts.strength ?? 0.75);
  const ab = schedule.alphaBars[t0];
  return sampleInBatches(model, prompts, { ...opts, startStep: t0 }, (noise, start, m) =>
    qSample(
      fromPixels(images.slice(start * S * S, (start + m) * S * S), m, S),
      noise,
      Math.sqrt(ab),
      Math.sqrt(1 - ab),
    ),
  );
}
