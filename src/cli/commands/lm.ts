/** `prefopt pretrain`, `prefopt sft`, `prefopt generate`: the language-model commands. */
import type { Command } from "commander";
import { loadSFTJsonl, positiveReviewSFT } from "../../data/sft-data.js";
import { initEngine } from "../../engine/init.js";
import { defaultModelDir } from "../../models/default-model.js";
import { CausalLM } from "../../models/lm/causal-lm.js";
import { PRETRAIN_DEFAULTS, runPretrain } from "../../pipelines/pretrain.js";
import { runSft, SFT_DEFAULTS } from "../../pipelines/sft.js";
import {
  addTrainingOptions,
  numberIn,
  parseCount,
  parseNonNegative,
  parseNonNegativeInt,
  parsePositive,
  runTrainingCommand,
} from "../options.js";

export function registerLM(program: Command): void {
  const d = PRETRAIN_DEFAULTS;
  const pretrain = program
    .command("pretrain")
    .description(
      "Build the text model from a seed (the recipe of the bundled one): movie-review corpus → byte-level BPE → small GPT-2, " +
        "with held-out perplexity against a unigram baseline.",
    );
  addTrainingOptions(
    pretrain,
    {
      out: "runs/text-base",
      steps: d.steps,
      lr: d.lr,
      batchSize: d.batchSize,
      warmupSteps: d.warmupSteps,
      saveEvery: d.saveEvery,
      seed: d.seed,
      skipNonfinite: true,
    },
    {
      out: "model directory to write, with its checkpoints, metrics.jsonl and curves.png (--out models/text-base rebuilds the bundled model); re-running with the same --out continues from its latest checkpoint",
      batchSize: "rows per step",
    },
  )
    .option("--sentences <n>", "training sentences", parseCount, d.sentences)
    .option("--held-out <n>", "held-out sentences", parseCount, d.heldOut)
    .option("--vocab-size <n>", "BPE vocabulary size", parseCount, d.vocabSize)
    .option("--layers <n>", "transformer layers", parseCount, d.nLayer)
    .option("--width <n>", "model width", parseCount, d.dModel)
    .option("--heads <n>", "attention heads", parseCount, d.nHead)
    .option("--context <n>", "context length", parseCount, d.context)
    .action(async (o) => {
      await runTrainingCommand(
        pretrain,
        o,
        (f) =>
          runPretrain({
            ...f,
            sentences: o.sentences,
            heldOut: o.heldOut,
            vocabSize: o.vocabSize,
            nLayer: o.layers,
            dModel: o.width,
            nHead: o.heads,
            context: o.context,
          }),
        (r) => {
          console.log(
            `\nwrote ${o.out} in ${r.seconds.toFixed(0)} s (${r.steps} steps, ${r.params} parameters)`,
          );
          console.log(
            `held-out perplexity ${r.heldOutPerplexity.toFixed(2)}  (unigram baseline ${r.unigramPerplexity.toFixed(2)})`,
          );
          console.log("samples:");
          for (const s of r.samples) console.log(`  ${s}`);
        },
      );
    });

  const sd = SFT_DEFAULTS;
  const sft = program
    .command("sft")
    .description(
      "Supervised fine-tuning on TRL JSONL ({prompt, completion} or {messages}; loss on completions only). " +
        "Without --data: the built-in positive-review set (preferred-FT of the text world).",
    );
  addTrainingOptions(
    sft,
    {
      steps: "derived",
      lr: sd.lr,
      batchSize: sd.batchSize,
      warmupSteps: "derived",
      saveEvery: sd.saveEvery,
      evalEvery: sd.evalEvery,
      seed: sd.seed,
      skipNonfinite: true,
      gradientAccumulationSteps: 1,
    },
    {
      steps: "optimiser steps (default: --epochs passes over the data)",
      warmupSteps: "linear warm-up steps (default: 5% of the steps)",
      batchSize: "examples per micro-batch; per step: × --gradient-accumulation-steps",
    },
  )
    .option("--model <dir>", "model directory to start from (default: the bundled text model)")
    .option("--data <file.jsonl>", "training data in TRL format")
    .option("--examples <n>", "size of the built-in set when no --data", parseCount, 2000)
    .option("--epochs <n>", "passes over the data", parsePositive, sd.epochs)
    .option("--max-length <n>", "tokens per example at most", parseCount, sd.maxLength)
    .option(
      "--eval-fraction <x>",
      "share of examples held out for eval_loss",
      numberIn(0, 1, "hi"),
      sd.evalFraction,
    )
    .action(async (o) => {
      const examples = o.data ? loadSFTJsonl(o.data) : positiveReviewSFT(o.examples, o.seed + 7);
      await runTrainingCommand(
        sft,
        o,
        (f) =>
          runSft({
            ...f,
            model: o.model ?? defaultModelDir("text"),
            examples,
            epochs: o.epochs,
            maxLength: o.maxLength,
            evalFraction: o.evalFraction,
          }),
        (r) => {
          const ev = r.evalLoss === null ? "" : `, eval loss ${r.evalLoss.toFixed(4)}`;
          console.log(
            `wrote ${r.out}: ${r.steps} steps, train loss ${r.trainLoss.toFixed(4)}${ev}`,
          );
        },
      );
    });

  program
    .command("generate")
    .description(
      "Sample continuations of a prompt from a causal LM (default: the bundled text model).",
    )
    .option("--model <dir>", "model directory (Hugging Face layout)")
    .requiredOption("--prompt <text>", "prompt text (may be empty)")
    .option("--n <n>", "number of samples", parseCount, 1)
    .option("--seed <n>", "random seed", parseNonNegativeInt, 0)
    .option("--max-new-tokens <n>", "tokens to add at most", parseCount, 32)
    .option("--temperature <x>", "sampling temperature ≥ 0 (0 = greedy)", parseNonNegative, 1)
    .option("--top-k <n>", "keep the k most likely tokens (0 = all)", parseNonNegativeInt, 0)
    .option("--top-p <x>", "nucleus sampling mass in (0, 1]", numberIn(0, 1, "lo"), 1)
    .option("--json", 'print one JSON object per line: {"prompt", "completion"}')
    .action(async (o) => {
      await initEngine();
      const lm = await CausalLM.load(o.model ?? defaultModelDir("text"));
      const outs = await lm.generateMany(o.prompt, {
        n: o.n,
        seed: o.seed,
        maxNewTokens: o.maxNewTokens,
        temperature: o.temperature,
        topK: o.topK,
        topP: o.topP,
      });
      for (const c of outs) {
        console.log(
          o.json ? JSON.stringify({ prompt: o.prompt, completion: c }) : `${o.prompt}${c}`,
        );
      }
      lm.dispose();
    });
}
