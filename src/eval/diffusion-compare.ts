/**
 * Model A against model B on held-out prompts, as the Diffusion-DPO paper's
 * human evaluation does: for every held-out (digit, thin|thick, slant)
 * combination (never captioned together in training, and never used to
 * build AI-feedback pairs) `perPrompt` fresh captions; both models draw from
 * the SAME seed, so image i of A and image i of B start from the same noise
 * and sampler draws; each judge compares them. Win rates of A over B per
 * question, ties counted half, with 95% Wilson intervals.
 */
import { makeCaption } from "../data/captions.js";
import { HostRng } from "../engine/random.js";
import { type GenerateOptions, generateImages } from "../models/diffusion/generate.js";
import type { DiffusionModel } from "../models/diffusion/model.js";
import { type HeldOutPrompt, heldOutCombos } from "./diffusion-eval.js";
import type { ImageJudge } from "./image-judge.js";
import { type WinRate, winRate } from "./win-rate.js";

export type DiffusionCompareOptions = GenerateOptions & {
  perPrompt?: number;
  /** Called after each batch of images with images drawn and total (both models). */
  onProgress?: (done: number, total: number) => void;
};

export type DiffusionCompareResult = {
  prompts: string[];
  specs: HeldOutPrompt[];
  imagesA: Float32Array;
  imagesB: Float32Array;
  /** per judge name: outcomes (1 A, 0 B, 0.5 tie) and the win rate of A over B */
  results: Record<string, WinRate & { outcomes: number[] }>;
  n: number;
};

/** The held-out prompts of a comparison: `perPrompt` captions per held-out combination. */
export function heldOutPrompts(
  perPrompt: number,
  seed = 0,
): { prompts: string[]; specs: HeldOutPrompt[] } {
  const rng = new HostRng(seed + 515_151);
  const prompts: string[] = [];
  const specs: HeldOutPrompt[] = [];
  for (const c of heldOutCombos()) {
    for (let k = 0; k < perPrompt; k++) {
      specs.push(c);
      prompts.push(makeCaption(c, rng));
    }
  }
  return { prompts, specs };
}

/** Compares A with B under each judge (see the module doc). */
export async function compareDiffusionModels(
  a: DiffusionModel,
  b: DiffusionModel,
  judges: Record<string, ImageJudge>,
  opts: DiffusionCompareOptions = {},
): Promise<DiffusionCompareResult> {
  const { prompts, specs } = heldOutPrompts(opts.perPrompt ?? 8, opts.seed ?? 0);
  const n = prompts.length;
  const P = a.config.imageSize ** 2;
  const bs = opts.batchSize ?? 48;
  const imagesA = new Float32Array(n * P);
  const imagesB = new Float32Array(n * P);
  // batch k of A and batch k of B share their seed: the same noise and sampler draws
  for (const [model, out, done] of [
    [a, imagesA, 0],
    [b, imagesB, n],
  ] as const) {
    for (let s = 0; s < n; s += bs) {
      const m = Math.min(bs, n - s);
      const imgs = await generateImages(model, prompts.slice(s, s + m), m, {
        ...opts,
        seed: (opts.seed ?? 0) * 1_000_003 + s,
        batchSize: m,
      });
      out.set(imgs, s * P);
      opts.onProgress?.(done + s + m, 2 * n);
    }
  }
  const items = prompts.map((prompt, i) => ({
    prompt,
    a: imagesA.slice(i * P, (i + 1) * P),
    b: imagesB.slice(i * P, (i + 1) * P),
  }));
  const results: DiffusionCompareResult["results"] = {};
  for (const [name, judge] of Object.entries(judges)) {
    const outcomes = await judge.compare(items);
    results[name] = { ...winRate(outcomes), outcomes };
  }
  return { prompts, specs, imagesA, imagesB, results, n };
}

/**
 * A side-by-side grid: one row per held-out combination, A's `perPrompt`
 * images, a blank tile, then B's at the same seeds. Returns tiles and columns.
 */
export function sideBySide(
  r: DiffusionCompareResult,
  perPrompt: number,
  size = 28,
): { tiles: Float32Array; n: number; cols: number } {
  const P = size * size;
  const rows = r.n / perPrompt;
  const cols = 2 * perPrompt + 1;
  const tiles = new Float32Array(rows * cols * P);
  for (let row = 0; row < rows; row++) {
    for (let k = 0; k < perPrompt; k++) {
      const i = row * perPrompt + k;
      tiles.set(r.imagesA.subarray(i * P, (i + 1) * P), (row * cols + k) * P);
      tiles.set(r.imagesB.subarray(i * P, (i + 1) * P), (row * cols + perPrompt + 1 + k) * P);
    }
    tiles.fill(0.5, (row * cols + perPrompt) * P, (row * cols + perPrompt + 1) * P);
  }
  return { tiles, n: rows * cols, cols };
}
