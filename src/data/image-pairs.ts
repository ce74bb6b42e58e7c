/**
 * Image preference pairs for Diffusion-DPO and DUO, from JSONL, one pair per
 * line in either form (PNG paths relative to the JSONL file's folder, or absolute):
 * - {"prompt": str, "chosen": "a.png", "rejected": "b.png"};
 * - Pick-a-Pic rows {"caption": str, "image_0": "a.png", "image_1": "b.png",
 *   "label_0": 1 | 0 | 0.5}: label_0 = 1 prefers image_0, 0 prefers image_1,
 *   0.5 is a tie and the row is dropped (as the Diffusion-DPO paper does).
 * Every image is read up front and must be `size`×`size` (default 28, MNIST);
 * colour PNGs are converted to luminance (0.299 R + 0.587 G + 0.114 B, alpha
 * over black), so pixels are grayscale in [0, 1] — white strokes on black, as
 * MNIST. Errors name the JSONL file, line and field, and the image file.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { UserError, where } from "../engine/errors.js";
import { decodeGrayPng } from "../engine/png.js";
import { expectObject, readJsonl } from "./jsonl.js";

export type ImagePair = {
  prompt: string;
  /** size×size grayscale pixels in [0, 1], row-major */
  chosen: Float32Array;
  rejected: Float32Array;
  chosenPath: string;
  rejectedPath: string;
};

/** A pair in memory, without file paths: pixels size² in [0, 1] (what the image-pair trainers take). */
export type PixelPair = Pick<ImagePair, "prompt" | "chosen" | "rejected">;

const ROW = '{"prompt": str, "chosen": "file.png", "rejected": "file.png"}';

function readImage(path: string, at: string, size: number): Float32Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new UserError(`${at}: cannot read image ${path} (${code}); expected a PNG file`);
  }
  const img = decodeGrayPng(bytes, `${at}: ${path}`);
  if (img.width !== size || img.height !== size) {
    throw new UserError(
      `${at}: ${path} is ${img.width}×${img.height}, expected a ${size}×${size} grayscale PNG`,
    );
  }
  return img.pixels;
}

/** The row's own names of prompt/chosen/rejected, for errors on a mapped Pick-a-Pic row. */
const FIELD_NAMES = Symbol("fieldNames");

const PICK_ROW =
  '{"caption": str, "image_0": "file.png", "image_1": "file.png", "label_0": 1 | 0 | 0.5}';

/** A Pick-a-Pic row as {prompt, chosen, rejected} paths, or null for a tie (label_0 = 0.5). */
function pickAPicRow(
  o: Record<string, unknown>,
  file: string,
  line: number,
): Record<string, unknown> | null {
  for (const f of ["caption", "image_0", "image_1", "label_0"]) {
    if (!(f in o)) throw new UserError(`${where(file, line, f)}: missing; expected ${PICK_ROW}`);
  }
  const label = o.label_0;
  if (label !== 0 && label !== 1 && label !== 0.5) {
    throw new UserError(
      `${where(file, line, "label_0")}: expected 1 (image_0 preferred), 0 (image_1) or 0.5 (tie), got ${JSON.stringify(label)}`,
    );
  }
  if (label === 0.5) return null;
  const [c, r] = label === 1 ? ["image_0", "image_1"] : ["image_1", "image_0"];
  return {
    prompt: o.caption,
    chosen: o[c],
    rejected: o[r],
    [FIELD_NAMES]: { prompt: "caption", chosen: c, rejected: r },
  };
}

/**
 * Validates one parsed row (1-based `line`) and reads its two images;
 * `base` is the folder relative paths start from. Returns null for a
 * Pick-a-Pic tie (dropped). A Pick-a-Pic row's errors name the
 * Pick-a-Pic fields (caption, image_0, image_1).
 */
export function imagePairFromRow(
  row: unknown,
  file: string,
  line: number,
  base: string,
  size = 28,
): ImagePair | null {
  let o = expectObject(row, file, line, ROW);
  if ("caption" in o || "label_0" in o) {
    const p = pickAPicRow(o, file, line);
    if (p === null) return null;
    o = p;
  }
  const names = (o as { [FIELD_NAMES]?: Record<string, string> })[FIELD_NAMES];
  const field = (f: string) => where(file, line, names?.[f] ?? f);
  for (const f of ["prompt", "chosen", "rejected"]) {
    if (!(f in o)) throw new UserError(`${where(file, line, f)}: missing; expected ${ROW}`);
  }
  if (typeof o.prompt !== "string") {
    throw new UserError(`${field("prompt")}: expected a string, got ${JSON.stringify(o.prompt)}`);
  }
  const paths: Record<string, string> = {};
  for (const f of ["chosen", "rejected"]) {
    const v = o[f];
    if (typeof v !== "string" || v === "") {
      throw new UserError(`${field(f)}: expected a PNG path (string), got ${JSON.stringify(v)}`);
    }
    paths[f] = isAbsolute(v) ? v : resolve(base, v);
  }
  if (paths.chosen === paths.rejected) {
    throw new UserError(
      `${field("rejected")}: same image as "${names?.chosen ?? "chosen"}"; a preference pair needs two different images`,
    );
  }
  return {
    prompt: o.prompt,
    chosen: readImage(paths.chosen, field("chosen"), size),
    rejected: readImage(paths.rejected, field("rejected"), size),
    chosenPath: paths.chosen,
    rejectedPath: paths.rejected,
  };
}

/** Reads an image-pair JSONL file and every image it names; `ties` counts dropped Pick-a-Pic ties. */
export function readImagePairs(
  path: string,
  opts: { size?: number } = {},
): { pairs: ImagePair[]; ties: number } {
  const base = dirname(resolve(path));
  const pairs: ImagePair[] = [];
  let ties = 0;
  for (const { value, line } of readJsonl(path, `${ROW} or ${PICK_ROW} per line`)) {
    const p = imagePairFromRow(value, path, line, base, opts.size ?? 28);
    if (p) pairs.push(p);
    else ties++;
  }
  return { pairs, ties };
}

/** Reads an image-pair JSONL file and every image it names (see the module doc). */
export function loadImagePairs(path: string, opts: { size?: number } = {}): ImagePair[] {
  return readImagePairs(path, opts).pairs;
}
