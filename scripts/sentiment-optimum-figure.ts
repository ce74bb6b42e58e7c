/**
 * Draws docs/sentiment-optimum.png ("DPO against the exact optimum", README) from
 * docs/sentiment-optimum.json: π*'s curve under the true reward (importance-reweighted
 * reference samples on 32 held-out openings × 256) and each run's KL and mean reward on the
 * same openings × 8 policy samples, with the run each point came from (`run`). The JSON is
 * the record of those evaluations; this script only draws it. Runs of one `method` that are
 * rounds of one run are joined by a line; the others are single points.
 *   node --import tsx scripts/sentiment-optimum-figure.ts [data.json] [out.png]
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { FrontierPoint } from "../src/eval/frontier.js";
import { linePlot } from "../src/report/svg-plot.js";
import { svgToPng } from "../src/report/svg-to-png.js";

type Run = FrontierPoint & { run: string; plotted: boolean; label: string };
type Data = { reference: number; optimum: FrontierPoint[]; runs: Run[] };

const [data = "docs/sentiment-optimum.json", out = "docs/sentiment-optimum.png"] =
  process.argv.slice(2);
const d = JSON.parse(readFileSync(data, "utf8")) as Data;
const shown = d.runs.filter((r) => r.plotted);
const methods = [...new Set(shown.map((r) => r.method))];
const star = [...d.optimum].sort((a, b) => a.kl - b.kl);
const svg = linePlot({
  title: "Sentiment world: methods against the exact optimum π*",
  xLabel: "KL(π ‖ π_ref) (nats, 32 held-out openings × 8 samples)",
  yLabel: "mean AFINN reward",
  width: 1000,
  height: 640,
  series: [
    {
      name: "π* = π_ref·e^{r/β}/Z (true reward)",
      x: star.map((p) => p.kl),
      y: star.map((p) => p.reward),
      dashed: true,
      line: true,
    },
    ...methods.map((m) => {
      const ps = shown.filter((r) => r.method === m).sort((a, b) => a.kl - b.kl);
      // rounds of one run are a path; separate runs are separate points
      const path = /round|rounds/.test(m);
      return {
        name: m,
        x: ps.map((p) => p.kl),
        y: ps.map((p) => p.reward),
        markers: true,
        line: path && ps.length > 1,
        labels: ps.map((p) => p.setting),
      };
    }),
    { name: "π_ref (the bundled model)", x: [0], y: [d.reference], markers: true, line: false },
  ],
});
writeFileSync(out, svgToPng(svg, 2));
console.log(`${out}: ${shown.length} runs and π*'s curve from ${data}`);
