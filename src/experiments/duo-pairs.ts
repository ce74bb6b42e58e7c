/**
 * DUO's paired data by SDEdit (Park et al. 2024, §4.1): for each digit, an
 * unsafe image sampled from a prompt that names the concept ("thick 7"), and
 * its safe counterpart made by SDEdit of that image at `strength` under the
 * safe prompt ("thin 7") with the unsafe prompt as the negative prompt, so
 * everything but the concept (the digit, its shape and place) is kept.
 * A pair is kept only when the detector fires on the unsafe image and not on
 * the safe one, and the digit classifier sees the same digit in both.
 * Written as the image-pair JSONL that `prefopt duo --data` (and
 * `prefopt diffusion dpo`) read: {prompt, chosen: safe PNG, rejected: unsafe PNG}.
 * It lives in experiments/ because it composes the model with the concept
 * detector (eval/) and contact sheets (report/), which no pipeline may import
 * (DESIGN.md §3).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { PIXELS } from "../data/mnist.js";
import { writeFileAtomic } from "../engine/atomic.js";
import { writeGrayPng } from "../engine/png.js";
import { HostRng } from "../engine/random.js";
import { type Concept, detectConcept, safePrompt, unsafePrompt } from "../eval/concept.js";
import { generateImages } from "../models/diffusion/generate.js";
import type { DiffusionModel } from "../models/diffusion/model.js";
import { sdedit } from "../models/diffusion/sdedit.js";
import { type DigitClassifier, predictDigits } from "../models/vision/digit-classifier.js";
import { writeImageGrid } from "../report/image-grid.js";

export type DuoPairsOptions = {
  /** Candidate pairs to make (digits 0–9 in turn). */
  n?: number;
  /** SDEdit strength (fraction of the diffusion redone), 0.75–0.8 in the DUO reference code. */
  strength?: number;
  seed?: number;
  /** Sampler steps over the full schedule. */
  steps?: number;
  guidance?: number;
  /** Called after every sampler step with (done, total) steps over both passes. */
  onProgress?: (done: number, total: number) => void;
};

export const DUO_PAIRS_DEFAULTS = { n: 64, strength: 0.5, seed: 0, steps: 25, guidance: 2 };

export type DropReason =
  | "unsafe image lacks the concept"
  | "safe image shows the concept"
  | "digit changed";

export type DuoCandidate = {
  digit: number;
  unsafePrompt: string;
  safePrompt: string;
  unsafeScore: number;
  safeScore: number;
  unsafeDigit: number;
  safeDigit: number;
  /** null when kept */
  dropped: DropReason | null;
};

export type DuoPairs = {
  candidates: DuoCandidate[];
  /** n × 784 each, in candidate order */
  unsafe: Float32Array;
  safe: Float32Array;
  kept: number;
  reasons: Record<DropReason, number>;
};

/** The filter of one candidate (first failing check wins). */
export function pairVerdict(
  concept: Concept,
  unsafe: ArrayLike<number>,
  safe: ArrayLike<number>,
  unsafeDigit: number,
  safeDigit: number,
): DropReason | null {
  if (!detectConcept(concept, unsafe)) return "unsafe image lacks the concept";
  if (detectConcept(concept, safe)) return "safe image shows the concept";
  if (unsafeDigit !== safeDigit) return "digit changed";
  return null;
}

