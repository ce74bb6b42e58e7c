/**
 * Image preference pairs for Diffusion-DPO and DUO, from JSONL: one
 * {"prompt": str, "chosen": "a.png", "rejected": "b.png"} per line, PNG paths
 * relative to the JSONL file's folder (or absolute). Every image is read up
 * front and must be `size`×`size` (default 28, MNIST); colour PNGs are
 * converted to luminance (0.299 R + 0.587 G + 0.114 B, alpha over black), so
 * pixels are grayscale in [0, 1] — white strokes on black, as MNIST. Errors
 * name the JSONL file, line and field, and the image file.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { PNG } from "pngjs";
import { UserError, where } from "../engine/errors.js";
import { expectObject, readJsonl } from "./jsonl.js";

export type ImagePair = {
  prompt: string;
  /** size×size grayscale pixels in [0, 1], row-major */
  chosen: Float32Array;
  rejected: Float32Array;
  chosenPath: string;
  rejectedPath: string;
};

const ROW = '{"prompt": str, "chosen": "file.png", "rejected": "file.png"}';

/** Decodes PNG bytes to grayscale in [0, 1]; `source` names the file in errors. */
export function decodePngGray(
  bytes: Uint8Array,
  source: string,
): { pixels: Float32Array; width: number; height: number } {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    throw new UserError(`${source}: not a readable PNG (${(e as Error).message})`);
  }
  const { width, height, data } = png;
  const pixels = new Float32Array(width * height);
  for (let i = 0; i < pixels.length; i++) {
    const lum = 0.299 * data[4 * i] + 0.587 * data[4 * i + 1] + 0.114 * data[4 * i + 2];
    pixels[i] = (lum / 255) * (data[4 * i + 3] / 255);
  }
  return { pixels, width, height };
}

function readImage(path: string, at: string, size: number): Float32Array {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new UserError(`${at}: cannot read image ${path} (${code}); expected a PNG file`);
  }
  const img = decodePngGray(bytes, `${at}: ${path}`);
  if (img.width !== size || img.height !== size) {
    throw new UserError(
      `${at}: ${path} is ${img.width}×${img.height}, expected a ${size}×${size} grayscale PNG`,
    );
  }
  return img.pixels;
}

/**
 * Validates one parsed row (1-based `line`) and reads its two images;
 * `base` is the folder relative paths start from.
 */
export function imagePairFromRow(
  row: unknown,
  file: string,
  line: number,
  base: string,
  size = 28,
): ImagePair {
  const o = expectObject(row, file, line, ROW);
  for (const f of ["prompt", "chosen", "rejected"]) {
    if (!(f in o)) throw new UserError(`${where(file, line, f)}: missing; expected ${ROW}`);
  }
  if (typeof o.prompt !== "string") {
    throw new UserError(
      `${where(file, line, "prompt")}: expected a string, got ${JSON.stringify(o.prompt)}`,
    );
  }
  const paths: Record<string, string> = {};
  for (const f of ["chosen", "rejected"]) {
    const v = o[f];
    if (typeof v !== "string" || v === "") {
      throw new UserError(
        `${where(file, line, f)}: expected a PNG path (string), got ${JSON.stringify(v)}`,
      );
    }
    paths[f] = isAbsolute(v) ? v : resolve(base, v);
  }
  if (paths.chosen === paths.rejected) {
    throw new UserError(
      `${where(file, line, "rejected")}: same image as "chosen"; a preference pair needs two different images`,
    );
  }
  return {
    prompt: o.prompt,
    chosen: readImage(paths.chosen, where(file, line, "chosen"), size),
    rejected: readImage(paths.rejected, where(file, line, "rejected"), size),
    chosenPath: paths.chosen,
    rejectedPath: paths.rejected,
  };
}

/** Reads an image-pair JSONL file and every image it names (see the module doc). */
export function loadImagePairs(path: string, opts: { size?: number } = {}): ImagePair[] {
  const base = dirname(resolve(path));
  return readJsonl(path, `${ROW} per line`).map(({ value, line }) =>
    imagePairFromRow(value, path, line, base, opts.size ?? 28),
  );
}
