/**
 * The PNG codec (pngjs), for images in [0, 1]: the one place every layer
 * (image-pair datasets, reports, the CLI) reads and writes PNG. Written PNGs
 * are 8-bit grayscale; read PNGs of any colour type are converted to luminance
 * (0.299 R + 0.587 G + 0.114 B), with alpha composited on black.
 */
import { readFileSync } from "node:fs";
import { PNG } from "pngjs";
import { writeFileAtomic } from "./atomic.js";
import { UserError } from "./errors.js";

/** PNG bytes of a width×height grayscale image with values in [0, 1] (clipped). */
export function encodeGrayPng(pixels: ArrayLike<number>, width: number, height: number): Buffer {
  if (pixels.length !== width * height) {
    throw new Error(`encodeGrayPng: ${pixels.length} pixels for ${width}×${height}`);
  }
  const data = Buffer.alloc(width * height);
  for (let i = 0; i < data.length; i++) {
    data[i] = Math.round(Math.min(1, Math.max(0, pixels[i])) * 255);
  }
  // pngjs wants RGBA input unless told otherwise; grayscale output via colorType 0
  const png = new PNG({ width, height, colorType: 0, inputColorType: 0, inputHasAlpha: false });
  png.data = data;
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
}

export function writeGrayPng(
  path: string,
  pixels: ArrayLike<number>,
  width: number,
  height: number,
): void {
  writeFileAtomic(path, encodeGrayPng(pixels, width, height));
}

/** Decodes PNG bytes to grayscale values in [0, 1]; `source` names the file in errors. */
export function decodeGrayPng(
  bytes: Uint8Array,
  source = "<png>",
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
    const r = data[4 * i];
    const g = data[4 * i + 1];
    const b = data[4 * i + 2];
    const a = data[4 * i + 3] / 255;
    pixels[i] = ((0.299 * r + 0.587 * g + 0.114 * b) / 255) * a;
  }
  return { pixels, width, height };
}

export function readGrayPng(path: string): { pixels: Float32Array; width: number; height: number } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UserError(`${path}: cannot read (${(e as Error).message})`);
  }
  return decodeGrayPng(bytes, path);
}
