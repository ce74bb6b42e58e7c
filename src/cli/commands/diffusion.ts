/**
 * `prefopt diffusion train | sample | sdedit | eval | classifier`: the
 * text-to-digit diffusion model, its sampler, and the digit classifier that
 * judges it.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { writeFileAtomic } from "../../engine/atomic.js";
import { UserError } from "../../engine/errors.js";
import { initEngine } from "../../engine/init.js";
import { readGrayPng, writeGrayPng } from "../../engine/png.js";
import { evaluatePromptFollowing } from "../../eval/diffusion-eval.js";
import { wilsonInterval } from "../../eval/win-rate.js";
import { defaultModelDir } from "../../models/default-model.js";
import { generateImages } from "../../models/diffusion/generate.js";
import { defaultDiffusionConfig, loadDiffusion } from "../../models/diffusion/model.js";
import { sdedit } from "../../models/diffusion/sdedit.js";
import { loadClassifier } from "../../models/vision/digit-classifier.js";
import { CLASSIFIER_TRAIN_DEFAULTS, runClassifierTrain } from "../../pipelines/classifier-train.js";
import { DIFFUSION_TRAIN_DEFAULTS, runDiffusionTrain } from "../../pipelines/diffusion-train.js";
import { writeImageGrid } from "../../report/image-grid.js";
import {
  addTrainingOptions,
  numberIn,
  parseCount,
  parseNonNegative,
  parseNonNegativeInt,
  parseNumberOrInfinity,
  runTrainingCommand,
} from "../options.js";
import { registerDiffusionPreference } from "./diffusion-dpo.js";

function parseMethod(v: string): "ddpm" | "ddim" {
  if (v !== "ddpm" && v !== "ddim")
    throw new UserError(`--sampler: expected ddpm or ddim, got "${v}"`);
  return v;
}

async function writeOutputs(
  images: Float32Array,
  n: number,
  o: { out?: string; outDir?: string },
  prefix = "sample",
) {
  const S = 28;
  if (o.outDir) {
    mkdirSync(o.outDir, { recursive: true });
    for (let i = 0; i < n; i++) {
      writeGrayPng(
        join(o.outDir, `${prefix}-${String(i).padStart(3, "0")}.png`),
        images.subarray(i * S * S, (i + 1) * S * S),
        S,
        S,
      );
    }
    console.log(`wrote ${n} images to ${o.outDir}`);
  }
  if (o.out || !o.outDir) {
    const path = o.out ?? "grid.png";
    writeImageGrid(path, images, n, S, S, { scale: 3 });
    console.log(`wrote ${path}`);
  }
}

export function registerDiffusion(program: Command): void {
  const diffusion = program
    .command("diffusion")
    .description(
      "Text-to-digit diffusion: train the model, sample from it, edit images (SDEdit), evaluate it; preference pairs, Diffusion-DPO and A-vs-B comparisons.",
    );
  const d = DIFFUSION_TRAIN_DEFAULTS;

  const train = diffusion
    .command("train")
    .description(
      "Train the UNet + text encoder on captioned MNIST (the recipe of the bundled base model).",
    );
  addTrainingOptions(
    train,
    {
      out: "runs/image",
      steps: d.steps,
      lr: d.lr,
      batchSize: d.batchSize,
      warmupSteps: d.warmupSteps,
      saveEvery: d.saveEvery,
      seed: d.seed,
      skipNonfinite: true,
    },
    {
      out: "model directory to write (checkpoints, metrics.jsonl, config.json, model.safetensors, curves.png; --out models/image-base rebuilds the bundled model); re-running with the same --out continues from its latest checkpoint",
      batchSize: "images per step",
    },
  )
    .option(
      "--ema <x>",
      "EMA decay of the saved weights, in [0, 1)",
      numberIn(0, 1, "hi"),
      d.emaDecay,
    )
    .option(
      "--caption-dropout <p>",
      "probability of the null caption",
      numberIn(0, 1),
      d.captionDropout,
    )
    .option(
      "--min-snr-gamma <x>",
      "Min-SNR-γ loss weighting: each example's ε loss × min(SNR, γ)/SNR (Infinity: the plain ε loss)",
      parseNumberOrInfinity,
      d.minSnrGamma,
    )
    .option(
      "--attention-heads <n>",
      "add a self-attention block with n heads at 7×7 (0: none; about +30% time per step)",
      parseNonNegativeInt,
      0,
    )
    .action(async (o) => {
      await initEngine();
      await runTrainingCommand(
        train,
        o,
        (f) =>
          runDiffusionTrain({
            ...f,
            emaDecay: o.ema,
            captionDropout: o.captionDropout,
            minSnrGamma: o.minSnrGamma,
            ...(o.attentionHeads > 0
              ? {
                  config: {
                    unet: { ...defaultDiffusionConfig().unet, attention: o.attentionHeads },
                  },
                }
              : {}),
          }),
        (r) => {
          console.log(
            `wrote ${o.out} (${r.status}) in ${r.seconds.toFixed(0)} s, final loss ${r.finalLoss.toFixed(4)}`,
          );
        },
      );
    });

  diffusion
    .command("sample")
    .description('Generate digits from a text prompt, e.g. --prompt "a thick 7 leaning right".')
    .requiredOption("--prompt <text>", "the caption to draw")
    .option("--model <dir>", "diffusion model directory (default: the bundled base model)")
    .option("--n <n>", "number of images", parseCount, 16)
    .option("--seed <n>", "random seed (same seed, same images)", parseNonNegativeInt, 0)
    .option("--steps <k>", "denoising steps", parseCount, 50)
    .option("--guidance <g>", "classifier-free guidance scale", parseNonNegative, 3)
    .option("--negative <text>", "negative prompt (replaces the null prompt in guidance)")
    .option(
      "--sampler <name>",
      "ddpm (ancestral, respaced to --steps) or ddim",
      parseMethod,
      "ddpm",
    )
    .option("--eta <x>", "DDIM stochasticity η in [0, 1]", numberIn(0, 1), 0)
    .option("--out <file>", "grid PNG to write (default grid.png when --out-dir is not given)")
    .option("--out-dir <dir>", "write each image as its own 28×28 grayscale PNG")
    .action(async (o) => {
      await initEngine();
      const model = loadDiffusion(o.model ?? defaultModelDir("image"));
      const images = await generateImages(model, o.prompt, o.n, {
        seed: o.seed,
        steps: o.steps,
        guidance: o.guidance,
        negativePrompt: o.negative,
        method: o.sampler,
        eta: o.eta,
      });
      await writeOutputs(images, o.n, o);
    });

  diffusion
    .command("sdedit")
    .description("Edit images under a new prompt (SDEdit): noise them to a strength, then denoise.")
    .argument("<images...>", "28×28 grayscale PNGs (white on black)")
    .requiredOption("--prompt <text>", "the new caption")
    .option("--model <dir>", "diffusion model directory (default: the bundled base model)")
    .option(
      "--strength <s>",
      "fraction of the diffusion to redo, in (0, 1]",
      numberIn(0, 1, "lo"),
      0.75,
    )
    .option("--negative <text>", "negative prompt")
    .option("--seed <n>", "random seed", parseNonNegativeInt, 0)
    .option("--steps <k>", "denoising steps over the full schedule", parseCount, 50)
    .option("--guidance <g>", "classifier-free guidance scale", parseNonNegative, 3)
    .option("--out <file>", "grid PNG to write")
    .option("--out-dir <dir>", "write each edited image as its own PNG")
    .action(async (files: string[], o) => {
      await initEngine();
      const model = loadDiffusion(o.model ?? defaultModelDir("image"));
      const S = model.config.imageSize;
      const pixels = new Float32Array(files.length * S * S);
      files.forEach((f, i) => {
        const img = readGrayPng(f);
        if (img.width !== S || img.height !== S)
          throw new UserError(`${f}: image is ${img.width}×${img.height}, expected ${S}×${S}`);
        pixels.set(img.pixels, i * S * S);
      });
      const out = await sdedit(model, pixels, o.prompt, {
        strength: o.strength,
        negativePrompt: o.negative,
        seed: o.seed,
        steps: o.steps,
        guidance: o.guidance,
      });
      await writeOutputs(out, files.length, o, "edit");
    });

  const c = CLASSIFIER_TRAIN_DEFAULTS;
  const classifier = diffusion
    .command("classifier")
    .description(
      "Train the MNIST digit classifier that judges generated digits (the recipe of the bundled one).",
    );
  addTrainingOptions(
    classifier,
    {
      out: "runs/digit-classifier",
      steps: c.steps,
      lr: c.lr,
      batchSize: c.batchSize,
      seed: c.seed,
    },
    {
      out: "classifier directory to write (--out models/digit-classifier rebuilds the bundled judge); re-running with the same --out continues from its latest checkpoint",
      batchSize: "images per step",
    },
  ).action(async (o) => {
    await initEngine();
    await runTrainingCommand(
      classifier,
      o,
      (f) => runClassifierTrain(f),
      (r) => {
        console.log(
          `wrote ${o.out} in ${r.seconds.toFixed(0)} s: held-out accuracy ${(100 * r.accuracy).toFixed(2)}%`,
        );
      },
    );
  });

  diffusion
    .command("eval")
    .description(
      "Prompt following on held-out prompts: share of images whose classified digit and measured thickness match the prompt.",
    )
    .option("--model <dir>", "diffusion model directory (default: the bundled base model)")
    .option("--classifier <dir>", "digit classifier directory (default: the bundled one)")
    .option("--per-prompt <n>", "images per held-out prompt combination", parseCount, 8)
    .option("--seed <n>", "random seed", parseNonNegativeInt, 0)
    .option("--steps <k>", "denoising steps", parseCount, 50)
    .option("--guidance <g>", "classifier-free guidance scale", parseNonNegative, 3)
    .option(
      "--sampler <name>",
      "ddpm (ancestral, respaced to --steps) or ddim",
      parseMethod,
      "ddpm",
    )
    .option(
      "--grid <file>",
      "write the generated images as a grid PNG (one row per prompt combination)",
    )
    .option("--json <file>", "write the figures and prompts as JSON")
    .action(async (o) => {
      await initEngine();
      const model = loadDiffusion(o.model ?? defaultModelDir("image"));
      const classifier = loadClassifier(o.classifier ?? defaultModelDir("digit-classifier"));
      const t0 = performance.now();
      const r = await evaluatePromptFollowing(model, classifier, {
        perPrompt: o.perPrompt,
        seed: o.seed,
        steps: o.steps,
        guidance: o.guidance,
        method: o.sampler,
      });
      const seconds = (performance.now() - t0) / 1000;
      const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
      // 95% Wilson interval: with ~100 images a figure moves by several points between seeds
      const withCi = (x: number) => {
        const [lo, hi] = wilsonInterval(x, r.n);
        return `${pct(x)}  (95% CI ${pct(lo)}–${pct(hi)})`;
      };
      console.log(
        `held-out prompts: ${r.n} images (${r.n / o.perPrompt} combinations × ${o.perPrompt}) in ${seconds.toFixed(0)} s`,
      );
      console.log(`digit agreement (classifier):     ${withCi(r.digitAgreement)}`);
      console.log(`thickness agreement (measured):   ${withCi(r.thicknessAgreement)}`);
      console.log(`slant agreement (measured):       ${withCi(r.slantAgreement)}`);
      if (o.grid) {
        writeImageGrid(o.grid, r.images, r.n, 28, 28, { cols: o.perPrompt, scale: 2 });
        console.log(`wrote ${o.grid}`);
      }
      if (o.json) {
        const rows = [];
        for (let i = 0; i < r.n; i += o.perPrompt) {
          const predicted = r.predictedDigits.slice(i, i + o.perPrompt);
          rows.push({
            ...r.specs[i],
            prompts: r.prompts.slice(i, i + o.perPrompt),
            predictedDigits: predicted,
            measuredThickness: r.thicknessClasses.slice(i, i + o.perPrompt),
            digitAgreement:
              predicted.filter((d) => d === r.specs[i].digit).length / predicted.length,
          });
        }
        writeFileAtomic(
          o.json,
          `${JSON.stringify(
            {
              digitAgreement: r.digitAgreement,
              digitAgreementCi95: wilsonInterval(r.digitAgreement, r.n),
              thicknessAgreement: r.thicknessAgreement,
              thicknessAgreementCi95: wilsonInterval(r.thicknessAgreement, r.n),
              slantAgreement: r.slantAgreement,
              n: r.n,
              seed: o.seed,
              steps: o.steps,
              guidance: o.guidance,
              sampler: o.sampler,
              rows,
            },
            null,
            2,
          )}\n`,
        );
        console.log(`wrote ${o.json}`);
      }
    });

  // pairs, dpo, compare
  registerDiffusionPreference(diffusion);
}
