/** `prefopt export trl`: hand a DPO run to TRL and accelerate for a multi-GPU machine. */
import type { Command } from "commander";
import { exportTrl, TRL_LOSS_TYPES } from "../../pipelines/trl-export.js";
import { parseCount, parseNonNegative, parsePositive } from "../options.js";

export function registerExport(program: Command): void {
  const exp = program.command("export").description("Export a run for other trainers.");
  exp
    .command("trl")
    .description(
      "Write what TRL and accelerate read unchanged — OUT/model (Hugging Face layout), OUT/data/{train,test}.jsonl " +
        "(the preference rows, split as prefopt dpo splits them), OUT/accelerate.yaml (one machine, N GPUs, DDP, bf16) " +
        "and OUT/launch.sh — and print the `trl dpo …` and `accelerate launch …` commands with the run's β, loss type, " +
        "lengths, learning rate, schedule, batch size and epochs (from --run, or --model when it is a prefopt dpo " +
        "--out directory, else prefopt dpo's defaults; the flags below override).",
    )
    .requiredOption("--model <dir>", "Hugging Face model directory to train")
    .requiredOption("--data <file>", "preference JSONL (TRL formats)")
    .requiredOption("--out <dir>", "output directory")
    .option("--run <dir>", "a prefopt dpo --out directory whose recorded settings to use")
    .option("--num-processes <n>", "GPUs on the machine (accelerate processes)", parseCount, 8)
    .option("--beta <b>", "KL strength β", parsePositive)
    .option("--loss-type <t>", TRL_LOSS_TYPES.join(" | "))
    .option("--label-smoothing <e>", "label smoothing ε", parseNonNegative)
    .option("--lr <lr>", "peak learning rate", parsePositive)
    .option("--batch-size <n>", "global batch (pairs per update, over all GPUs)", parseCount)
    .option("--epochs <n>", "epochs", parsePositive)
    .option("--max-length <n>", "prompt + completion tokens at most", parseCount)
    .option("--max-prompt-length <n>", "prompt tokens at most", parseCount)
    .option("--eval-fraction <f>", "share of rows held out as test.jsonl", parseNonNegative)
    .action(async (o) => {
      const r = await exportTrl({
        model: o.model,
        data: o.data,
        out: o.out,
        run: o.run,
        numProcesses: o.numProcesses,
        settings: {
          beta: o.beta,
          lossType: o.lossType,
          labelSmoothing: o.labelSmoothing,
          lr: o.lr,
          batchSize: o.batchSize,
          epochs: o.epochs,
          maxLength: o.maxLength,
          maxPromptLength: o.maxPromptLength,
          evalFraction: o.evalFraction,
        },
      });
      const s = r.settings;
      console.error(
        `export trl: ${r.trainRows} train / ${r.testRows} test rows; settings from ${r.settingsFrom}: ` +
          `β ${s.beta}, loss ${s.lossType}, max_length ${s.maxLength}, max_prompt_length ${s.maxPromptLength}, ` +
          `lr ${s.lr}, global batch ${s.batchSize} = ${r.perDeviceBatch} per GPU × ${o.numProcesses} GPUs × ${r.gradientAccumulation} accumulation`,
      );
      console.error(
        `wrote ${o.out}/{model,data,accelerate.yaml,launch.sh}; run on the GPU machine:`,
      );
      console.log(r.trlCommand);
      console.error("or, equivalently:");
      console.log(r.accelerateCommand);
    });
}
