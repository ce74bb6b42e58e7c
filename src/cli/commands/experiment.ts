/** `prefopt experiment sentiment`: the DPO paper's controlled-sentiment experiment on the embedded world. */
import type { Command } from "commander";
import { runSentimentExperiment } from "../../experiments/sentiment.js";
import { parseCount, parseNonNegative, parseNonNegativeInt } from "../options.js";

function parseList(v: string): number[] {
  return v.split(",").map((s) => {
    const n = Number(s);
    if (s.trim() === "" || !Number.isFinite(n))
      throw new Error(`expected numbers like 0.1,0.5, got "${v}"`);
    return n;
  });
}

export function registerExperiment(program: Command): void {
  const ex = program
    .command("experiment")
    .description("End-to-end experiments on the embedded worlds.");
  ex.command("sentiment")
    .description(
      "SFT model → 4 samples per prompt → Bradley–Terry preferences of the AFINN reward → DPO (β sweep), " +
        "RLHF (reward model + RLOO, KL sweep), preferred-FT, best-of-N (and, by default, SimPO, ORPO, KTO, listwise DPO, " +
        "iterative DPO, 3 rounds of online DPO with π_ref fixed and online DPO with a KL target of 2) → the reward–KL frontier (plot + table) beside the exact optimum π* = π_ref·e^{r/β}/Z " +
        "under the true reward (estimated from reference samples), each method's efficiency (its reward gain " +
        "over the SFT model ÷ π*'s gain at the same KL) and win rates against the SFT model. --quick: a few-minute version.",
    )
    .option("--model <dir>", "the SFT model (default: the bundled text model)")
    .option("--out <dir>", "output directory (sub-runs resume from it)", "runs/sentiment")
    .option("--quick", "small sweep for a demo")
    .option("--betas <list>", "DPO β values, e.g. 0.05,0.1,0.5", parseList)
    .option("--kl-coefs <list>", "RLHF KL coefficients", parseList)
    .option("--best-of <list>", "best-of-N values", parseList)
    .option("--num-prompts <n>", "training prompts", parseCount)
    .option("--eval-prompts <n>", "held-out prompts", parseCount)
    .option(
      "--optimum-samples <n>",
      "reference samples per held-out prompt for the π* estimate (quick 64, default 256)",
      parseCount,
    )
    .option(
      "--online-rounds <n>",
      "online DPO rounds of 512 openings × 4 samples each, π_ref fixed (quick 0, default 3; 0: off)",
      parseNonNegativeInt,
    )
    .option(
      "--online-target-kl <k>",
      "online DPO run that keeps the policy measured closest to KL k (prefopt dpo --target-kl; quick 0, default 2; 0: off)",
      parseNonNegative,
    )
    .option("--seed <n>", "random seed", parseNonNegativeInt, 0)
    .option("--json", "print the result as one JSON object")
    .action(async (o) => {
      const r = await runSentimentExperiment({
        model: o.model,
        out: o.out,
        preset: o.quick ? "quick" : "default",
        betas: o.betas,
        klCoefs: o.klCoefs,
        bestOfN: o.bestOf,
        prompts: o.numPrompts,
        evalPrompts: o.evalPrompts,
        optimumSamples: o.optimumSamples,
        onlineRounds: o.onlineRounds,
        onlineTargetKl: o.onlineTargetKl,
        seed: o.seed,
      });
      if (o.json) {
        console.log(JSON.stringify(r));
        return;
      }
      console.log(
        `\n${r.pairs} preference pairs; SFT mean AFINN reward ${r.sftReward.toFixed(2)}\n`,
      );
      console.log(r.table);
      console.log(`\n${r.optimum}`);
      console.log(
        `\nfrontier: ${r.files.png} (${r.files.plot}), table: ${r.files.table}, π*: ${r.files.optimum}`,
      );
      console.log(`total ${r.seconds.toFixed(0)} s`);
    });
}
