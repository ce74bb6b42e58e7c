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
};

/** Markdown table, one row per point, grouped by method. */
export function frontierTable(points: FrontierPoint[]): string {
  const head =
    "| method | setting | KL(π‖π_ref) | mean AFINN reward | win rate vs SFT | time (s) |";
  const rule = "| --- | --- | ---: | ---: | ---: | ---: |";
  const f = (x: number | undefined, d = 2) =>
    x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(d);
  const rows = points.map(
    (p) =>
      `| ${p.method} | ${p.setting} | ${f(p.kl)} | ${f(p.reward)}${p.rewardSE !== undefined ? ` ± ${f(p.rewardSE)}` : ""} | ${f(p.winRate)} | ${f(p.seconds, 0)} |`,
  );
  return [head, rule, ...rows].join("\n");
}

/** SVG of the frontier: one marked series per method, points joined in order of KL. */
export function frontierPlot(points: FrontierPoint[], title = "Reward–KL frontier"): string {
  const methods = [...new Set(points.map((p) => p.method))];
  return linePlot({
    title,
    xLabel: "KL(π ‖ π_ref) (nats, estimated on samples)",
    yLabel: "mean AFINN reward",
    series: methods.map((m) => {
      const ps = points.filter((p) => p.method === m).sort((a, b) => a.kl - b.kl);
      return {
        name: m,
        x: ps.map((p) => p.kl),
        y: ps.map((p) => p.reward),
        markers: true,
        line: ps.length > 1,
        labels: ps.map((p) => p.setting),
      };
    }),
  });
}
