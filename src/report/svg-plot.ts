/**
 * Line and scatter plots as standalone SVG: axes with "nice" ticks, a legend,
 * an optional right-hand axis for a series on another scale. No DOM, no
 * dependencies, so it runs in Node and in the browser alike.
 */

export type Series = {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color?: string;
  /** draw against the right-hand axis */
  right?: boolean;
  dashed?: boolean;
  /** draw points (scatter) instead of / as well as a line */
  markers?: boolean;
  line?: boolean;
  /** per-point labels drawn next to markers */
  labels?: string[];
};

export type PlotOptions = {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  yRightLabel?: string;
  width?: number;
  height?: number;
  /** draw the legend (default true; off when a figure draws one legend for many plots) */
  legend?: boolean;
  series: Series[];
};

export const PALETTE = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#ff7f0e",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#17becf",
];

/** Tick values covering [lo, hi] at a 1-2-5 step, about `n` of them. */
export function niceTicks(lo: number, hi: number, n = 6): number[] {
  if (!(hi > lo)) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    return niceTicks(lo - pad, hi + pad, n);
  }
  const raw = (hi - lo) / Math.max(1, n - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const start = Math.floor(lo / step) * step;
  const ticks: number[] = [];
  for (let v = start; ; v += step) {
    // a tick that should be 0 comes out as ±1e-17 from the running sum
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : Number(v.toPrecision(12)));
    if (v >= hi - step * 1e-9) break;
  }
  return ticks;
}

function fmt(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e4 || a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(4)));
}

/** Escapes text for SVG. */
export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function extent(series: Series[], key: "x" | "y"): [number, number] {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const s of series) {
    for (let i = 0; i < s[key].length; i++) {
      const v = s[key][i];
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  }
  return Number.isFinite(lo) ? [lo, hi] : [0, 1];
}

/** Renders the plot as an SVG document string. */
export function linePlot(opts: PlotOptions): string {
  const W = opts.width ?? 720;
  const H = opts.height ?? 440;
  const left = opts.series.filter((s) => !s.right);
  const right = opts.series.filter((s) => s.right);
  const m = { l: 70, r: right.length > 0 ? 70 : 24, t: opts.title ? 52 : 20, b: 56 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const xt = niceTicks(...extent(opts.series, "x"));
  const ylt = niceTicks(...extent(left.length ? left : opts.series, "y"));
  const yrt = right.length ? niceTicks(...extent(right, "y")) : [];
  const sx = (v: number) => m.l + ((v - xt[0]) / (xt[xt.length - 1] - xt[0])) * pw;
  const sy = (t: number[]) => (v: number) =>
    m.t + ph - ((v - t[0]) / (t[t.length - 1] - t[0])) * ph;
  const syl = sy(ylt);
  const syr = yrt.length ? sy(yrt) : syl;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="13">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
  );
  if (opts.title) {
    out.push(
      `<text x="${W / 2}" y="26" text-anchor="middle" font-size="16" font-weight="bold">${esc(opts.title)}</text>`,
    );
  }
  // grid and ticks
  for (const v of xt) {
    const x = sx(v).toFixed(1);
    out.push(`<line x1="${x}" y1="${m.t}" x2="${x}" y2="${m.t + ph}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${x}" y="${m.t + ph + 18}" text-anchor="middle">${fmt(v)}</text>`);
  }
  for (const v of ylt) {
    const y = syl(v).toFixed(1);
    out.push(`<line x1="${m.l}" y1="${y}" x2="${m.l + pw}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(
      `<text x="${m.l - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${fmt(v)}</text>`,
    );
  }
  for (const v of yrt) {
    const y = syr(v).toFixed(1);
    out.push(`<text x="${m.l + pw + 8}" y="${y}" dominant-baseline="middle">${fmt(v)}</text>`);
  }
  out.push(`<rect x="${m.l}" y="${m.t}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  if (opts.xLabel)
    out.push(
      `<text x="${m.l + pw / 2}" y="${H - 14}" text-anchor="middle">${esc(opts.xLabel)}</text>`,
    );
  if (opts.yLabel) {
    out.push(
      `<text transform="translate(18 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`,
    );
  }
  if (opts.yRightLabel && right.length) {
    out.push(
      `<text transform="translate(${W - 14} ${m.t + ph / 2}) rotate(90)" text-anchor="middle">${esc(opts.yRightLabel)}</text>`,
    );
  }
  // series
  opts.series.forEach((s, k) => {
    const color = s.color ?? PALETTE[k % PALETTE.length];
    const fy = s.right ? syr : syl;
    const pts: string[] = [];
    for (let i = 0; i < s.x.length; i++) {
      if (Number.isFinite(s.x[i]) && Number.isFinite(s.y[i]))
        pts.push(`${sx(s.x[i]).toFixed(2)},${fy(s.y[i]).toFixed(2)}`);
    }
    if (s.line !== false && pts.length > 1) {
      out.push(
        `<polyline points="${pts.join(" ")}" fill="none" stroke="${color}" stroke-width="2.2"${s.dashed ? ' stroke-dasharray="7 5"' : ""}/>`,
      );
    }
    if (s.markers) {
      for (let i = 0; i < s.x.length; i++) {
        if (!Number.isFinite(s.x[i]) || !Number.isFinite(s.y[i])) continue;
        const cx = sx(s.x[i]).toFixed(2);
        const cy = fy(s.y[i]).toFixed(2);
        out.push(`<circle cx="${cx}" cy="${cy}" r="4" fill="${color}"/>`);
        if (s.labels?.[i])
          out.push(
            `<text x="${cx}" y="${cy}" dx="6" dy="-6" font-size="11" fill="${color}">${esc(s.labels[i])}</text>`,
          );
      }
    }
  });
  // legend
  if (opts.legend !== false)
    opts.series.forEach((s, k) => {
      const color = s.color ?? PALETTE[k % PALETTE.length];
      const y = m.t + 16 + k * 20;
      const x = m.l + 12;
      out.push(
        `<line x1="${x}" y1="${y}" x2="${x + 24}" y2="${y}" stroke="${color}" stroke-width="3"${s.dashed ? ' stroke-dasharray="7 5"' : ""}/>`,
      );
      out.push(
        `<text x="${x + 32}" y="${y}" dominant-baseline="middle">${esc(s.name)}${s.right ? " (right axis)" : ""}</text>`,
      );
    });
  out.push("</svg>");
  return out.join("\n");
}
