/** `prefopt reward`, `prefopt dpo`, `prefopt rlhf`: preference optimisation of language models. */
import { type Command, InvalidArgumentError } from "commander";
import type { PreferenceLossType } from "../../objectives/preference-loss.js";
import { DPO_DEFAULTS, runDpo } from "../../pipelines/dpo.js";
import { REWARD_DEFAULTS, runReward } from "../../pipelines/reward.js";
import { RLHF_DEFAULTS, runRlhf } from "../../pipelines/rlhf.js";
import { parseInteger, parseNumber } from "../options.js";

const LOSS_TYPES = ["sigmoid", "hinge", "ipo", "robust"];

function parseLossType(v: string): PreferenceLossType {
  if (!LOSS_TYPES.includes(v))
    throw new InvalidArgumentError(`expected one of ${LOSS_TYPES.join(", ")}, got "${v}"`);
  return v as PreferenceLossType;
}

function fmt(m: Record<string, number>): string {
  return Object.entries(m)
    .map(([k, v]) => `  ${k.padEnd(28)} ${Number.isFinite(v) ? Number(v.toPrecision(4)) : v}`)
    .join("\n");
}

export function registerPreference(program: Command): void {
  const d = DPO_DEFAULTS;
  program
    .command("dpo")
    .description(
      "Direct Preference Optimization on TRL preference JSONL ({prompt, chosen, rejected}, implicit prompt, " +
        "or conversational). Without --data: the embedded world's preferences (samples scored by AFINN, " +
        "Bradley–Terry labels). Writes the model in HF layout, metrics.jsonl and checkpoints to --out.",
    )
    .option("--model <dir>", "policy and reference model (default: the bundled text model)")
    .option("--data <file.jsonl>", "preference data in TRL format")
    .option("--out <dir>", "output directory", "runs/dpo")
    .option("--beta <x>", "KL coefficient β", parseNumber, d.beta)
    .option("--loss-type <t>", "sigmoid | hinge | ipo | robust", parseLossType, d.lossType)
    .option("--label-smoothing <x>", "ε for cDPO (sigmoid) and robust", parseNumber, 0)
    .option("--lr <x>", "peak learning rate", parseNumber, d.learningRate)
    .option("--batch-size <n>", "pairs per step", parseInteger, d.batchSize)
    .option("--epochs <n>", "passes over the data", parseNumber, d.epochs)
    .option("--steps <n>", "optimiser steps (overrides --epochs)", parseInteger)
    .option(
      "--max-prompt-length <n>",
      "prompt tokens kept (from the end)",
      parseInteger,
      d.maxPromptLength,
    )
    .option(
      "--max-completion-length <n>",
      "completion tokens kept",
      parseInteger,
      d.maxCompletionLength,
    )
    .option("--max-length <n>", "prompt + completion tokens at most", parseInteger, d.maxLength)
    .option("--eval-fraction <x>", "share of pairs held out", parseNumber, d.evalFraction)
    .option("--eval-every <n>", "evaluate every n steps (0: at the end)", parseInteger, 0)
    .option("--save-every <n>", "checkpoint every n steps", parseInteger, d.saveEvery)
    .option("--no-ref-cache", "recompute reference log-probs instead of caching them")
    .option(
      "--lora-rank <r>",
      "train LoRA adapters of rank r instead of all weights (merged on save)",
      parseInteger,
      0,
    )
    .option("--lora-alpha <a>", "LoRA α (scale α/r; default 2r)", parseNumber)
    .option(
      "--lora-targets <names>",
      "comma-separated module names (default: every block linear layer)",
      (v: string) =>
        v
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean),
    )
    .option("--no-resume", "start over even if --out holds a checkpoint")
    .option("--prompts <n>", "embedded world: prompts", parseInteger, d.prompts)
    .option(
      "--samples-per-prompt <n>",
      "embedded world: samples per prompt",
      parseInteger,
      d.samplesPerPrompt,
    )
    .option(
      "--skip-nonfinite",
      "roll back and count steps whose loss or gradient is NaN/Inf (default: stop with an error)",
    )
    .option("--seed <n>", "random seed", parseInteger, 0)
    .option("--json", "print the result as one JSON object")
    .action(async (o) => {
      const r = await runDpo({
        model: o.model,
        data: o.data,
        out: o.out,
        beta: o.beta,
        lossType: o.lossType,
        labelSmoothing: o.labelSmoothing,
        learningRate: o.lr,
        batchSize: o.batchSize,
        epochs: o.epochs,
        maxSteps: o.steps,
        maxPromptLength: o.maxPromptLength,
        maxCompletionLength: o.maxCompletionLength,
        maxLength: o.maxLength,
        evalFraction: o.evalFraction,
        evalEvery: o.evalEvery,
        saveEvery: o.saveEvery,
        refCache: o.refCache,
        lora:
          o.loraRank > 0
            ? { rank: o.loraRank, alpha: o.loraAlpha, targets: o.loraTargets }
            : undefined,
        resume: o.resume,
        prompts: o.prompts,
        samplesPerPrompt: o.samplesPerPrompt,
        seed: o.seed,
        onNonFinite: o.skipNonfinite ? "skip" : "stop",
      });
      if (o.json) {
        console.log(JSON.stringify(r));
        return;
      }
      console.log(
        `\nDPO: ${r.steps} steps on ${r.pairs.train} pairs (${r.pairs.eval} held out) in ${r.seconds.toFixed(0)} s; ` +
          `reference log-probs ${r.refCacheHit ? "from cache" : "computed"}`,
      );
      console.log(`last training window:\n${fmt(r.train)}`);
      if (Object.keys(r.eval).length) console.log(`held-out:\n${fmt(r.eval)}`);
      console.log(`model written to ${r.out} (load with --model ${r.out})`);
    });

  const rd = REWARD_DEFAULTS;
  program
    .command("reward")
    .description(
      "Train a Bradley–Terry reward model (LM + scalar head on the last token) on TRL preference JSONL " +
        "(optional margin column). Without --data: the embedded world's preferences. Saves a one-label " +
        "sequence-classification model in HF layout.",
    )
    .option("--model <dir>", "backbone model (default: the bundled text model)")
    .option("--data <file.jsonl>", "preference data in TRL format")
    .option("--out <dir>", "output directory", "runs/reward")
    .option("--lr <x>", "peak learning rate", parseNumber, rd.learningRate)
    .option("--batch-size <n>", "pairs per step", parseInteger, rd.batchSize)
    .option("--epochs <n>", "passes over the data", parseNumber, rd.epochs)
    .option("--steps <n>", "optimiser steps (overrides --epochs)", parseInteger)
    .option(
      "--center-rewards-coefficient <x>",
      "γ in γ·E[(r_w + r_l)²]",
      parseNumber,
      rd.centerRewardsCoefficient,
    )
    .option("--max-length <n>", "tokens per sequence at most", parseInteger, rd.maxLength)
    .option("--eval-fraction <x>", "share of pairs held out", parseNumber, rd.evalFraction)
    .option("--save-every <n>", "checkpoint every n steps", parseInteger, rd.saveEvery)
    .option("--no-resume", "start over even if --out holds a checkpoint")
    .option("--prompts <n>", "embedded world: prompts", parseInteger, rd.prompts)
    .option(
      "--samples-per-prompt <n>",
      "embedded world: samples per prompt",
      parseInteger,
      rd.samplesPerPrompt,
    )
    .option(
      "--skip-nonfinite",
      "roll back and count steps whose loss or gradient is NaN/Inf (default: stop with an error)",
    )
    .option("--seed <n>", "random seed", parseInteger, 0)
    .option("--json", "print the result as one JSON object")
    .action(async (o) => {
      const r = await runReward({
        model: o.model,
        data: o.data,
        out: o.out,
        learningRate: o.lr,
        batchSize: o.batchSize,
        epochs: o.epochs,
        maxSteps: o.steps,
        centerRewardsCoefficient: o.centerRewardsCoefficient,
        maxLength: o.maxLength,
        evalFraction: o.evalFraction,
        saveEvery: o.saveEvery,
        resume: o.resume,
        prompts: o.prompts,
        samplesPerPrompt: o.samplesPerPrompt,
        seed: o.seed,
        onNonFinite: o.skipNonfinite ? "skip" : "stop",
      });
      if (o.json) {
        console.log(JSON.stringify(r));
        return;
      }
      console.log(
        `\nreward model: ${r.steps} steps on ${r.pairs.train} pairs (${r.pairs.eval} held out) in ${r.seconds.toFixed(0)} s`,
      );
      console.log(`last training window:\n${fmt(r.train)}`);
      if (Object.keys(r.eval).length) console.log(`held-out:\n${fmt(r.eval)}`);
      console.log(`reward model written to ${r.out}`);
    });

  const ld = RLHF_DEFAULTS;
  program
    .command("rlhf")
    .description(
      "The RLHF baseline: sample from the policy, score with a reward model, KL-penalised policy gradient " +
        "(RLOO, per-token KL to the reference). Without --reward-model: trains one first (into OUT/reward-model); " +
        "--reward-model afinn uses the ground-truth scorer.",
    )
    .option("--model <dir>", "policy and reference model (default: the bundled text model)")
    .option("--reward-model <dir|afinn>", "reward model directory, or afinn")
    .option("--prompts <file>", "prompts: JSONL with a prompt field, or one per line")
    .option("--out <dir>", "output directory", "runs/rlhf")
    .option("--kl-coef <x>", "KL coefficient λ", parseNumber, ld.klCoef)
    .option("--lr <x>", "learning rate", parseNumber, ld.learningRate)
    .option("--steps <n>", "policy-gradient steps", parseInteger, ld.steps)
    .option("--prompts-per-step <n>", "prompts per step", parseInteger, ld.promptsPerStep)
    .option(
      "--samples-per-prompt <n>",
      "k samples per prompt (RLOO group)",
      parseInteger,
      ld.samplesPerPrompt,
    )
    .option("--max-new-tokens <n>", "tokens per sample", parseInteger, ld.maxNewTokens)
    .option("--save-every <n>", "checkpoint every n steps", parseInteger, ld.saveEvery)
    .option("--no-resume", "start over even if --out holds a checkpoint")
    .option(
      "--skip-nonfinite",
      "roll back and count steps whose loss or gradient is NaN/Inf (default: stop with an error)",
    )
    .option("--seed <n>", "random seed", parseInteger, 0)
    .option("--json", "print the result as one JSON object")
    .action(async (o) => {
      const r = await runRlhf({
        model: o.model,
        rewardModel: o.rewardModel,
        prompts: o.prompts,
        out: o.out,
        klCoef: o.klCoef,
        learningRate: o.lr,
        steps: o.steps,
        promptsPerStep: o.promptsPerStep,
        samplesPerPrompt: o.samplesPerPrompt,
        maxNewTokens: o.maxNewTokens,
        saveEvery: o.saveEvery,
        resume: o.resume,
        seed: o.seed,
        onNonFinite: o.skipNonfinite ? "skip" : "stop",
      });
      if (o.json) {
        console.log(JSON.stringify(r));
        return;
      }
      console.log(`\nRLHF (RLOO): ${r.steps} steps in ${r.seconds.toFixed(0)} s`);
      console.log(`last training window:\n${fmt(r.train)}`);
      if (r.eval) {
        console.log(
          `held-out: mean AFINN ${r.eval.reward.toFixed(2)} ± ${r.eval.rewardSE.toFixed(2)} ` +
            `(reference ${r.eval.refReward.toFixed(2)}), KL(π‖π_ref) ${r.eval.kl.toFixed(2)} nats`,
        );
      }
      console.log(`model written to ${r.out}`);
    });
}
