/** `prefopt viz …`: figures a person would rather look at (the lecture's, and training curves). */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Command } from "commander";
import { parseCount, parseNumber, parsePositive } from "../options.js";

export function registerViz(program: Command): void {
  const viz = program.command("viz").description("Draw the lecture's figures as SVG and PNG");
  viz
    .command("reweight")
    .description(
      "The KL-optimum as a reweighting of the reference (lecture slide 10): π_ref = N(0,1), " +
        "reward shaped as the N(2,1) density, π* ∝ π_ref·exp(r/β).",
    )
    .option("--beta <number>", "KL coefficient β", parsePositive, 0.1)
    .option("--reward-mean <number>", "centre of the reward bump", parseNumber, 2)
    .option("--out <path>", "output path without extension (writes .svg and .png)", "reweight")
    .action(async (opts) => {
      const { initEngine } = await import("../../engine/init.js");
      const { reweightFigure } = await import("../../report/reweight-figure.js");
      const { svgToPng } = await import("../../report/svg-to-png.js");
      await initEngine();
      const fig = await reweightFigure({ beta: opts.beta, rewardMean: opts.rewardMean });
      const base = resolve(String(opts.out).replace(/\.(svg|png)$/i, ""));
      mkdirSync(dirname(base), { recursive: true });
      writeFileSync(`${base}.svg`, fig.svg);
      writeFileSync(`${base}.png`, svgToPng(fig.svg, 1.5));
      console.log(
        `wrote ${base}.svg and ${base}.png (mean of π* = ${fig.optimumMean.toFixed(3)}, of π_ref = 0)`,
      );
    });

  viz
    .command("curves")
    .description(
      "Training curves of one or more runs: every metric of each RUN_DIR/metrics.jsonl (loss, learning rate, " +
        "grad norm, eval metrics, DPO rewards/margins/accuracies, KL, …) against the step, one panel per metric, " +
        "runs overlaid in colours, held-out values dashed.",
    )
    .argument(
      "<run-dirs...>",
      "run directories (the --out of a training command) or metrics.jsonl files",
    )
    .option(
      "--out <path>",
      "output path without extension, writes .svg and .png (default: RUN_DIR/curves for one run, ./curves for several)",
    )
    .option(
      "--metrics <names>",
      "only these metrics, comma-separated (e.g. loss,eval_loss,kl)",
      (v: string) =>
        v
          .split(",")
          .map((x) => x.trim().replace(/^eval[_/]/, ""))
          .filter(Boolean),
    )
    .option("--columns <n>", "panels per row", parseCount, 3)
    .option("--title <text>", "figure title")
    .action(async (dirs: string[], opts) => {
      const { writeCurves } = await import("../../report/curves.js");
      const def =
        dirs.length === 1 ? join(dirs[0].replace(/metrics\.jsonl$/, ""), "curves") : "curves";
      const base = resolve(String(opts.out ?? def).replace(/\.(svg|png)$/i, ""));
      mkdirSync(dirname(base), { recursive: true });
      const fig = writeCurves(dirs, base, {
        metrics: opts.metrics ? [...new Set<string>(opts.metrics)] : undefined,
        columns: opts.columns,
        title: opts.title,
      });
      console.log(
        `wrote ${fig.files.svg} and ${fig.files.png}: ${fig.panels.length} panels ` +
          `(${fig.panels.map((p) => p.metric).join(", ")}) for ${fig.runs.length} run(s) (${fig.runs.join(", ")})`,
      );
    });
}
