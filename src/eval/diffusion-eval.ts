/**
 * Prompt following of a text-to-digit model on held-out prompts: for every
 * held-out (digit, thin|thick, slant) combination (`isHeldOutCombo`, never
 * seen together in a training caption) it writes fresh captions (random
 * synonyms and word order), generates images, and measures
 * - digit agreement: the digit classifier's argmax equals the prompt's digit;
 * - thickness agreement: the measured thickness class equals the prompt's word;
 * - slant agreement (reported, not a target): the measured slant class.
 */
import { isHeldOutCombo, makeCaption } from "../data/captions.js";
import { HostRng } from "../engine/random.js";
import { type GenerateOptions, generateImages } from "../models/diffusion/generate.js";
import type { DiffusionModel } from "../models/diffusion/model.js";
import { type DigitClassifier, predictDigits } from "../models/vision/digit-classifier.js";
import { measureDigit, type SlantClass, type ThicknessClass } from "../models/vision/measures.js";

export type HeldOutPrompt = { digit: number; thickness: ThicknessClass; slant: SlantClass };

/** The held-out (digit, thickness, slant) combinations, in a fixed order. */
export function heldOutCombos(): HeldOutPrompt[] {
  const out: HeldOutPrompt[] = [];
  for (let digit = 0; digit < 10; digit++)
    for (const thickness of ["thin", "thick"] as const)
      for (const slant of ["left", "upright", "right"] as const)
        if (isHeldOutCombo(digit, thickness, slant)) out.push({ digit, thickness, slant });
  return out;
}

export type DiffusionEvalResult = {
  images: Float32Array;
  prompts: string[];
  specs: HeldOutPrompt[];
  predictedDigits: number[];
  thicknessClasses: ThicknessClass[];
  digitAgreement: number;
  thicknessAgreement: number;
  slantAgreement: number;
  n: number;
};

export async function evaluatePromptFollowing(
  model: DiffusionModel,
  classifier: DigitClassifier,
  opts: GenerateOptions & { perPrompt?: number } = {},
): Promise<DiffusionEvalResult> {
  const per = opts.perPrompt ?? 8;
  const rng = new HostRng((opts.seed ?? 0) + 424242);
  const specs: HeldOutPrompt[] = [];
  const prompts: string[] = [];
  for (const c of heldOutCombos()) {
    for (let k = 0; k < per; k++) {
      specs.push(c);
      prompts.push(makeCaption(c, rng));
    }
  }
  const n = prompts.length;
  const images = await generateImages(model, prompts, n, opts);
  const pred = await predictDigits(classifier, images);
  let dig = 0;
  let thick = 0;
  let slant = 0;
  const thicknessClasses: ThicknessClass[] = [];
  for (let i = 0; i < n; i++) {
    const m = measureDigit(images.subarray(i * 784, (i + 1) * 784));
    thicknessClasses.push(m.thicknessClass);
    if (pred[i] === specs[i].digit) dig++;
    if (m.thicknessClass === specs[i].thickness) thick++;
    if (m.slantClass === specs[i].slant) slant++;
  }
  return {
    images,
    prompts,
    specs,
    predictedDigits: Array.from(pred),
    thicknessClasses,
    digitAgreement: dig / n,
    thicknessAgreement: thick / n,
    slantAgreement: slant / n,
    n,
  };
}