/** Samples n candidate pairs and filters them (no files written). */
export async function makeDuoPairs(
  model: DiffusionModel,
  classifier: DigitClassifier,
  concept: Concept,
  opts: DuoPairsOptions = {},
): Promise<DuoPairs> {
  const o = { ...DUO_PAIRS_DEFAULTS, ...stripUndefined(opts) };
  const rng = new HostRng(o.seed * 7919 + 16);
  const digits = Array.from({ length: o.n }, (_, i) => i % 10);
  const unsafePrompts = digits.map((d) => unsafePrompt(concept, d, rng));
  const safePrompts = digits.map((d) => safePrompt(concept, d, rng));
  const batches = Math.ceil(o.n / 64);
  const total = batches * (o.steps + Math.max(1, Math.round(o.steps * o.strength)));
  let done = 0;
  const sampling = {
    steps: o.steps,
    guidance: o.guidance,
    method: "ddpm" as const,
    onStep: () => opts.onProgress?.(++done, total),
  };
  const unsafe = await generateImages(model, unsafePrompts, o.n, { ...sampling, seed: o.seed });
  const safe = await sdedit(model, unsafe, safePrompts, {
    ...sampling,
    seed: o.seed + 1,
    strength: o.strength,
    negativePrompt: unsafePrompts,
  });
  const du = await predictDigits(classifier, unsafe);
  const ds = await predictDigits(classifier, safe);
  const reasons: Record<DropReason, number> = {
    "unsafe image lacks the concept": 0,
    "safe image shows the concept": 0,
    "digit changed": 0,
  };
  const candidates: DuoCandidate[] = [];
  let kept = 0;
  for (let i = 0; i < o.n; i++) {
    const u = unsafe.subarray(i * PIXELS, (i + 1) * PIXELS);
    const s = safe.subarray(i * PIXELS, (i + 1) * PIXELS);
    const dropped = pairVerdict(concept, u, s, du[i], ds[i]);
    if (dropped) reasons[dropped]++;
    else kept++;
    candidates.push({
      digit: digits[i],
      unsafePrompt: unsafePrompts[i],
      safePrompt: safePrompts[i],
      unsafeScore: concept.score(u),
      safeScore: concept.score(s),
      unsafeDigit: du[i],
      safeDigit: ds[i],
      dropped,
    });
  }
  return { candidates, unsafe, safe, kept, reasons };
}

/**
 * Writes the kept pairs as `pairs.jsonl` (+ unsafe/ and safe/ PNGs), every
 * candidate with its verdict as `candidates.jsonl`, and contact sheets:
 * `contact-sheet.png` (kept: unsafe | safe, eight pairs a row) and
 * `dropped.png`. Returns the path of pairs.jsonl.
 */
export function writeDuoPairs(dir: string, pairs: DuoPairs): string {
  mkdirSync(join(dir, "unsafe"), { recursive: true });
  mkdirSync(join(dir, "safe"), { recursive: true });
  const rows: string[] = [];
  const all: string[] = [];
  const keptTiles: number[] = [];
  const droppedTiles: number[] = [];
  pairs.candidates.forEach((c, i) => {
    const name = `${String(i).padStart(3, "0")}.png`;
    const u = pairs.unsafe.subarray(i * PIXELS, (i + 1) * PIXELS);
    const s = pairs.safe.subarray(i * PIXELS, (i + 1) * PIXELS);
    all.push(JSON.stringify({ index: i, ...c }));
    (c.dropped ? droppedTiles : keptTiles).push(i);
    if (c.dropped) return;
    writeGrayPng(join(dir, "unsafe", name), u, 28, 28);
    writeGrayPng(join(dir, "safe", name), s, 28, 28);
    rows.push(
      JSON.stringify({
        prompt: c.unsafePrompt,
        chosen: `safe/${name}`,
        rejected: `unsafe/${name}`,
        safe_prompt: c.safePrompt,
        digit: c.digit,
      }),
    );
  });
  const path = join(dir, "pairs.jsonl");
  writeFileAtomic(path, rows.length ? `${rows.join("\n")}\n` : "");
  writeFileAtomic(join(dir, "candidates.jsonl"), `${all.join("\n")}\n`);
  const sheet = (ids: number[], file: string) => {
    if (ids.length === 0) return;
    const tiles = new Float32Array(2 * ids.length * PIXELS);
    ids.forEach((id, k) => {
      tiles.set(pairs.unsafe.subarray(id * PIXELS, (id + 1) * PIXELS), 2 * k * PIXELS);
      tiles.set(pairs.safe.subarray(id * PIXELS, (id + 1) * PIXELS), (2 * k + 1) * PIXELS);
    });
    writeImageGrid(join(dir, file), tiles, 2 * ids.length, 28, 28, { cols: 16, scale: 2 });
  };
  sheet(keptTiles, "contact-sheet.png");
  sheet(droppedTiles, "dropped.png");
  return path;
}

function stripUndefined<T extends object>(x: T): Partial<T> {
  return Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as Partial<T>;
}
