/**
 * The reward–KL frontier (the DPO paper's Figure 2): each trained policy is a
 * point (KL(π ‖ π_ref), E[r]); a method traces a curve as its KL knob (β for
 * DPO, the KL coefficient for RLHF, N for best-of-N) moves. Drawn as an SVG
 * scatter-with-lines plot and printed as a Markdown table.
 */
import { linePlot } from "../report/svg-plot.js";

export type FrontierPoint = {
  method: string;
  /** the knob, e.g. "β=0.1" */
  setting: string;
  kl: number;
  reward: number;
  rewardSE?: number;
  winRate?: number;
  seconds?: number;
  /**
   * reward gain over π_ref ÷ π*'s gain at the same KL (src/eval/optimum-frontier.ts), with a 95%
   * interval; beyond the π* estimate's KL only `efficiencyHi` is set, an upper bound
   */
  efficiency?: number;
  efficiencyLo?: number;
  efficiencyHi?: number;
};

/** The method name of the exact optimum's curve: drawn dashed, without markers. */
export const OPTIMUM_METHOD = "π* (true reward)";

/** Markdown table, one row per point, grouped by method. */
export function frontierTable(points: FrontierPoint[]): string {
  const eff = points.some((p) => p.efficiency !== undefined);
  const head = `| method | setting | KL(π‖π_ref) | mean AFINN reward | win rate vs SFT | time (s) |${eff ? " efficiency vs π* (95% CI) |" : ""}`;
  const rule = `| --- | --- | ---: | ---: | ---: | ---: |${eff ? " ---: |" : ""}`;
  const e = (p: FrontierPoint) =>
    !eff
      ? ""
      : p.efficiency === undefined || !Number.isFinite(p.efficiency)
        ? p.efficiencyHi !== undefined && Number.isFinite(p.efficiencyHi)
          ? ` ≤ ${p.efficiencyHi.toFixed(2)} (KL beyond the π* estimate) |`
          : " – |"
        : ` ${p.efficiency.toFixed(2)}${p.efficiencyLo !== undefined && Number.isFinite(p.efficiencyLo) ? ` (${p.efficiencyLo.toFixed(2)}–${(p.efficiencyHi ?? Number.NaN).toFixed(2)})` : ""} |`;
  const f = (x: number | undefined, d = 2) =>
    x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(d);
  const rows = points.map(
    (p) =>
      `| ${p.method} | ${p.setting} | ${f(p.kl)} | ${f(p.reward)}${p.rewardSE !== undefined ? ` ± ${f(p.rewardSE)}` : ""} | ${f(p.winRate)} | ${f(p.seconds, 0)} |${e(p)}`,
  );
  return [head, rule, ...rows].join("\n");
}

/**
 * SVG of the frontier: one marked series per method, points joined in order of KL.
 * With π*'s curve among the points, a point past twice its largest KL is left
 * off the axes (one run at KL 44 would squash every other) and named in its
 * method's legend entry instead.
 */
export function frontierPlot(points: FrontierPoint[], title = "Reward–KL frontier"): string {
  const methods = [...new Set(points.map((p) => p.method))];
  const star = points.filter((p) => p.method === OPTIMUM_METHOD).map((p) => p.kl);
  const cap = star.length ? 2 * Math.max(...star) : Number.POSITIVE_INFINITY;
  return linePlot({
    title,
    xLabel: "KL(π ‖ π_ref) (nats, estimated on samples)",
    yLabel: "mean AFINN reward",
    series: methods.map((m) => {
      const all = points.filter((p) => p.method === m).sort((a, b) => a.kl - b.kl);
      const ps = all.filter((p) => p.kl <= cap);
      const off = all.filter((p) => p.kl > cap);
      const optimum = m === OPTIMUM_METHOD;
      return {
        name: off.length
          ? `${m} (off the plot: ${off.map((p) => `${p.setting} at KL ${p.kl.toFixed(1)}`).join(", ")})`
          : m,
        x: ps.map((p) => p.kl),
        y: ps.map((p) => p.reward),
        markers: !optimum,
        line: optimum || ps.length > 1,
        dashed: optimum,
        labels: optimum ? undefined : ps.map((p) => p.setting),
      };
    }),
  });
}
