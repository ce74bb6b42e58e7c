/** `prefopt verify`: DPO and the reward-model route both reach the exact KL optimum. */
import type { Command } from "commander";
import { initEngine } from "../../engine/init.js";
import { DEFAULT_CHECK, runOptimumCheck } from "../../pipelines/optimum-check.js";
import { parseNonNegativeInt, parsePositive } from "../options.js";

export function registerVerify(program: Command): void {
  program
    .command("verify")
    .description(
      "Check the lecture's central result on a discrete world: DPO trained on Bradley–Terry preferences, " +
        "and a fitted reward model plus the closed-form optimum, both reach π* = π_ref·exp(r/β)/Z.",
    )
    .option("--beta <number>", "KL coefficient β", parsePositive, DEFAULT_CHECK.beta)
    .option("--pairs <number>", "preference pairs sampled", parsePositive, DEFAULT_CHECK.pairs)
    .option(
      "--steps <number>",
      "full-batch AdamW steps per fit",
      parsePositive,
      DEFAULT_CHECK.steps,
    )
    .option("--seed <number>", "random seed", parseNonNegativeInt, DEFAULT_CHECK.seed)
    .option("--tolerance <number>", "largest KL accepted", parsePositive, 1e-3)
    .option("--json", "print the result as one JSON object")
    .action(async (opts) => {
      await initEngine();
      const r = await runOptimumCheck({
        beta: opts.beta,
        pairs: opts.pairs,
        steps: opts.steps,
        seed: opts.seed,
        onProgress: opts.json
          ? undefined
          : (phase, step, loss) => {
              if (step % 200 === 0)
                process.stderr.write(`  ${phase} step ${step}: loss ${loss.toFixed(5)}\n`);
            },
      });
      const ok = r.klDpo < opts.tolerance && r.klRewardModel < opts.tolerance;
      if (opts.json) {
        console.log(JSON.stringify({ ...r, ok }));
      } else {
        const f = (x: number) => x.toFixed(4).padStart(8);
        console.log(
          `\n${r.pairs} preference pairs from the Bradley–Terry model of r, β = ${r.beta}\n`,
        );
        console.log("   x    π_ref        r       π*    π_DPO   π_RM+opt");
        for (let i = 0; i < r.optimum.length; i++) {
          console.log(
            `${String(i).padStart(4)} ${f(r.refProbs[i])} ${f(r.rewards[i])} ${f(r.optimum[i])} ${f(r.dpoPolicy[i])} ${f(r.rewardModelPolicy[i])}`,
          );
        }
        console.log(
          `\nKL(π* ‖ π_ref)             = ${r.klRef.toExponential(3)}  (where training started)`,
        );
        console.log(`KL(π* ‖ π_DPO)             = ${r.klDpo.toExponential(3)}`);
        console.log(`KL(π* ‖ optimum of r_φ)    = ${r.klRewardModel.toExponential(3)}`);
        console.log(
          ok ? `\nPASS: both below ${opts.tolerance}` : `\nFAIL: tolerance ${opts.tolerance}`,
        );
      }
      if (!ok) process.exitCode = 1;
    });
}
