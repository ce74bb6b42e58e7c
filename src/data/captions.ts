/**
 * Captions for the text-to-digit world, written from properties measured on
 * each image (DESIGN §2): the digit as a numeral or a word, a stroke
 * thickness word and a slant phrase, with a random synonym for each and the
 * phrases in random order. Caption dropout (the empty caption) trains the
 * null prompt that classifier-free guidance needs.
 */
import type { HostRng } from "../engine/random.js";
import type { SlantClass, ThicknessClass } from "../models/vision/measures.js";

export const DIGIT_WORDS = [
  "zero",
  "one",
  "two",
  "three",
  "four",
  "five",
  "six",
  "seven",
  "eight",
  "nine",
] as const;

export const THICKNESS_WORDS: Record<ThicknessClass, readonly string[]> = {
  thin: ["thin", "light", "fine", "slim", "skinny"],
  medium: ["medium", "regular", "normal"],
  thick: ["thick", "bold", "heavy", "fat", "chunky"],
};

export const SLANT_PHRASES: Record<SlantClass, readonly string[]> = {
  left: ["leaning left", "slanted left", "tilted left"],
  upright: ["upright", "straight", "vertical"],
  right: ["leaning right", "slanted right", "tilted right"],
};

/** Filler words that may appear around a caption's phrases. */
export const FILLERS = ["a", "digit", "number", "of", "the", "handwritten", "with", "strokes"];

export type CaptionSpec = {
  digit?: number;
  thickness?: ThicknessClass;
  slant?: SlantClass;
};

export type CaptionOptions = {
  /** Probability of each optional attribute (thickness, slant) being left out. */
  attributeDropout?: number;
  /** Probability of returning the empty (null) caption. */
  captionDropout?: number;
};

/** One random caption for measured properties; "" is the null prompt. */
export function makeCaption(spec: CaptionSpec, rng: HostRng, opts: CaptionOptions = {}): string {
  const { attributeDropout = 0, captionDropout = 0 } = opts;
  if (captionDropout > 0 && rng.next() < captionDropout) return "";
  const phrases: string[] = [];
  if (spec.digit !== undefined) {
    const d = rng.next() < 0.5 ? String(spec.digit) : DIGIT_WORDS[spec.digit];
    phrases.push(rng.next() < 0.3 ? `${rng.pick(["digit", "number", "a"])} ${d}` : d);
  }
  if (spec.thickness !== undefined && !(attributeDropout > 0 && rng.next() < attributeDropout)) {
    phrases.push(rng.pick(THICKNESS_WORDS[spec.thickness]));
  }
  if (spec.slant !== undefined && !(attributeDropout > 0 && rng.next() < attributeDropout)) {
    phrases.push(rng.pick(SLANT_PHRASES[spec.slant]));
  }
  return rng.shuffle(phrases).join(" ");
}

/** Lower-cased word tokens of a caption (punctuation is a separator). */
export function captionWords(caption: string): string[] {
  return caption
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

/** Reads digit, thickness and slant back from a caption (the inverse of `makeCaption`). */
export function parseCaption(caption: string): CaptionSpec {
  const words = captionWords(caption);
  const spec: CaptionSpec = {};
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (/^[0-9]$/.test(w)) spec.digit = Number(w);
    const di = (DIGIT_WORDS as readonly string[]).indexOf(w);
    if (di >= 0) spec.digit = di;
    for (const [cls, ws] of Object.entries(THICKNESS_WORDS)) {
      if (ws.includes(w)) spec.thickness = cls as ThicknessClass;
    }
    if (w === "left" || w === "right") spec.slant = w;
    if (SLANT_PHRASES.upright.includes(w)) spec.slant = "upright";
  }
  return spec;
}

/** Every word a caption can contain: the text encoder's vocabulary. */
export function captionVocabulary(): string[] {
  const words = new Set<string>();
  for (let d = 0; d < 10; d++) words.add(String(d));
  for (const w of DIGIT_WORDS) words.add(w);
  for (const ws of Object.values(THICKNESS_WORDS)) for (const w of ws) words.add(w);
  for (const ps of Object.values(SLANT_PHRASES))
    for (const p of ps) for (const w of p.split(" ")) words.add(w);
  for (const w of FILLERS) words.add(w);
  return [...words];
}

/**
 * Held-out prompt combinations: (digit, thin|thick, slant) triples that never
 * appear together in a training caption, so that evaluation prompts are new.
 */
export function isHeldOutCombo(
  digit: number,
  thickness: ThicknessClass,
  slant: SlantClass,
): boolean {
  if (thickness === "medium") return false;
  const ti = thickness === "thin" ? 0 : 1;
  const si = slant === "left" ? 0 : slant === "upright" ? 1 : 2;
  return (digit + 3 * ti + si) % 5 === 0;
}
