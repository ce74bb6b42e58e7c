/**
 * Image judges for the lecture's three evaluation questions (the questions
 * the Diffusion-DPO paper put to its raters):
 *   Q1 general preference: "Which image do you prefer given the prompt?"
 *   Q2 visual appeal:      "Which image is more visually appealing?" (the prompt is ignored)
 *   Q3 prompt alignment:   "Which image better fits the text description?"
 * A judge is pairwise, (prompt, a, b) → 1 (a), 0 (b) or 0.5 (tie); a scalar
 * score s(prompt, image) makes one with `scoreJudge` (a wins iff
 * s(a) − s(b) > tieMargin). On the embedded text-to-digit world the scores
 * are measured with the digit classifier and the stroke measures:
 *   appeal    = conf · min(1, ink/25) · (1 − stray)   conf = max_k p(k|x),
 *               ink = Σ pixel values, stray = share of ink outside the largest
 *               8-connected stroke (pixels > 0.25): legible, inked, no specks;
 *   alignment = weighted mean over the attributes the prompt names of
 *               p(digit|x) (weight 2), thickness agreement and slant agreement
 *               (weight 1 each; soft: a logistic of the distance past the
 *               calibrated class threshold, 1 well inside the class);
 *   general   = (appeal + alignment) / 2.
 * Images are 28×28 host pixels in [0, 1], white strokes on black.
 */
import { parseCaption } from "../data/captions.js";
import { classifyDigits, type DigitClassifier } from "../models/vision/digit-classifier.js";
import {
  CALIBRATION,
  type SlantClass,
  strokeSlant,
  strokeThickness,
  type ThicknessClass,
} from "../models/vision/measures.js";

export type ImageComparison = { prompt: string; a: Float32Array; b: Float32Array };

export type ImageJudge = {
  name: string;
  /** outcome per comparison: 1 = a better, 0 = b better, 0.5 = tie */
  compare(items: ImageComparison[]): Promise<number[]>;
};

/** A scalar score of each (prompt, image): higher is better. */
export type ImageScore = (items: { prompt: string; image: Float32Array }[]) => Promise<number[]>;

export type Question = "general" | "appeal" | "alignment";
export const QUESTIONS: readonly Question[] = ["general", "appeal", "alignment"];

/** The questions' wording (the Diffusion-DPO paper's human evaluation). */
export const QUESTION_TEXT: Record<Question, string> = {
  general: "Which image do you prefer given the prompt?",
  appeal: "Which image is more visually appealing? Ignore the prompt.",
  alignment: "Which image better fits the text description?",
};

/** Q1, Q2, Q3 labels used in tables. */
export const QUESTION_LABEL: Record<Question, string> = {
  general: "Q1 general preference",
  appeal: "Q2 visual appeal",
  alignment: "Q3 prompt alignment",
};

/** A pairwise judge from a score: a wins iff s(a) − s(b) > tieMargin, b iff < −tieMargin, else a tie. */
export function scoreJudge(name: string, score: ImageScore, tieMargin = 0): ImageJudge {
  return {
    name,
    async compare(items) {
      const s = await score([
        ...items.map((x) => ({ prompt: x.prompt, image: x.a })),
        ...items.map((x) => ({ prompt: x.prompt, image: x.b })),
      ]);
      const n = items.length;
      return items.map((_, i) => {
        const d = s[i] - s[n + i];
        return d > tieMargin ? 1 : d < -tieMargin ? 0 : 0.5;
      });
    },
  };
}

const SIZE = 28;
const INK_THRESHOLD = 0.25;
const INK_FULL = 25;

