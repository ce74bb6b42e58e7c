/**
 * Measured stroke properties of a 28×28 white-on-black digit image, the
 * detectors of the image world (DESIGN §2):
 * - thickness ≈ 2·ink / perimeter, where ink = Σ I and the perimeter is the
 *   total variation Σ √(∂x I² + ∂y I²): a stroke of width w and length L has
 *   area wL and perimeter ≈ 2L.
 * - slant = −cov(x, y) / var(y) over ink-weighted pixel coordinates (y grows
 *   downward): the horizontal shift per row going up; > 0 leans right.
 * Both are bucketed into three classes by thresholds calibrated on real
 * MNIST (the tertiles, see `calibrateMeasures`).
 */
import { IMAGE_SIZE } from "../../data/mnist.js";

export type ThicknessClass = "thin" | "medium" | "thick";
export type SlantClass = "left" | "upright" | "right";

/** Tertiles of thickness and slant over all 10 000 MNIST images (`calibrateMeasures(loadMnist())`). */
export const CALIBRATION = {
  thickness: [2.134, 2.636] as [number, number],
  slant: [0.00615, 0.2464] as [number, number],
};

/** Stroke thickness in pixels: 2·Σ I / Σ |∇I| (forward differences, zero outside). */
export function strokeThickness(img: ArrayLike<number>): number {
  const S = IMAGE_SIZE;
  let ink = 0;
  let tv = 0;
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const v = img[y * S + x];
      ink += v;
      const r = x + 1 < S ? img[y * S + x + 1] : 0;
      const d = y + 1 < S ? img[(y + 1) * S + x] : 0;
      tv += Math.hypot(r - v, d - v);
    }
  }
  return tv > 1e-6 ? (2 * ink) / tv : 0;
}

/** Slant: −cov(x, y)/var(y) of the ink distribution; positive leans right. */
export function strokeSlant(img: ArrayLike<number>): number {
  const S = IMAGE_SIZE;
  let m = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const v = Math.max(0, img[y * S + x]);
      m += v;
      mx += v * x;
      my += v * y;
    }
  }
  if (m < 1e-6) return 0;
  mx /= m;
  my /= m;
  let cxy = 0;
  let cyy = 0;
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const v = Math.max(0, img[y * S + x]);
      cxy += v * (x - mx) * (y - my);
      cyy += v * (y - my) * (y - my);
    }
  }
  return cyy > 1e-6 ? -cxy / cyy : 0;
}

export function thicknessClass(t: number, cal = CALIBRATION): ThicknessClass {
  return t < cal.thickness[0] ? "thin" : t > cal.thickness[1] ? "thick" : "medium";
}

export function slantClass(s: number, cal = CALIBRATION): SlantClass {
  return s < cal.slant[0] ? "left" : s > cal.slant[1] ? "right" : "upright";
}

/** Measured properties of one image. */
export function measureDigit(img: ArrayLike<number>): {
  thickness: number;
  slant: number;
  thicknessClass: ThicknessClass;
  slantClass: SlantClass;
} {
  const thickness = strokeThickness(img);
  const slant = strokeSlant(img);
  return {
    thickness,
    slant,
    thicknessClass: thicknessClass(thickness),
    slantClass: slantClass(slant),
  };
}

function quantile(sorted: number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** Tertile thresholds of thickness and slant over a set of images (n × 784 pixels). */
export function calibrateMeasures(pixels: Float32Array, n: number): typeof CALIBRATION {
  const P = IMAGE_SIZE * IMAGE_SIZE;
  const ts: number[] = [];
  const ss: number[] = [];
  for (let i = 0; i < n; i++) {
    const img = pixels.subarray(i * P, (i + 1) * P);
    ts.push(strokeThickness(img));
    ss.push(strokeSlant(img));
  }
  ts.sort((a, b) => a - b);
  ss.sort((a, b) => a - b);
  return {
    thickness: [quantile(ts, 1 / 3), quantile(ts, 2 / 3)],
    slant: [quantile(ss, 1 / 3), quantile(ss, 2 / 3)],
  };
}
