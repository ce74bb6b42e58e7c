/**
 * Training curves: every numeric metric of one or more runs' metrics.jsonl
 * drawn against the step, one small panel per metric (loss, learning rate,
 * gradient norm, DPO rewards/margins/accuracies, KL, …), each run in its own
 * colour, training values solid and held-out (`eval_*`) values dashed in the
 * same panel as their training counterpart. Runs are overlaid for comparison.
 */
import { existsSync, statSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { writeFileAtomic } from "../engine/atomic.js";
import { UserError } from "../engine/errors.js";
import { type MetricsRecord, readMetrics } from "../train/metrics.js";
import { esc, linePlot, PALETTE, type Series } from "./svg-plot.js";
import { svgToPng } from "./svg-to-png.js";

export type CurveRun = { name: string; records: MetricsRecord[] };

export type CurvePanel = {
  /** the metric's training name (held-out values are `eval_<metric>`) */
  metric: string;
  series: { run: string; eval: boolean; points: number }[];
};

export type CurvesFigure = { svg: string; panels: CurvePanel[]; runs: string[] };

export type CurvesOptions = {
  /** only these metrics (training names), in this order */
  metrics?: string[];
  /** panels per row (default 3, fewer when there are fewer panels) */
  columns?: number;
  title?: string;
};

/** Keys of a metrics line that are not metrics. */
const NOT_METRICS = new Set(["step", "time", "epoch"]);

/** Older names of the same idea, read as today's (TRL's) names. */
const ALIASES: Record<string, string> = { lr: "learning_rate" };

/** Panels a reader looks for first, in this order; the rest follow alphabetically. */
const FIRST = [
  "loss",
  "learning_rate",
  "grad_norm",
  "rewards/margins",
  "rewards/accuracies",
  "rewards/chosen",
  "rewards/rejected",
  "accuracy",
  "margin",
  "kl",
  "reward",
];

/** A metric key split into its training name and whether it is a held-out value. */
function metricName(key: string): { metric: string; eval: boolean } {
  const m = /^eval[_/](.+)$/.exec(key);
  const base = m ? m[1] : key;
  return { metric: ALIASES[base] ?? base, eval: m !== null };
}

function order(a: string, b: string): number {
  const ia = FIRST.indexOf(a);
  const ib = FIRST.indexOf(b);
  if (ia >= 0 || ib >= 0) return (ia < 0 ? FIRST.length : ia) - (ib < 0 ? FIRST.length : ib);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The figure of `runs` as one SVG document, and what it holds. */
export function curvesFigure(runs: CurveRun[], opts: CurvesOptions = {}): CurvesFigure {
  // metric → run index → {train, eval} points
  type Pts = { x: number[]; y: number[] };
  const data = new Map<string, Map<number, { train: Pts; eval: Pts }>>();
  runs.forEach((run, r) => {
    for (const rec of run.records) {
      if (typeof rec.step !== "number") continue;
      for (const [key, v] of Object.entries(rec)) {
        if (NOT_METRICS.has(key) || (typeof v !== "number" && v !== null)) continue;
        const { metric, eval: isEval } = metricName(key);
        if (!data.has(metric)) data.set(metric, new Map());
        const byRun = data.get(metric) as Map<number, { train: Pts; eval: Pts }>;
        if (!byRun.has(r)) byRun.set(r, { train: { x: [], y: [] }, eval: { x: [], y: [] } });
        const pts = byRun.get(r) as { train: Pts; eval: Pts };
        const p = isEval ? pts.eval : pts.train;
        p.x.push(rec.step);
        // null is how metrics.jsonl writes a non-finite value: a gap in the line
        p.y.push(v === null ? Number.NaN : v);
      }
    }
  });
  let metrics = [...data.keys()].sort(order);
  if (opts.metrics) {
    const missing = opts.metrics.filter((m) => !data.has(ALIASES[m] ?? m));
    if (missing.length > 0) {
      throw new UserError(
        `--metrics: ${missing.join(", ")} not in the runs' metrics.jsonl (they hold: ${metrics.join(", ")})`,
      );
    }
    metrics = opts.metrics.map((m) => ALIASES[m] ?? m);
  }
  if (metrics.length === 0) {
    throw new UserError(
      `${runs.map((r) => r.name).join(", ")}: no numeric metrics logged yet (metrics.jsonl is empty)`,
    );
  }

  const cols = Math.max(1, Math.min(opts.columns ?? 3, metrics.length));
  const rows = Math.ceil(metrics.length / cols);
  const PW = 420;
  const PH = 280;
  const head = 44 + 22 * Math.ceil(runs.length / 4);
  const W = cols * PW;
  const H = head + rows * PH;
  const color = (r: number) => PALETTE[r % PALETTE.length];
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="13">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="16" font-weight="bold">${esc(opts.title ?? "training curves")}</text>`,
  ];
  // one legend for the figure: a colour per run; solid = training, dashed = held-out
  runs.forEach((run, r) => {
    const x = 20 + (r % 4) * (W / 4);
    const y = 44 + 22 * Math.floor(r / 4);
    out.push(
      `<line x1="${x}" y1="${y}" x2="${x + 24}" y2="${y}" stroke="${color(r)}" stroke-width="3"/>`,
      `<text x="${x + 32}" y="${y}" dominant-baseline="middle">${esc(run.name)}</text>`,
    );
  });
  out.push(
    `<text x="${W - 20}" y="44" text-anchor="end" dominant-baseline="middle" fill="#555">solid: training · dashed: held-out (eval_)</text>`,
  );
  const panels: CurvePanel[] = [];
  metrics.forEach((metric, i) => {
    const series: Series[] = [];
    const info: CurvePanel["series"] = [];
    for (const [r, pts] of [...(data.get(metric) ?? new Map()).entries()].sort(
      (a, b) => a[0] - b[0],
    )) {
      for (const [isEval, p] of [
        [false, pts.train],
        [true, pts.eval],
      ] as const) {
        if (p.x.length === 0) continue;
        series.push({
          name: `${runs[r].name}${isEval ? " (eval)" : ""}`,
          x: p.x,
          y: p.y,
          color: color(r),
          dashed: isEval,
          // a held-out metric logged a few times reads better as points
          markers: p.x.length <= 30,
        });
        info.push({ run: runs[r].name, eval: isEval, points: p.x.length });
      }
    }
    const plot = linePlot({
      title: metric,
      xLabel: "step",
      width: PW,
      height: PH,
      legend: false,
      series,
    });
    const x = (i % cols) * PW;
    const y = head + Math.floor(i / cols) * PH;
    out.push(`<g class="panel" data-metric="${esc(metric)}">`);
    out.push(plot.replace(/^<svg /, `<svg x="${x}" y="${y}" `));
    out.push("</g>");
    panels.push({ metric, series: info });
  });
  out.push("</svg>");
  return { svg: out.join("\n"), panels, runs: runs.map((r) => r.name) };
}

/** The metrics.jsonl of a run directory (or the file itself). */
function metricsPath(dirOrFile: string): string {
  if (existsSync(dirOrFile) && statSync(dirOrFile).isFile()) return dirOrFile;
  const p = join(dirOrFile, "metrics.jsonl");
  if (!existsSync(p)) {
    throw new UserError(
      `${dirOrFile}: no metrics.jsonl (expected the --out directory of a training command, or a metrics.jsonl file)`,
    );
  }
  return p;
}

/**
 * Reads each run's metrics.jsonl. A run is named after its directory;
 * when two share a name, by their path relative to the working directory.
 */
export function loadRuns(dirs: string[]): CurveRun[] {
  const paths = dirs.map(metricsPath);
  const runDir = (p: string) => (basename(p) === "metrics.jsonl" ? dirname(p) : p);
  const names = paths.map((p) => basename(resolve(runDir(p))));
  return paths.map((p, i) => ({
    name:
      names.filter((n) => n === names[i]).length > 1
        ? relative(process.cwd(), resolve(runDir(p))) || "."
        : names[i],
    records: readMetrics(p),
  }));
}

/** The figure of the runs in `dirs` (each a run directory or a metrics.jsonl). */
export function runCurves(dirs: string[], opts: CurvesOptions = {}): CurvesFigure {
  return curvesFigure(loadRuns(dirs), opts);
}

/** Writes `<base>.svg` and `<base>.png` of the runs in `dirs`; returns the figure and both paths. */
export function writeCurves(
  dirs: string[],
  base: string,
  opts: CurvesOptions = {},
): CurvesFigure & { files: { svg: string; png: string } } {
  const fig = runCurves(dirs, opts);
  const files = { svg: `${base}.svg`, png: `${base}.png` };
  writeFileAtomic(files.svg, fig.svg);
  writeFileAtomic(files.png, svgToPng(fig.svg));
  return { ...fig, files };
}

/**
 * `<out>/curves.png` of a finished run (what every training command leaves
 * beside its model); null when the run logged no metrics.
 */
export function writeRunCurves(out: string): string | null {
  const p = join(out, "metrics.jsonl");
  if (!existsSync(p)) return null;
  const runs = loadRuns([out]);
  if (runs[0].records.length === 0) return null;
  const fig = curvesFigure(runs, { title: `training curves: ${runs[0].name}` });
  const png = join(out, "curves.png");
  writeFileAtomic(png, svgToPng(fig.svg));
  return png;
}
