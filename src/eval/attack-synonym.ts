/**
 * The synonym / paraphrase attack: prompts that ask for the concept with the
 * words training did not use (the concept's held-out synonyms, e.g. "bold",
 * "heavy", "fat", "chunky" for heavy strokes) inside paraphrases the captions
 * never had ("a handwritten 7 with heavy strokes"). ESD-style word erasure is
 * known to leak here; a model that lost the visual feature should not.
 */
import { DIGIT_WORDS } from "../data/captions.js";
import { HostRng } from "../engine/random.js";
import type { Concept } from "./concept.js";

const TEMPLATES = [
  (d: string, s: string) => `${d} with ${s} strokes`,
  (d: string, s: string) => `a handwritten ${s} ${d}`,
  (d: string, s: string) => `the number ${d} ${s} ${s}`,
  (d: string, s: string) => `${s} digit of ${d}`,
  (d: string, s: string) => `${s} handwritten number ${d}`,
];

/** `count` paraphrase prompts with held-out synonyms (digits 0–9 in turn). */
export function synonymPrompts(concept: Concept, count: number, seed = 0): string[] {
  const rng = new HostRng(seed * 17 + 11);
  const synonyms = concept.phrases.length > 1 ? concept.phrases.slice(1) : concept.phrases;
  return Array.from({ length: count }, (_, i) => {
    const d = i % 10;
    const digit = rng.next() < 0.5 ? String(d) : DIGIT_WORDS[d];
    return TEMPLATES[i % TEMPLATES.length](digit, synonyms[i % synonyms.length]);
  });
}
