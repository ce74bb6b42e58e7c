import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { decodeGrayPng } from "../src/engine/png.js";
import { curvesFigure, runCurves, writeCurves, writeRunCurves } from "../src/report/curves.js";
import { PALETTE } from "../src/report/svg-plot.js";

const dir = mkdtempSync(join(tmpdir(), "prefopt-curves-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A DPO-like run: training lines every step, held-out lines every 5 steps. */
function writeRun(name: string, lines: object[]): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, "metrics.jsonl"), lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
  return d;
}

const dpoLines: object[] = [];
for (let s = 1; s <= 20; s++) {
  dpoLines.push({
    step: s,
    time: 1000 + s,
    epoch: s / 10,
    loss: 0.7 - 0.02 * s,
    learning_rate: 1e-4,
    grad_norm: 3 / s,
    "rewards/margins": 0.05 * s,
    "rewards/accuracies": Math.min(1, 0.5 + 0.03 * s),
    kl: 0.01 * s,
  });
  if (s % 5 === 0) dpoLines.push({ step: s, time: 1000 + s, eval_loss: 0.72 - 0.01 * s });
}
// an older run: `lr` and `eval/loss` are read as learning_rate and eval_loss; null is a non-finite value
const oldLines: object[] = [
  { step: 1, time: 1, loss: 0.9, lr: 0 },
  { step: 2, time: 2, loss: null, lr: 5e-5 },
  { step: 3, time: 3, loss: 0.8, lr: 1e-4 },
  { step: 3, time: 3, "eval/loss": 0.85 },
];

/** Each panel's SVG fragment, by metric. */
function panels(svg: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of svg.matchAll(/<g class="panel" data-metric="([^"]+)">([\s\S]*?)<\/g>/g))
    out.set(m[1], m[2]);
  return out;
}

/** The polylines of a fragment: stroke colour, dashed or not, and points. */
function polylines(frag: string): { color: string; dashed: boolean; pts: number[][] }[] {
  return [
    ...frag.matchAll(/<polyline points="([^"]*)" fill="none" stroke="([^"]+)"([^>]*)\/>/g),
  ].map((m) => ({
    color: m[2],
    dashed: m[3].includes("stroke-dasharray"),
    pts: m[1].split(" ").map((p) => p.split(",").map(Number)),
  }));
}

describe("training curves", () => {
  it("one panel per metric, each run's training (solid) and held-out (dashed) series in it", () => {
    const a = writeRun("dpo-beta0.1", dpoLines);
    const b = writeRun("old-run", oldLines);
    const fig = runCurves([a, b]);
    assert.deepEqual(fig.runs, ["dpo-beta0.1", "old-run"]);
    const metrics = fig.panels.map((p) => p.metric);
    // the reader's order first, then the rest; epoch/time/step are not metrics
    assert.deepEqual(metrics, [
      "loss",
      "learning_rate",
      "grad_norm",
      "rewards/margins",
      "rewards/accuracies",
      "kl",
    ]);
    const byMetric = panels(fig.svg);
    assert.deepEqual([...byMetric.keys()], metrics);
    for (const [metric, frag] of byMetric) {
      assert.ok(frag.includes(`>${metric}</text>`), `panel ${metric} has its title`);
    }
    // loss: both runs, training and held-out
    const loss = fig.panels[0];
    assert.deepEqual(loss.series, [
      { run: "dpo-beta0.1", eval: false, points: 20 },
      { run: "dpo-beta0.1", eval: true, points: 4 },
      { run: "old-run", eval: false, points: 3 },
      { run: "old-run", eval: true, points: 1 },
    ]);
    const lines = polylines(byMetric.get("loss") as string);
    const train = lines.filter((l) => !l.dashed && l.color === PALETTE[0]);
    const held = lines.filter((l) => l.dashed && l.color === PALETTE[0]);
    assert.equal(train.length, 1);
    assert.equal(train[0].pts.length, 20);
    assert.equal(held[0].pts.length, 4);
    // a falling loss is drawn falling (SVG y grows downwards), steps left to right
    for (let i = 1; i < 20; i++) {
      assert.ok(train[0].pts[i][0] > train[0].pts[i - 1][0]);
      assert.ok(train[0].pts[i][1] > train[0].pts[i - 1][1]);
    }
    // the old run's null loss is left out of its line, not drawn as 0
    const old = lines.filter((l) => !l.dashed && l.color === PALETTE[1]);
    assert.equal(old[0].pts.length, 2);
    // learning rate: the old run's `lr` joins the same panel
    assert.deepEqual(
      fig.panels[1].series.map((s) => s.run),
      ["dpo-beta0.1", "old-run"],
    );
    // run-only metrics have only that run's series
    assert.deepEqual(
      fig.panels.find((p) => p.metric === "kl")?.series.map((s) => s.run),
      ["dpo-beta0.1"],
    );
    // the figure's legend names each run
    for (const r of fig.runs) assert.ok(fig.svg.includes(`>${r}</text>`));
  });

  it("--metrics picks panels; an unknown metric is a user error listing what there is", () => {
    const fig = curvesFigure([{ name: "r", records: dpoLines as never }], {
      metrics: ["kl", "lr"],
    });
    assert.deepEqual(
      fig.panels.map((p) => p.metric),
      ["kl", "learning_rate"],
    );
    assert.throws(
      () => curvesFigure([{ name: "r", records: dpoLines as never }], { metrics: ["kll"] }),
      /kll not in the runs' metrics\.jsonl \(they hold: loss, learning_rate/,
    );
    assert.throws(() => runCurves([join(dir, "nowhere")]), /no metrics\.jsonl/);
  });

  it("writes SVG and PNG; a finished run gets curves.png beside its model", () => {
    const a = join(dir, "dpo-beta0.1");
    const w = writeCurves([a], join(dir, "fig"));
    const png = decodeGrayPng(readFileSync(w.files.png), w.files.png);
    const [, W, H] = /width="(\d+)" height="(\d+)"/.exec(w.svg) ?? [];
    assert.equal(png.width, Number(W));
    assert.equal(png.height, Number(H));
    // not blank: dark text and lines on white
    assert.ok(png.pixels.some((v) => v < 0.3));
    assert.equal(writeRunCurves(a), join(a, "curves.png"));
    assert.equal(writeRunCurves(join(dir, "empty")), null);
  });
});
