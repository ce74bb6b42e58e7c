/** `prefopt viz …`: figures a person would rather look at. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { parseNumber } from "../options.js";

export function registerViz(program: Command): void {
  const viz = program.command("viz").description("Draw the lecture's figures as SVG and PNG");
  viz
    .command("reweight")
    .description(
      "The KL-optimum as a reweighting of the reference (lecture slide 10): π_ref = N(0,1), " +
        "reward shaped as the N(2,1) density, π* ∝ π_ref·exp(r/β).",
    )
    .option("--beta <number>", "KL coefficient β", parseNumber, 0.1)
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
}
