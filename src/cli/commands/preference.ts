/** `prefopt reward`, `prefopt dpo`, `prefopt rlhf`: preference optimisation of language models. */
import { type Command, InvalidArgumentError } from "commander";
import { UserError } from "../../engine/errors.js";
import type { PreferenceLossType } from "../../objectives/preference-loss.js";
import { DPO_DEFAULTS, type DpoOptions, type DpoResult, runDpo } from "../../pipelines/dpo.js";
import type { FamilyLossType } from "../../pipelines/dpo-family.js";
import { runIterativeDpo } from "../../pipelines/iterative-dpo.js";
import { REWARD_DEFAULTS, runReward } from "../../pipelines/reward.js";
import { RLHF_DEFAULTS, runRlhf } from "../../pipelines/rlhf.js";
import {
  addTrainingOptions,
  numberIn,
  parseCount,
  parseNonNegative,
  parseNonNegativeInt,
  parsePositive,
  runTrainingCommand,
} from "../options.js";

const LOSS_TYPES = ["sigmoid", "hinge", "ipo", "robust", "simpo", "orpo", "kto", "listwise"];

function parseLossType(v: string): PreferenceLossType | FamilyLossType {
  if (!LOSS_TYPES.includes(v))
    throw new InvalidArgumentError(`expected one of ${LOSS_TYPES.join(", ")}, got "${v}"`);
  return v as PreferenceLossType | FamilyLossType;
}

function fmt(m: Record<string, number>): string {
  return Object.entries(m)
    .map(([k, v]) => `  ${k.padEnd(28)} ${Number.isFinite(v) ? Number(v.toPrecision(4)) : v}`)
    .join("\n");
}

/**
 * `--online-rounds n`: runIterativeDpo with π_ref fixed, reported as its last round's run;
 * with `--target-kl` the kept policy's directory is the model written.
 */
function onlineDpo(
  rounds: number,
  out: string,
  kl: { targetKl?: number; klEvery?: number },
): (o: DpoOptions) => Promise<DpoResult> {
  return async (o) => {
    const r = await runIterativeDpo({ ...o, ...kl, out, rounds, fixedReference: true });
    const last = r.interrupted ?? r.rounds.at(-1)?.result;
    if (r.klTarget && !r.interrupted) {
      const t = r.klTarget;
      const m = t.measurements[t.chosen];
      console.log(
        `\nKL target ${t.target}: ${t.reached ? "reached" : "not reached"}; kept round ${m.round} step ${m.step}, ` +
          `KL ${m.kl.toFixed(2)} on ${t.probe.prompts} probe openings × ${t.probe.samples} (${t.measurements.length} measurements in ${out}/kl_target.json)`,
      );
      // a resumed finished run trains nothing: report the kept model alone
      if (!last) return { ...emptyResult(), out: r.model, seconds: r.seconds };
      return { ...last, out: r.model };
    }
    if (!last) throw new Error("online DPO: no round ran");
    return last;
  };
}

function emptyResult(): DpoResult {
  return {
    status: "completed",
    out: "",
    data: "",
    steps: 0,
    pairs: { train: 0, eval: 0 },
    refCacheHit: true,
    train: {},
    eval: {},
    seconds: 0,
  };
}

