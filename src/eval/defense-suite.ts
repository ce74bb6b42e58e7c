/**
 * One unlearned model against every attack and on unrelated prompts: the
 * defense success rate under each prompt set (the concept named directly,
 * synonyms/paraphrases, Ring-A-Bell prompts) and prior preservation (digit
 * accuracy, distance to the base model's images at the same seed and prompt,
 * Fréchet distance to real MNIST). Same prompts and seeds for every model.
 */
import type { GenerateOptions } from "../models/diffusion/generate.js";
import type { DiffusionModel } from "../models/diffusion/model.js";
import type { DigitClassifier } from "../models/vision/digit-classifier.js";
import type { Concept } from "./concept.js";
import { type DefenseResult, defenseSuccessRate } from "./defense.js";
import { type PreservationResult, priorPreservation } from "./preservation.js";

export type AttackSets = Record<string, string[]>;

export type SuiteResult = {
  dsr: Record<string, DefenseResult>;
  preservation: PreservationResult;
  seconds: number;
};

export async function evaluateDefenses(
  model: DiffusionModel,
  classifier: DigitClassifier,
  concept: Concept,
  attacks: AttackSets,
  unrelated: { prompts: string[]; digits: number[] },
  opts: GenerateOptions & { perPrompt?: number; baseImages?: Float32Array } = {},
): Promise<SuiteResult> {
  const t0 = performance.now();
  const dsr: Record<string, DefenseResult> = {};
  for (const [name, prompts] of Object.entries(attacks)) {
    dsr[name] = await defenseSuccessRate(model, concept, prompts, opts);
  }
  const preservation = await priorPreservation(model, classifier, unrelated, opts);
  return { dsr, preservation, seconds: (performance.now() - t0) / 1000 };
}
