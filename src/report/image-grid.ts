/**
 * Image grids: n equally sized grayscale tiles laid out row-major in a grid
 * of `cols` columns, separated by a `pad`-pixel border (value `border`),
 * optionally upscaled by an integer factor (nearest neighbour) for viewing.
 */
import { writeGrayPng } from "../engine/png.js";

export type GridOptions = { cols?: number; pad?: number; border?: number; scale?: number };

/** Tiles (n × h·w values, row-major) → one image {pixels, width, height}. */
export function imageGrid(
  tiles: ArrayLike<number>,
  n: number,
  h: number,
  w: number,
  opts: GridOptions = {},
): { pixels: Float32Array; width: number; height: number } {
  const cols = Math.max(1, Math.min(opts.cols ?? Math.ceil(Math.sqrt(n)), n));
  const rows = Math.ceil(n / cols);
  const pad = opts.pad ?? 2;
  const s = Math.max(1, Math.floor(opts.scale ?? 1));
  const width = (cols * (w + pad) + pad) * s;
  const height = (rows * (h + pad) + pad) * s;
  const pixels = new Float32Array(width * height).fill(opts.border ?? 0.5);
  for (let k = 0; k < n; k++) {
    const r = Math.floor(k / cols);
    const c = k % cols;
    const y0 = pad + r * (h + pad);
    const x0 = pad + c * (w + pad);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const v = tiles[k * h * w + y * w + x];
        for (let dy = 0; dy < s; dy++) {
          for (let dx = 0; dx < s; dx++)
            pixels[((y0 + y) * s + dy) * width + (x0 + x) * s + dx] = v;
        }
      }
    }
  }
  return { pixels, width, height };
}

/** Writes a grid PNG. */
export function writeImageGrid(
  path: string,
  tiles: ArrayLike<number>,
  n: number,
  h: number,
  w: number,
  opts: GridOptions = {},
): void {
  const g = imageGrid(tiles, n, h, w, opts);
  writeGrayPng(path, g.pixels, g.width, g.height);
}
