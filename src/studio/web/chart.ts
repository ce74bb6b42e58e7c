/**
 * A line chart of one metric against the step, drawn as SVG elements (no
 * markup strings): nice-rounded axis ticks, the curve, the last value.
 */
import { h } from "preact";

/** About `count` round tick values covering [lo, hi] (steps of 1, 2 or 5 × 10^k). */
export function ticks(lo: number, hi: number, count = 4): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    out.push(+v.toPrecision(12));
  return out;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(1) : String(+v.toPrecision(4));
}

export function LineChart(props: { title: string; points: [number, number][] }) {
  const W = 320;
  const H = 180;
  const L = 52;
  const B = 28;
  const T = 24;
  const R = 12;
  const pts = props.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  if (pts.length === 0) return null;
  let [x0, x1] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[1]))];
  if (x1 === x0) x1 = x0 + 1;
  if (y1 === y0) {
    y0 -= Math.abs(y0) * 0.1 || 1;
    y1 += Math.abs(y1) * 0.1 || 1;
  }
  const sx = (x: number) => L + ((x - x0) / (x1 - x0)) * (W - L - R);
  const sy = (y: number) => H - B - ((y - y0) / (y1 - y0)) * (H - B - T);
  const d = pts
    .map(([x, y], i) => `${i ? "L" : "M"}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
    .join("");
  const last = pts[pts.length - 1];
  return h(
    "svg",
    {
      class: "chart",
      viewBox: `0 0 ${W} ${H}`,
      width: W,
      height: H,
      role: "img",
      "aria-label": props.title,
    },
    h("text", { x: L, y: 14, class: "title" }, `${props.title}  (last ${fmt(last[1])})`),
    ticks(y0, y1).map((v) =>
      h(
        "g",
        null,
        h("line", { x1: L, x2: W - R, y1: sy(v), y2: sy(v), class: "grid" }),
        h("text", { x: L - 4, y: sy(v) + 4, class: "tick", "text-anchor": "end" }, fmt(v)),
      ),
    ),
    ticks(x0, x1).map((v) =>
      h("text", { x: sx(v), y: H - B + 14, class: "tick", "text-anchor": "middle" }, fmt(v)),
    ),
    h("text", { x: W - R, y: H - 2, class: "tick", "text-anchor": "end" }, "step"),
    h("path", { d, class: "line" }),
    pts.length < 40
      ? pts.map(([x, y]) => h("circle", { cx: sx(x), cy: sy(y), r: 2, class: "dot" }))
      : null,
  );
}

/** Charts of every numeric metric in `rows` (against "step"), in first-seen order. */
export function MetricCharts(props: { rows: Record<string, unknown>[]; skip?: string[] }) {
  const skip = new Set(["step", "time", "epoch", ...(props.skip ?? [])]);
  const keys: string[] = [];
  for (const r of props.rows)
    for (const [k, v] of Object.entries(r))
      if (!skip.has(k) && typeof v === "number" && !keys.includes(k)) keys.push(k);
  return h(
    "div",
    { class: "charts" },
    keys.map((k) =>
      h(LineChart, {
        title: k,
        points: props.rows
          .filter((r) => typeof r[k] === "number" && typeof r.step === "number")
          .map((r): [number, number] => [r.step as number, r[k] as number]),
      }),
    ),
  );
}
