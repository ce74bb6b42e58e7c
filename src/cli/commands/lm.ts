/** `prefopt pretrain`, `prefopt sft`, `prefopt generate`: the language-model commands. */
import type { Command } from "commander";
import { loadSFTJsonl, positiveReviewSFT } from "../../data/sft-data.js";
import { initEngine } from "../../engine/init.js";
import { defaultModelDir } from "../../models/default-model.js";
import { CausalLM } from "../../models/lm/causal-lm.js";
import { PRETRAIN_DEFAULTS, pretrain } from "../../pipelines/pretrain.js";
import { SFT_DEFAULTS, sft } from "../../pipelines/sft.js";
import { parseInteger, parseNumber } from "../options.js";

export function registerLM(program: Command): void {
  const d = PRETRAIN_DEFAULTS;
  program
    .command("pretrain")
    .description(
      "Build the text model from a seed (the recipe of the bundled one): movie-review corpus → byte-level BPE → small GPT-2, " +
        "with held-out perplexity against a unigram baseline.",
    )
    .option(
      "--out <dir>",
      "model directory to write (--out models/text-base rebuilds the bundled model)",
      "runs/text-base",
    )
    .option("--seed <n>", "random seed", parseInteger, d.seed)
    .option("--sentences <n>", "training sentences", parseInteger, d.sentences)
    .option("--held-out <n>", "held-out sentences", parseInteger, d.heldOut)
    .option("--vocab-size <n>", "BPE vocabulary size", parseInteger, d.vocabSize)
    .option("--layers <n>", "transformer layers", parseInteger, d.nLayer)
    .option("--width <n>", "model width", parseInteger, d.dModel)
    .option("--heads <n>", "attention heads", parseInteger, d.nHead)
    .option("--context <n>", "context length", parseInteger, d.context)
    .option("--batch-size <n>", "rows per step", parseInteger, d.batchSize)
    .option("--steps <n>", "optimiser steps", parseInteger, d.steps)
    .option("--lr <x>", "peak learning rate", parseNumber, d.lr)
    .option("--warmup-steps <n>", "linear warm-up steps", parseInteger, d.warmupSteps)
    .option("--run-dir <dir>", "checkpoints and training metrics", "runs/pretrain")
    .option("--save-every <n>", "checkpoint every n steps", parseInteger, d.saveEvery)
    .option("--resume", "continue from the latest checkpoint in --run-dir")
    .option("--json", "print the report as one JSON object")
    .action(async (o) => {
      const r = await pretrain({
        runDir: o.runDir,
        saveEvery: o.saveEvery,
        resume: o.resume,
        out: o.out,
        seed: o.seed,
        sentences: o.sentences,
        heldOut: o.heldOut,
        vocabSize: o.vocabSize,
        nLayer: o.layers,
        dModel: o.width,
        nHead: o.heads,
        context: o.context,
        batchSize: o.batchSize,
        steps: o.steps,
        lr: o.lr,
        warmupSteps: o.warmupSteps,
        log: (s) => process.stderr.write(`${s}\n`),
      });
      if (o.json) {
        console.log(JSON.stringify(r));
        return;
      }
      console.log(
        `\nwrote ${o.out} in ${r.seconds.toFixed(0)} s (${r.steps} steps, ${r.params} parameters)`,
      );
      console.log(
        `held-out perplexity ${r.heldOutPerplexity.toFixed(2)}  (unigram baseline ${r.unigramPerplexity.toFixed(2)})`,
      );
      console.log("samples:");
      for (const s of r.samples) console.log(`  ${s}`);
    });

  const sd = SFT_DEFAULTS;
  program
    .command("sft")
    .description(
      "Supervised fine-tuning on TRL JSONL ({prompt, completion} or {messages}; loss on completions only). " +
        "Without --data: the built-in positive-review set (preferred-FT of the text world).",
    )
    .option("--model <dir>", "model directory to start from (default: the bundled text model)")
    .option("--data <file.jsonl>", "training data in TRL format")
    .option("--examples <n>", "size of the built-in set when no --data", parseInteger, 2000)
    .requiredOption("--out <dir>", "output directory (model, checkpoints, metrics.jsonl)")
    .option("--epochs <n>", "passes over the data", parseNumber, sd.epochs)
    .option("--steps <n>", "optimiser steps (overrides --epochs)", parseInteger)
    .option("--batch-size <n>", "examples per step", parseInteger, sd.batchSize)
    .option("--lr <x>", "peak learning rate", parseNumber, sd.lr)
    .option("--max-length <n>", "tokens per example at most", parseInteger, sd.maxLength)
    .option("--save-every <n>", "checkpoint every n steps", parseInteger, sd.saveEvery)
    .option("--seed <n>", "random seed", parseInteger, sd.seed)
    .option("--resume", "continue from the latest checkpoint in --out")
    .option(
      "--skip-nonfinite",
      "roll back and count steps whose loss or gradient is NaN/Inf (default: stop with an error)",
    )
    .action(async (o) => {
      const examples = o.data ? loadSFTJsonl(o.data) : positiveReviewSFT(o.examples, o.seed + 7);
      const r = await sft({
        model: o.model ?? defaultModelDir("text"),
        examples,
        out: o.out,
        epochs: o.epochs,
        steps: o.steps,
        batchSize: o.batchSize,
        lr: o.lr,
        maxLength: o.maxLength,
        saveEvery: o.saveEvery,
        seed: o.seed,
        resume: o.resume,
        onNonFinite: o.skipNonfinite ? "skip" : "stop",
      });
      const ev = r.evalLoss === null ? "" : `, eval loss ${r.evalLoss.toFixed(4)}`;
      console.log(`wrote ${r.out}: ${r.steps} steps, train loss ${r.trainLoss.toFixed(4)}${ev}`);
    });

  program
    .command("generate")
    .description(
      "Sample continuations of a prompt from a causal LM (default: the bundled text model).",
    )
    .option("--model <dir>", "model directory (Hugging Face layout)")
    .requiredOption("--prompt <text>", "prompt text (may be empty)")
    .option("--n <n>", "number of samples", parseInteger, 1)
    .option("--seed <n>", "random seed", parseInteger, 0)
    .option("--max-new-tokens <n>", "tokens to add at most", parseInteger, 32)
    .option("--temperature <x>", "sampling temperature (0 = greedy)", parseNumber, 1)
    .option("--top-k <n>", "keep the k most likely tokens (0 = all)", parseInteger, 0)
    .option("--top-p <x>", "nucleus sampling mass", parseNumber, 1)
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
