/**
 * The lecture's slide-10 figure: how the KL-regularised optimum reweights the
 * reference, π*(x) ∝ π_ref(x)·exp(r(x)/β). With π_ref = N(0, 1) and the reward
 * shaped as the N(2, 1) density, a small β moves the mass toward x = 2. The
 * continuous densities are discretised on a fine grid and π* is computed by
 * `klOptimum`, the same code that serves discrete models.
 */
import { numpy as np } from "../engine/jax.js";
import { klOptimum } from "../objectives/optimum.js";
import { linePlot } from "./svg-plot.js";

export type ReweightOptions = {
  beta: number;
  refMean?: number;
  refStd?: number;
  rewardMean?: number;
  rewardStd?: number;
  points?: number;
};

export type ReweightFigure = {
  x: number[];
  refDensity: number[];
  weight: number[];
  optimumDensity: number[];
  /** mean of π* (the reference mean is refMean) */
  optimumMean: number;
  svg: string;
};

const normalPdf = (x: number, mu: number, sd: number) =>
  Math.exp(-0.5 * ((x - mu) / sd) ** 2) / (sd * Math.sqrt(2 * Math.PI));

export async function reweightFigure(opts: ReweightOptions): Promise<ReweightFigure> {
  const { beta, refMean = 0, refStd = 1, rewardMean = 2, rewardStd = 1, points = 601 } = opts;
  const lo = Math.min(refMean - 4 * refStd, rewardMean - 4 * rewardStd);
  const hi = Math.max(refMean + 4 * refStd, rewardMean + 4 * rewardStd);
  const dx = (hi - lo) / (points - 1);
  const x = Array.from({ length: points }, (_, i) => lo + i * dx);
  const refDensity = x.map((v) => normalPdf(v, refMean, refStd));
  const reward = x.map((v) => normalPdf(v, rewardMean, rewardStd));
  const weight = reward.map((r) => Math.exp(r / beta));
  const refMass = np.array(new Float32Array(refDensity.map((d) => d * dx)));
  const probs = klOptimum(refMass, np.array(new Float32Array(reward)), beta);
  const optimumDensity = Array.from(await probs.data(), (p) => p / dx);
  const optimumMean = optimumDensity.reduce((s, d, i) => s + d * x[i] * dx, 0);
  const svg = linePlot({
    title: `π*(x) ∝ π_ref(x)·exp(r(x)/β),  β = ${beta}`,
    xLabel: "x",
    yLabel: "density",
    yRightLabel: "weight exp(r(x)/β)",
    series: [
      { name: `π_ref = N(${refMean}, ${refStd})`, x, y: refDensity, color: "#1f77b4" },
      { name: "weight exp(r/β)", x, y: weight, color: "#7f7f7f", right: true, dashed: true },
      { name: "π* (normalised)", x, y: optimumDensity, color: "#d62728" },
    ],
  });
  return { x, refDensity, weight, optimumDensity, optimumMean, svg };
}