/** Share of ink (pixels > 0.25) outside the largest 8-connected component; 0 for an empty image. */
export function strayInk(img: ArrayLike<number>): number {
  const n = SIZE * SIZE;
  const label = new Int32Array(n).fill(-1);
  let total = 0;
  let best = 0;
  const stack: number[] = [];
  for (let s = 0; s < n; s++) {
    if (img[s] <= INK_THRESHOLD || label[s] >= 0) continue;
    let mass = 0;
    label[s] = s;
    stack.push(s);
    while (stack.length) {
      const p = stack.pop() as number;
      mass += img[p];
      const y = Math.floor(p / SIZE);
      const x = p % SIZE;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy < 0 || yy >= SIZE || xx < 0 || xx >= SIZE) continue;
          const q = yy * SIZE + xx;
          if (img[q] > INK_THRESHOLD && label[q] < 0) {
            label[q] = s;
            stack.push(q);
          }
        }
      }
    }
    total += mass;
    best = Math.max(best, mass);
  }
  return total > 0 ? 1 - best / total : 0;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Soft agreement in (0, 1) of a measured value with a class bounded by thresholds [lo, hi]. */
function classAgreement(v: number, cls: "low" | "mid" | "high", lo: number, hi: number): number {
  const s = (hi - lo) / 4;
  if (cls === "low") return sigmoid((lo - v) / s);
  if (cls === "high") return sigmoid((v - hi) / s);
  // the middle class: both logistics, scaled so the class centre scores 1
  return (sigmoid((v - lo) / s) * sigmoid((hi - v) / s)) / sigmoid(2) ** 2;
}

const THICK: Record<ThicknessClass, "low" | "mid" | "high"> = {
  thin: "low",
  medium: "mid",
  thick: "high",
};
const SLANT: Record<SlantClass, "low" | "mid" | "high"> = {
  left: "low",
  upright: "mid",
  right: "high",
};

/** Appeal, alignment and general scores of the text-to-digit world (see the module doc). */
export function digitWorldScores(classifier: DigitClassifier): Record<Question, ImageScore> {
  const both = async (items: { prompt: string; image: Float32Array }[]) => {
    const n = items.length;
    const pixels = new Float32Array(n * SIZE * SIZE);
    for (let i = 0; i < n; i++) pixels.set(items[i].image, i * SIZE * SIZE);
    const probs = await classifyDigits(classifier, pixels);
    const appeal: number[] = [];
    const alignment: number[] = [];
    for (let i = 0; i < n; i++) {
      const img = items[i].image;
      const p = probs.subarray(i * 10, (i + 1) * 10);
      let conf = 0;
      for (const v of p) conf = Math.max(conf, v);
      let ink = 0;
      for (const v of img) ink += v;
      appeal.push(conf * Math.min(1, ink / INK_FULL) * (1 - strayInk(img)));
      const spec = parseCaption(items[i].prompt);
      let sum = 0;
      let w = 0;
      if (spec.digit !== undefined) {
        sum += 2 * p[spec.digit];
        w += 2;
      }
      if (spec.thickness !== undefined) {
        const [lo, hi] = CALIBRATION.thickness;
        sum += classAgreement(strokeThickness(img), THICK[spec.thickness], lo, hi);
        w += 1;
      }
      if (spec.slant !== undefined) {
        const [lo, hi] = CALIBRATION.slant;
        sum += classAgreement(strokeSlant(img), SLANT[spec.slant], lo, hi);
        w += 1;
      }
      // a prompt that names nothing cannot be misread: every image fits it equally
      alignment.push(w > 0 ? sum / w : 1);
    }
    return { appeal, alignment };
  };
  return {
    appeal: async (items) => (await both(items)).appeal,
    alignment: async (items) => (await both(items)).alignment,
    general: async (items) => {
      const r = await both(items);
      return r.appeal.map((a, i) => (a + r.alignment[i]) / 2);
    },
  };
}

/**
 * The three judges of the text-to-digit world; scores closer than
 * `tieMargin` (default 0.01) are a tie.
 */
export function digitWorldJudges(
  classifier: DigitClassifier,
  tieMargin = 0.01,
): Record<Question, ImageJudge> {
  const s = digitWorldScores(classifier);
  return {
    general: scoreJudge("digit-world:general", s.general, tieMargin),
    appeal: scoreJudge("digit-world:appeal", s.appeal, tieMargin),
    alignment: scoreJudge("digit-world:alignment", s.alignment, tieMargin),
  };
}
