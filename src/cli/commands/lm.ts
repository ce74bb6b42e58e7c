/** `prefopt pretrain`, `prefopt sft`, `prefopt generate`: the language-model commands. */
import type { Command } from "commander";
import { initEngine } from "../../engine/init.js";
import { defaultModelDir } from "../../models/default-model.js";
import { CausalLM } from "../../models/lm/causal-lm.js";
import { PRETRAIN_DEFAULTS, pretrain } from "../../pipelines/pretrain.js";
import { parseInteger, parseNumber } from "../options.js";

export function registerLM(program: Command): void {
  const d = PRETRAIN_DEFAULTS;
  program
    .command("pretrain")
    .description(
      "Build the bundled text model from a seed: movie-review corpus → byte-level BPE → small GPT-2, " +
        "with held-out perplexity against a unigram baseline.",
    )
    .option("--out <dir>", "model directory to write", defaultModelDir("text"))
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
    .option("--json", "print the report as one JSON object")
    .action(async (o) => {
      const r = await pretrain({
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
