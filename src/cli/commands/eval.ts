/** `prefopt eval winrate`: win rate of one model over another under a judge. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { sentimentPrompts } from "../../data/sentiment-preferences.js";
import { UserError } from "../../engine/errors.js";
import { initEngine } from "../../engine/init.js";
import { afinnJudge, type Judge, rewardModelJudge } from "../../eval/judges.js";
import { llmJudge } from "../../eval/llm-judge.js";
import { modelWinRate } from "../../eval/model-win-rate.js";
import { defaultModelDir } from "../../models/default-model.js";
import { CausalLM } from "../../models/lm/causal-lm.js";
import { RewardModel } from "../../models/lm/reward-model.js";
import { loadPrompts } from "../../pipelines/rlhf.js";
import { parseCount, parseNonNegative, parseNonNegativeInt } from "../options.js";

const JUDGES = ["afinn", "reward-model", "llm"];

export function registerEval(program: Command): void {
  const ev = program
    .command("eval")
    .description("Evaluate language models: win rates under a judge.");
  ev.command("winrate")
    .description(
      "Win rate of model A over model B: sample from both on the prompts, judge each pair " +
        "(afinn: ground-truth sentiment; reward-model: a trained r_φ; llm: an OpenAI-compatible chat endpoint, " +
        "asked in both orders). Prints the rate with a 95% Wilson interval; ties count half.",
    )
    .option("--a <dir>", "model A (default: runs/dpo if present, else the bundled model)")
    .option("--b <dir>", "model B (default: the bundled model)")
    .option(
      "--prompts <file>",
      "prompts: JSONL with a prompt field, or one per line (default: embedded)",
    )
    .option(
      "--judge <j>",
      "afinn | reward-model | llm",
      (v: string) => {
        if (!JUDGES.includes(v))
          throw new InvalidArgumentError(`expected one of ${JUDGES.join(", ")}`);
        return v;
      },
      "afinn",
    )
    .option("--reward-model <dir>", "reward model for --judge reward-model", "runs/reward")
    .option(
      "--judge-url <url>",
      "OpenAI-compatible base URL for --judge llm (e.g. http://127.0.0.1:8000/v1)",
    )
    .option("--judge-model <name>", "model name for --judge llm")
    .option("--judge-key-env <var>", "environment variable holding the API key", "OPENAI_API_KEY")
    .option("--criterion <text>", "what the LLM judge is asked to prefer", "more positive")
    .option("--timeout <ms>", "LLM judge request timeout", parseCount, 30000)
    .option("--retries <n>", "LLM judge retries", parseNonNegativeInt, 3)
    .option("--n <n>", "samples per prompt and model", parseCount, 2)
    .option("--num-prompts <n>", "embedded prompts when no --prompts", parseCount, 32)
    .option("--max-new-tokens <n>", "tokens per sample", parseCount, 16)
    .option("--temperature <x>", "sampling temperature ≥ 0 (0 = greedy)", parseNonNegative, 1)
    .option("--seed <n>", "random seed", parseNonNegativeInt, 0)
    .option("--json", "print the result as one JSON object")
    .action(async (o) => {
      await initEngine();
      const aDir =
        o.a ??
        (existsSync(join("runs/dpo", "model.safetensors")) ? "runs/dpo" : defaultModelDir("text"));
      const bDir = o.b ?? defaultModelDir("text");
      const prompts = o.prompts ? loadPrompts(o.prompts) : sentimentPrompts(o.numPrompts, 999_001);
      let judge: Judge;
      let rm: RewardModel | undefined;
      if (o.judge === "afinn") judge = afinnJudge();
      else if (o.judge === "reward-model") {
        if (!existsSync(join(o.rewardModel, "config.json")))
          throw new UserError(
            `--reward-model: ${o.rewardModel} holds no model (train one with prefopt reward)`,
          );
        rm = await RewardModel.load(o.rewardModel);
        judge = rewardModelJudge(rm);
      } else {
        judge = llmJudge({
          url: o.judgeUrl,
          model: o.judgeModel,
          apiKeyEnv: o.judgeKeyEnv,
          criterion: o.criterion,
          timeoutMs: o.timeout,
          retries: o.retries,
        });
      }
      const t0 = Date.now();
      const a = await CausalLM.load(aDir);
      const b = await CausalLM.load(bDir);
      const r = await modelWinRate(a, b, prompts, judge, {
        n: o.n,
        maxNewTokens: o.maxNewTokens,
        temperature: o.temperature,
        seed: o.seed,
      });
      const seconds = (Date.now() - t0) / 1000;
      if (o.json) {
        const { comparisons, ...rest } = r;
        console.log(
          JSON.stringify({ a: aDir, b: bDir, ...rest, seconds, examples: comparisons.slice(0, 5) }),
        );
      } else {
        console.log(
          `A = ${aDir}\nB = ${bDir}\njudge = ${r.judge}, ${r.n} comparisons in ${seconds.toFixed(0)} s`,
        );
        console.log(
          `win rate of A: ${(100 * r.rate).toFixed(1)}%  (95% CI ${(100 * r.ci[0]).toFixed(1)}–${(100 * r.ci[1]).toFixed(1)}%; ` +
            `${r.wins} wins, ${r.ties} ties, ${r.losses} losses)`,
        );
        for (const c of r.comparisons.slice(0, 3))
          console.log(`  "${c.prompt}" A:"${c.a.trim()}"  B:"${c.b.trim()}"  → ${c.outcome}`);
      }
      a.dispose();
      b.dispose();
      rm?.dispose();
    });
}