export function registerPreference(program: Command): void {
  const d = DPO_DEFAULTS;
  const dpo = program
    .command("dpo")
    .description(
      "Direct Preference Optimization on TRL preference JSONL ({prompt, chosen, rejected}, implicit prompt, " +
        "or conversational). Without --data: the embedded world's preferences (samples scored by AFINN, " +
        "Bradley–Terry labels). With --loss-type listwise: rankings, one per line as " +
        '{"prompt", "chosen", "rejected": [r2, r3, …]} (answers ranked best first, the same number on every ' +
        "row; a pair row is a ranking of two); without --data one Plackett–Luce ranking of each prompt's " +
        "samples. Writes the model in HF layout, metrics.jsonl, checkpoints and curves.png to --out.",
    );
  addTrainingOptions(
    dpo,
    {
      out: "runs/dpo",
      steps: "derived",
      lr: d.lr,
      batchSize: d.batchSize,
      warmupSteps: d.warmupSteps,
      saveEvery: d.saveEvery,
      evalEvery: d.evalEvery,
      seed: d.seed,
      skipNonfinite: true,
      gradientAccumulationSteps: 1,
    },
    {
      steps: "optimiser steps (default: --epochs passes over the data)",
      batchSize:
        "pairs (listwise: rankings) per micro-batch; per step: × --gradient-accumulation-steps",
    },
  )
    .option("--model <dir>", "policy and reference model (default: the bundled text model)")
    .option("--reference <dir>", "a different reference model π_ref (default: --model)")
    .option("--data <file.jsonl>", "preference data in TRL format")
    .option("--beta <x>", "KL coefficient β", parsePositive, d.beta)
    .option(
      "--loss-type <t>",
      "sigmoid | hinge | ipo | robust (DPO margins), simpo | orpo (no reference model; --beta is SimPO's β, ORPO's λ) | kto (chosen = desirable, rejected = undesirable) | listwise (Plackett–Luce DPO on rankings)",
      parseLossType,
      d.lossType,
    )
    .option(
      "--label-smoothing <x>",
      "ε for cDPO (sigmoid) and robust, in [0, 0.5)",
      numberIn(0, 0.5, "hi"),
      d.labelSmoothing,
    )
    .option(
      "--simpo-gamma <x>",
      "SimPO's target reward margin γ, ≥ 0 (with --loss-type simpo; default 0.5)",
      parseNonNegative,
    )
    .option(
      "--desirable-weight <x>",
      "KTO's λ_D, weight of desirable (chosen) examples, > 0 (with --loss-type kto; default 1)",
      parsePositive,
    )
    .option(
      "--undesirable-weight <x>",
      "KTO's λ_U, weight of undesirable (rejected) examples, > 0 (with --loss-type kto; default 1)",
      parsePositive,
    )
    .option("--epochs <n>", "passes over the data", parsePositive, d.epochs)
    .option(
      "--max-prompt-length <n>",
      "prompt tokens kept (from the end)",
      parseCount,
      d.maxPromptLength,
    )
    .option(
      "--max-completion-length <n>",
      "completion tokens kept",
      parseCount,
      d.maxCompletionLength,
    )
    .option("--max-length <n>", "prompt + completion tokens at most", parseCount, d.maxLength)
    .option("--eval-fraction <x>", "share of pairs held out", numberIn(0, 1, "hi"), d.evalFraction)
    .option("--no-ref-cache", "recompute reference log-probs instead of caching them")
    .option(
      "--lora-rank <r>",
      "train LoRA adapters of rank r instead of all weights (merged on save; 0: off)",
      parseNonNegativeInt,
      0,
    )
    .option("--lora-alpha <a>", "LoRA α (scale α/r; default 2r)", parsePositive)
    .option(
      "--lora-targets <names>",
      "comma-separated module names (default: every block linear layer)",
      (v: string) =>
        v
          .split(",")
          .map((x) => x.trim())
          .filter(Boolean),
    )
    .option("--num-prompts <n>", "embedded world: prompts", parseCount, d.numPrompts)
    .option(
      "--samples-per-prompt <n>",
      "embedded world: samples per prompt",
      parseCount,
      d.samplesPerPrompt,
    )
    .option(
      "--online-rounds <n>",
      "embedded world: online DPO, n rounds of sample from the policy → AFINN Bradley–Terry labels → DPO, " +
        "each round starting from the last with π_ref fixed to --model (round k in --out/round-k; 1: offline)",
      parseCount,
      1,
    )
    .option(
      "--target-kl <k>",
      "with --online-rounds: measure KL(π‖π_ref) on 64 probe openings × 8 policy samples every --kl-every " +
        "steps of each round's last quarter (earlier, near the peak learning rate, a round overshoots and " +
        "comes back) and at its end; stop after the first round that ends at or past k, and write the policy " +
        "measured closest to k to --out/kl-target (measurements in --out/kl_target.json)",
      parsePositive,
    )
    .option(
      "--kl-every <n>",
      "with --target-kl: steps between KL measurements in a round's last quarter",
      parseCount,
      25,
    )
    .action(async (o) => {
      if (o.onlineRounds > 1 && o.data)
        throw new UserError("--online-rounds: the rounds sample their own pairs; drop --data");
      if (o.targetKl !== undefined && !(o.onlineRounds > 1))
        throw new UserError(
          "--target-kl: only online DPO measures its KL; add --online-rounds n (n ≥ 2)",
        );
      await runTrainingCommand(
        dpo,
        o,
        (f) =>
          (o.onlineRounds > 1
            ? onlineDpo(o.onlineRounds, o.out, { targetKl: o.targetKl, klEvery: o.klEvery })
            : runDpo)({
            ...f,
            model: o.model,
            reference: o.reference,
            data: o.data,
            beta: o.beta,
            lossType: o.lossType,
            labelSmoothing: o.labelSmoothing,
            simpoGamma: o.simpoGamma,
            desirableWeight: o.desirableWeight,
            undesirableWeight: o.undesirableWeight,
            epochs: o.epochs,
            maxPromptLength: o.maxPromptLength,
            maxCompletionLength: o.maxCompletionLength,
            maxLength: o.maxLength,
            evalFraction: o.evalFraction,
            refCache: o.refCache,
            lora:
              o.loraRank > 0
                ? { rank: o.loraRank, alpha: o.loraAlpha, targets: o.loraTargets }
                : undefined,
            numPrompts: o.numPrompts,
            samplesPerPrompt: o.samplesPerPrompt,
          }),
        (r) => {
          const on = r.rankings
            ? `${r.rankings.train} rankings of ${r.rankings.size} (${r.rankings.eval} held out)`
            : `${r.pairs.train} pairs (${r.pairs.eval} held out)`;
          console.log(
            `\nDPO: ${r.steps} steps on ${on} in ${r.seconds.toFixed(0)} s; ` +
              `reference log-probs ${r.refCacheHit ? "from cache" : "computed"}`,
          );
          console.log(`last training window:\n${fmt(r.train)}`);
          if (Object.keys(r.eval).length) console.log(`held-out:\n${fmt(r.eval)}`);
          console.log(`model written to ${r.out} (load with --model ${r.out})`);
        },
      );
    });

  const rd = REWARD_DEFAULTS;
  const reward = program
    .command("reward")
    .description(
      "Train a Bradley–Terry reward model (LM + scalar head on the last token) on TRL preference JSONL " +
        "(optional margin column). Without --data: the embedded world's preferences. Saves a one-label " +
        "sequence-classification model in HF layout (pad_token_id as transformers pools).",
    );
  addTrainingOptions(
    reward,
    {
      out: "runs/reward",
      steps: "derived",
      lr: rd.lr,
      batchSize: rd.batchSize,
      warmupSteps: rd.warmupSteps,
      saveEvery: rd.saveEvery,
      evalEvery: rd.evalEvery,
      seed: rd.seed,
      skipNonfinite: true,
      gradientAccumulationSteps: 1,
    },
    {
      steps: "optimiser steps (default: --epochs passes over the data)",
      batchSize: "pairs per micro-batch; per step: × --gradient-accumulation-steps",
    },
  )
    .option("--model <dir>", "backbone model (default: the bundled text model)")
    .option("--data <file.jsonl>", "preference data in TRL format")
    .option("--epochs <n>", "passes over the data", parsePositive, rd.epochs)
    .option(
      "--center-rewards-coefficient <x>",
      "γ in γ·E[(r_w + r_l)²]",
      parseNonNegative,
      rd.centerRewardsCoefficient,
    )
    .option("--max-length <n>", "tokens per sequence at most", parseCount, rd.maxLength)
    .option("--eval-fraction <x>", "share of pairs held out", numberIn(0, 1, "hi"), rd.evalFraction)
    .option("--num-prompts <n>", "embedded world: prompts", parseCount, rd.numPrompts)
    .option(
      "--samples-per-prompt <n>",
      "embedded world: samples per prompt",
      parseCount,
      rd.samplesPerPrompt,
    )
    .action(async (o) => {
      await runTrainingCommand(
        reward,
        o,
        (f) =>
          runReward({
            ...f,
            model: o.model,
            data: o.data,
            epochs: o.epochs,
            centerRewardsCoefficient: o.centerRewardsCoefficient,
            maxLength: o.maxLength,
            evalFraction: o.evalFraction,
            numPrompts: o.numPrompts,
            samplesPerPrompt: o.samplesPerPrompt,
          }),
        (r) => {
          console.log(
            `\nreward model: ${r.steps} steps on ${r.pairs.train} pairs (${r.pairs.eval} held out) in ${r.seconds.toFixed(0)} s`,
          );
          console.log(`last training window:\n${fmt(r.train)}`);
          if (Object.keys(r.eval).length) console.log(`held-out:\n${fmt(r.eval)}`);
          console.log(`reward model written to ${r.out}`);
        },
      );
    });

  const ld = RLHF_DEFAULTS;
  const rlhf = program
    .command("rlhf")
    .description(
      "The RLHF baseline: sample from the policy, score with a reward model, KL-penalised policy gradient " +
        "(RLOO, per-token KL to the reference). Without --reward-model: trains one first (into OUT/reward-model); " +
        "--reward-model afinn uses the ground-truth scorer.",
    );
  addTrainingOptions(
    rlhf,
    {
      out: "runs/rlhf",
      steps: ld.steps,
      lr: ld.lr,
      saveEvery: ld.saveEvery,
      evalEvery: ld.evalEvery,
      seed: ld.seed,
      skipNonfinite: true,
    },
    { steps: "policy-gradient steps" },
  )
    .option("--model <dir>", "policy and reference model (default: the bundled text model)")
    .option("--reward-model <dir|afinn>", "reward model directory, or afinn")
    .option("--prompts <file>", "prompts: JSONL with a prompt field, or one per line")
    .option(
      "--num-prompts <n>",
      "embedded world: prompts to train on (without --prompts)",
      parseCount,
      ld.numPrompts,
    )
    .option("--kl-coef <x>", "KL coefficient λ", parseNonNegative, ld.klCoef)
    .option("--prompts-per-step <n>", "prompts per step", parseCount, ld.promptsPerStep)
    .option(
      "--samples-per-prompt <n>",
      "k samples per prompt (RLOO group, ≥ 2)",
      (v: string) => {
        const n = parseCount(v);
        if (n < 2) throw new InvalidArgumentError(`expected an integer ≥ 2, got "${v}"`);
        return n;
      },
      ld.samplesPerPrompt,
    )
    .option("--max-new-tokens <n>", "tokens per sample", parseCount, ld.maxNewTokens)
    .action(async (o) => {
      await runTrainingCommand(
        rlhf,
        o,
        (f) =>
          runRlhf({
            ...f,
            model: o.model,
            rewardModel: o.rewardModel,
            prompts: o.prompts,
            numPrompts: o.numPrompts,
            klCoef: o.klCoef,
            promptsPerStep: o.promptsPerStep,
            samplesPerPrompt: o.samplesPerPrompt,
            maxNewTokens: o.maxNewTokens,
          }),
        (r) => {
          console.log(`\nRLHF (RLOO): ${r.steps} steps in ${r.seconds.toFixed(0)} s`);
          console.log(`last training window:\n${fmt(r.train)}`);
          if (r.eval) {
            console.log(
              `held-out: mean AFINN ${r.eval.reward.toFixed(2)} ± ${r.eval.rewardSE.toFixed(2)} ` +
                `(reference ${r.eval.refReward.toFixed(2)}), KL(π‖π_ref) ${r.eval.kl.toFixed(2)} nats`,
            );
          }
          console.log(`model written to ${r.out}`);
        },
      );
    });
}
