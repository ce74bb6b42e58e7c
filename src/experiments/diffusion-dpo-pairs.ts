/**
 * AI-feedback preference pairs for Diffusion-DPO (the paper's AI-feedback
 * runs, in the text-to-digit world): for every prompt, draw `candidates`
 * images from the model (seeded), let a pairwise judge compare every two of
 * them (a round robin), and keep (most wins, fewest wins) as (chosen,
 * rejected); a prompt whose two are tied head to head is dropped, as
 * Pick-a-Pic's ties are. With `allPairs`, every decided comparison of the
 * round robin is a pair (K(K−1)/2 per prompt at most, ties dropped): more
 * pairs from the same samples, as Pick-a-Pic holds several per prompt. The result is written as the image-pair JSONL that
 * `loadImagePairs` reads (PNG paths relative to the file), plus a contact
 * sheet (chosen | rejected side by side, four pairs a row). It lives in
 * experiments/ because it composes a model with a judge (eval/) and a
 * drawing (report/), which no pipeline may import (DESIGN.md §3).
 */
import { mkdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { isHeldOutCombo, makeCaption } from "../data/captions.js";
import type { PixelPair } from "../data/image-pairs.js";
import { writeFileAtomic } from "../engine/atomic.js";
import { writeGrayPng } from "../engine/png.js";
import { HostRng } from "../engine/random.js";
import type { ImageJudge } from "../eval/image-judge.js";
import { type GenerateOptions, generateImages } from "../models/diffusion/generate.js";
import type { DiffusionModel } from "../models/diffusion/model.js";
import type { SlantClass, ThicknessClass } from "../models/vision/measures.js";
import { writeImageGrid } from "../report/image-grid.js";

/**
 * `n` training prompts of the text-to-digit world: random (digit, thickness,
 * slant) with fresh wording, never a held-out combination (`isHeldOutCombo`),
 * so evaluation on held-out prompts measures generalisation.
 */
export function trainingPrompts(n: number, seed = 0): string[] {
  const rng = new HostRng(seed + 90_001);
  const out: string[] = [];
  const th: ThicknessClass[] = ["thin", "medium", "thick"];
  const sl: SlantClass[] = ["left", "upright", "right"];
  while (out.length < n) {
    const digit = rng.int(10);
    const thickness = rng.pick(th);
    const slant = rng.pick(sl);
    if (isHeldOutCombo(digit, thickness, slant)) continue;
    out.push(makeCaption({ digit, thickness, slant }, rng));
  }
  return out;
}

export type PairGenerationOptions = GenerateOptions & {
  /** Images drawn per prompt (default 4; at least 2). */
  candidates?: number;
  /** Prompts per sampling batch (default 16, so 64 images with 4 candidates). */
  promptsPerBatch?: number;
  /** Keep every decided comparison, not only best vs worst (default false). */
  allPairs?: boolean;
  /** Called after each batch with prompts done and total. */
  onProgress?: (done: number, total: number) => void;
};

export type PairGenerationResult = {
  pairs: PixelPair[];
  /** comparisons dropped as ties (prompts whose best and worst tied, without `allPairs`) */
  ties: number;
};

/** Samples candidates per prompt and labels the pairs with `judge` (see the module doc). */
export async function generateImagePairs(
  model: DiffusionModel,
  prompts: string[],
  judge: ImageJudge,
  opts: PairGenerationOptions = {},
): Promise<PairGenerationResult> {
  const K = Math.max(2, opts.candidates ?? 4);
  const per = Math.max(1, opts.promptsPerBatch ?? 16);
  const P = model.config.imageSize ** 2;
  const pairs: PixelPair[] = [];
  let ties = 0;
  for (let s = 0; s < prompts.length; s += per) {
    const batch = prompts.slice(s, s + per);
    const list = batch.flatMap((p) => Array<string>(K).fill(p));
    // a distinct seed per batch: every candidate gets its own noise
    const images = await generateImages(model, list, list.length, {
      ...opts,
      seed: (opts.seed ?? 0) * 100_003 + s,
      batchSize: list.length,
    });
    const img = (i: number) => images.slice(i * P, (i + 1) * P);
    // round robin inside each prompt's K candidates
    const items: { prompt: string; a: Float32Array; b: Float32Array }[] = [];
    const idx: [number, number, number][] = [];
    batch.forEach((p, j) => {
      for (let u = 0; u < K; u++)
        for (let v = u + 1; v < K; v++) {
          items.push({ prompt: p, a: img(j * K + u), b: img(j * K + v) });
          idx.push([j, u, v]);
        }
    });
    const out = await judge.compare(items);
    const wins = batch.map(() => new Float64Array(K));
    const head = new Map<string, number>();
    out.forEach((o, k) => {
      const [j, u, v] = idx[k];
      wins[j][u] += o;
      wins[j][v] += 1 - o;
      head.set(`${j}:${u}:${v}`, o);
    });
    if (opts.allPairs) {
      out.forEach((o, k) => {
        const [j, u, v] = idx[k];
        if (o === 0.5) ties++;
        else {
          const [c, r] = o === 1 ? [u, v] : [v, u];
          pairs.push({ prompt: batch[j], chosen: img(j * K + c), rejected: img(j * K + r) });
        }
      });
      opts.onProgress?.(Math.min(s + per, prompts.length), prompts.length);
      continue;
    }
    batch.forEach((p, j) => {
      let best = 0;
      let worst = 0;
      for (let u = 1; u < K; u++) {
        if (wins[j][u] > wins[j][best]) best = u;
        if (wins[j][u] < wins[j][worst]) worst = u;
      }
      const [u, v] = best < worst ? [best, worst] : [worst, best];
      const o = best === worst ? 0.5 : (head.get(`${j}:${u}:${v}`) as number);
      if (o === 0.5) {
        ties++;
        return;
      }
      pairs.push({ prompt: p, chosen: img(j * K + best), rejected: img(j * K + worst) });
    });
    opts.onProgress?.(Math.min(s + per, prompts.length), prompts.length);
  }
  return { pairs, ties };
}

/**
 * Writes pairs as JSONL `file` {prompt, chosen, rejected} with the PNGs in
 * `<file without .jsonl>-images/` and a contact sheet `<file without .jsonl>-sheet.png`
 * (the first `sheetPairs` pairs, chosen | rejected side by side, four pairs a row).
 * Returns the sheet's path.
 */
export function writeImagePairs(
  file: string,
  pairs: PixelPair[],
  size = 28,
  sheetPairs = 64,
): string {
  const stem = file.replace(/\.jsonl$/i, "");
  const dir = `${stem}-images`;
  mkdirSync(dir, { recursive: true });
  const base = dirname(file);
  const lines: string[] = [];
  pairs.forEach((p, i) => {
    const id = String(i).padStart(5, "0");
    const c = join(dir, `${id}-chosen.png`);
    const r = join(dir, `${id}-rejected.png`);
    writeGrayPng(c, p.chosen, size, size);
    writeGrayPng(r, p.rejected, size, size);
    lines.push(
      JSON.stringify({ prompt: p.prompt, chosen: relative(base, c), rejected: relative(base, r) }),
    );
  });
  writeFileAtomic(file, `${lines.join("\n")}\n`);
  const rows = Math.min(sheetPairs, pairs.length);
  const tiles = new Float32Array(rows * 2 * size * size);
  for (let i = 0; i < rows; i++) {
    tiles.set(pairs[i].chosen, 2 * i * size * size);
    tiles.set(pairs[i].rejected, (2 * i + 1) * size * size);
  }
  const sheet = `${stem}-sheet.png`;
  if (rows > 0)
    writeImageGrid(sheet, tiles, 2 * rows, size, size, { cols: Math.min(8, 2 * rows), scale: 2 });
  return sheet;
}
