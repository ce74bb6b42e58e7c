/**
 * `prefopt diffusion pairs | dpo | compare`: AI-feedback image preference
 * pairs, Diffusion-DPO (and SFT on the winners) on the shared training loop,
 * and A-vs-B win rates on held-out prompts for the lecture's three questions.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { type PixelPair, readImagePairs } from "../../data/image-pairs.js";
import { UserError } from "../../engine/errors.js";
import { initEngine } from "../../engine/init.js";
import { compareDiffusionModels, sideBySide } from "../../eval/diffusion-compare.js";
import { heldOutCombos } from "../../eval/diffusion-eval.js";
import {
  digitWorldJudges,
  type ImageJudge,
  QUESTION_LABEL,
  QUESTIONS,
  type Question,
} from "../../eval/image-judge.js";
import { visionJudge } from "../../eval/image-judge-llm.js";
import {
  generateImagePairs,
  trainingPrompts,
  writeImagePairs,
} from "../../experiments/diffusion-dpo-pairs.js";
import { defaultModelDir } from "../../models/default-model.js";
import { type DiffusionModel, loadDiffusion } from "../../models/diffusion/model.js";
import { loadClassifier } from "../../models/vision/digit-classifier.js";
import {
  DIFFUSION_DPO_DEFAULTS,
  runDiffusionDpo,
  UNET_LORA_TARGETS,
} from "../../pipelines/diffusion-dpo.js";
import { writeImageGrid } from "../../report/image-grid.js";
import { formatDuration, ProgressBar } from "../../train/progress.js";
import { addTrainingOptions, parseInteger, parseNumber, runTrainingCommand } from "../options.js";

const JUDGES = ["digit-world", "vision"] as const;

function oneOf<T extends string>(list: readonly T[]) {
  return (v: string): T => {
    if (!(list as readonly string[]).includes(v))
      throw new InvalidArgumentError(`expected one of ${list.join(", ")}`);
    return v as T;
  };
}

function judgeOptions(cmd: Command): Command {
  return cmd
    .option(
      "--judge <name>",
      "digit-world (the classifier and stroke measures) | vision (an OpenAI-compatible vision model)",
      oneOf(JUDGES),
      "digit-world",
    )
    .option("--classifier <dir>", "digit classifier for --judge digit-world (default: bundled)")
    .option("--judge-url <url>", "OpenAI-compatible base URL for --judge vision (…/v1)")
    .option("--judge-model <name>", "model name for --judge vision")
    .option("--judge-key-env <var>", "environment variable holding the API key", "OPENAI_API_KEY")
    .option("--question-text <text>", "replace the wording of the question asked (--judge vision)")
    .option("--timeout <ms>", "vision judge request timeout", parseInteger, 60000)
    .option("--retries <n>", "vision judge retries", parseInteger, 3);
}

type JudgeCliOptions = {
  judge: (typeof JUDGES)[number];
  classifier?: string;
  judgeUrl?: string;
  judgeModel?: string;
  judgeKeyEnv: string;
  questionText?: string;
  timeout: number;
  retries: number;
};

/** One judge per question (Q1 general, Q2 appeal, Q3 alignment). */
function makeJudges(o: JudgeCliOptions, only?: Question): Record<Question, ImageJudge> {
  if (o.judge === "digit-world")
    return digitWorldJudges(loadClassifier(o.classifier ?? defaultModelDir("digit-classifier")));
  const out = {} as Record<Question, ImageJudge>;
  for (const q of QUESTIONS) {
    out[q] = visionJudge({
      url: o.judgeUrl ?? "",
      model: o.judgeModel ?? "",
      apiKeyEnv: o.judgeKeyEnv,
      question: q,
      questionText: only === undefined || only === q ? o.questionText : undefined,
      timeoutMs: o.timeout,
      retries: o.retries,
    });
  }
  return out;
}

function readPromptFile(file: string): string[] {
  if (!existsSync(file)) throw new UserError(`--prompts: ${file} not found`);
  const lines = readFileSync(file, "utf8").split(/\r?\n/);
  const out: string[] = [];
  lines.forEach((line, i) => {
    const s = line.trim();
    if (!s) return;
    if (s.startsWith("{")) {
      let v: unknown;
      try {
        v = JSON.parse(s);
      } catch (e) {
        throw new UserError(`${file}:${i + 1}: invalid JSON (${(e as Error).message})`);
      }
      const p =
        (v as { prompt?: unknown; caption?: unknown }).prompt ??
        (v as { caption?: unknown }).caption;
      if (typeof p !== "string")
        throw new UserError(`${file}:${i + 1}: field "prompt": expected a string`);
      out.push(p);
    } else out.push(s);
  });
  if (out.length === 0) throw new UserError(`--prompts: ${file} holds no prompt`);
  return out;
}

const SAMPLER = { steps: 25, guidance: 3, method: "ddim" as const };

async function makePairs(
  model: DiffusionModel,
  prompts: string[],
  judge: ImageJudge,
  o: { candidates: number; seed: number; steps: number; guidance: number; allPairs?: boolean },
): Promise<{ pairs: PixelPair[]; ties: number }> {
  const bar = new ProgressBar({ total: prompts.length, label: "pairs" });
  try {
    return await generateImagePairs(model, prompts, judge, {
      candidates: o.candidates,
      allPairs: o.allPairs,
      seed: o.seed,
      steps: o.steps,
      guidance: o.guidance,
      method: SAMPLER.method,
      onProgress: (done) => bar.update(done, {}),
    });
  } finally {
    bar.done();
  }
}

function pairOptions(cmd: Command): Command {
  return cmd
    .option(
      "--prompts <file>",
      "prompts, one per line or JSONL with a prompt field (default: embedded training prompts)",
    )
    .option("--num-prompts <n>", "embedded prompts when no --prompts", parseInteger, 128)
    .option(
      "--candidates <k>",
      "images drawn per prompt; the judge's best and worst become a pair",
      parseInteger,
      4,
    )
    .option(
      "--no-all-pairs",
      "keep only each prompt's best vs worst candidate (default: every decided comparison among its candidates)",
    )
    .option(
      "--question <q>",
      "what the pair judge asks: general (Q1) | appeal (Q2) | alignment (Q3)",
      oneOf(QUESTIONS),
      "general",
    )
    .option("--sample-steps <k>", "DDIM steps per image", parseInteger, SAMPLER.steps)
    .option("--guidance <g>", "classifier-free guidance scale", parseNumber, SAMPLER.guidance);
}

export function registerDiffusionPreference(diffusion: Command): void {
  judgeOptions(
    pairOptions(
      diffusion
        .command("pairs")
        .description(
          "AI-feedback preference pairs: draw --candidates images per prompt, let the judge compare every two; each decided comparison is a pair (ties dropped; --no-all-pairs: best vs worst only). Writes a trainable JSONL, its PNGs and a contact sheet.",
        )
        .requiredOption(
          "--out <file>",
          "pairs JSONL to write (PNGs go to <file>-images/, the sheet to <file>-sheet.png)",
        )
        .option(
          "--model <dir>",
          "diffusion model that draws the candidates (default: the bundled base model)",
        )
        .option("--seed <n>", "random seed", parseInteger, 0),
    ),
  ).action(async (o) => {
    await initEngine();
    const t0 = performance.now();
    const model = loadDiffusion(o.model ?? defaultModelDir("image"));
    const prompts = o.prompts ? readPromptFile(o.prompts) : trainingPrompts(o.numPrompts, o.seed);
    const judge = makeJudges(o, o.question)[o.question as Question];
    const r = await makePairs(model, prompts, judge, {
      candidates: o.candidates,
      allPairs: o.allPairs,
      seed: o.seed,
      steps: o.sampleSteps,
      guidance: o.guidance,
    });
    mkdirSync(dirname(o.out), { recursive: true });
    const sheet = writeImagePairs(o.out, r.pairs, model.config.imageSize);
    console.log(
      `${r.pairs.length} pairs from ${prompts.length} prompts (${r.ties} ties dropped), judge ${judge.name}, in ${formatDuration((performance.now() - t0) / 1000)}`,
    );
    console.log(`wrote ${o.out} and ${sheet}`);
  });

  const d = DIFFUSION_DPO_DEFAULTS;
  const dpo = diffusion
    .command("dpo")
    .description(
      "Diffusion-DPO: tune a diffusion model on image preference pairs (winner and loser at the same noise and timestep, frozen reference). With no --data it first builds AI-feedback pairs on the embedded world (as `diffusion pairs`, written to OUT/pairs.jsonl and reused by a re-run). The output loads with `diffusion sample --model`.",
    );
  addTrainingOptions(
    dpo,
    {
      out: "runs/diffusion-dpo",
      steps: d.steps,
      lr: d.lr,
      batchSize: d.batchSize,
      warmupSteps: d.warmupSteps,
      saveEvery: d.saveEvery,
      evalEvery: d.evalEvery,
      seed: d.seed,
      skipNonfinite: true,
    },
    {
      lr: "learning rate (constant after the warm-up, as the reference code)",
      batchSize: "pairs per step",
    },
  );
  judgeOptions(
    pairOptions(
      dpo
        .option(
          "--model <dir>",
          "base model: starting policy and frozen reference (default: bundled)",
        )
        .option(
          "--data <file>",
          "image pairs JSONL: {prompt, chosen, rejected} or Pick-a-Pic {caption, image_0, image_1, label_0}",
        )
        .option("--sft", "SFT on the winners instead of DPO (the paper's baseline)")
        .option(
          "--beta <x>",
          "β with T·ω(λ_t) folded in (the reference code's beta_dpo 5000 with its ½ is 2500 here; the default 250 with LoRA 16 measured best on the embedded world; 500 for full fine-tuning)",
          parseNumber,
          d.beta,
        )
        .option(
          "--sft-weight <γ>",
          "DPO+SFT: add γ·(winners' denoising error) to the DPO loss (0: plain Diffusion-DPO)",
          parseNumber,
          d.sftWeight,
        )
        .option(
          "--lora-rank <r>",
          "LoRA on the UNet with this rank (0: full fine-tuning)",
          parseInteger,
          d.loraRank,
        )
        .option("--lora-alpha <a>", "LoRA α (default: the rank)", parseNumber)
        .option(
          "--lora-targets <names>",
          "UNet modules to adapt, comma-separated",
          UNET_LORA_TARGETS.join(","),
        )
        .option(
          "--eval-fraction <f>",
          "share of pairs held out for evaluation",
          parseNumber,
          d.evalFraction,
        ),
    ),
  ).action(async (o) => {
    await initEngine();
    const t0 = performance.now();
    const model = loadDiffusion(o.model ?? defaultModelDir("image"));
    let pairs: PixelPair[];
    if (o.data) {
      const r = readImagePairs(o.data, { size: model.config.imageSize });
      pairs = r.pairs.map((p) => ({ prompt: p.prompt, chosen: p.chosen, rejected: p.rejected }));
      console.log(`${o.data}: ${pairs.length} pairs${r.ties ? ` (${r.ties} ties dropped)` : ""}`);
    } else {
      const file = join(o.out, "pairs.jsonl");
      if (existsSync(file) && o.resume !== false) {
        pairs = readImagePairs(file, { size: model.config.imageSize }).pairs;
        console.log(`reusing ${pairs.length} pairs from ${file}`);
      } else {
        const prompts = o.prompts
          ? readPromptFile(o.prompts)
          : trainingPrompts(o.numPrompts, o.seed);
        const judge = makeJudges(o, o.question)[o.question as Question];
        const r = await makePairs(model, prompts, judge, {
          candidates: o.candidates,
          allPairs: o.allPairs,
          seed: o.seed,
          steps: o.sampleSteps,
          guidance: o.guidance,
        });
        mkdirSync(o.out, { recursive: true });
        const sheet = writeImagePairs(file, r.pairs, model.config.imageSize);
        // train on the pairs as written (8-bit PNGs), as a re-run that reuses the file does:
        // an interrupted run then resumes on the same data it started on
        pairs = readImagePairs(file, { size: model.config.imageSize }).pairs;
        console.log(
          `${pairs.length} AI-feedback pairs from ${prompts.length} prompts (${r.ties} ties dropped), judge ${judge.name}, in ${formatDuration((performance.now() - t0) / 1000)}; wrote ${file} and ${sheet}`,
        );
      }
    }
    const r = await runTrainingCommand(dpo, o, (f) =>
      runDiffusionDpo({
        ...f,
        model,
        pairs,
        mode: o.sft ? "sft" : "dpo",
        beta: o.beta,
        sftWeight: o.sftWeight,
        evalFraction: o.evalFraction,
        lora: {
          rank: o.loraRank,
          alpha: o.loraAlpha,
          targets: String(o.loraTargets)
            .split(",")
            .map((x: string) => x.trim())
            .filter(Boolean),
        },
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    if (o.json) {
      console.log(JSON.stringify({ out: o.out, ...r, secondsInAll: seconds }));
      return;
    }
    console.log(
      `wrote ${o.out} (${r.status}, ${r.steps} steps on ${r.trainPairs} pairs, ${r.evalPairs} held out) in ${formatDuration(seconds)} in all`,
    );
  });

  judgeOptions(
    diffusion
      .command("compare")
      .description(
        "Win rates of model A over model B on held-out prompt combinations, same seeds and noise for both: Q1 general preference, Q2 visual appeal, Q3 prompt alignment, ties counted half, 95% Wilson intervals; a side-by-side grid.",
      )
      .requiredOption("--a <dir>", "model A (e.g. the tuned model)")
      .option("--b <dir>", "model B (default: the bundled base model)")
      .option("--per-prompt <n>", "images per held-out prompt combination", parseInteger, 8)
      .option("--seed <n>", "random seed (the same for both models)", parseInteger, 1)
      .option("--sample-steps <k>", "DDIM steps per image", parseInteger, SAMPLER.steps)
      .option("--guidance <g>", "classifier-free guidance scale", parseNumber, SAMPLER.guidance)
      .option("--grid <file>", "side-by-side grid PNG: per prompt combination, A's images | B's")
      .option("--json", "print the result as one JSON object"),
  ).action(async (o) => {
    await initEngine();
    const t0 = performance.now();
    const a = loadDiffusion(o.a);
    const bDir = o.b ?? defaultModelDir("image");
    const b = loadDiffusion(bDir);
    const judges = makeJudges(o);
    const bar = new ProgressBar({
      total: 2 * heldOutCombos().length * o.perPrompt,
      label: "compare",
    });
    let r: Awaited<ReturnType<typeof compareDiffusionModels>>;
    try {
      r = await compareDiffusionModels(a, b, judges, {
        perPrompt: o.perPrompt,
        seed: o.seed,
        steps: o.sampleSteps,
        guidance: o.guidance,
        method: SAMPLER.method,
        onProgress: (done) => bar.update(done, {}),
      });
    } finally {
      bar.done();
    }
    const seconds = (performance.now() - t0) / 1000;
    if (o.grid) {
      const g = sideBySide(r, o.perPrompt, a.config.imageSize);
      writeImageGrid(o.grid, g.tiles, g.n, a.config.imageSize, a.config.imageSize, {
        cols: g.cols,
        scale: 2,
      });
    }
    if (o.json) {
      const out: Record<string, unknown> = { a: o.a, b: bDir, n: r.n, seed: o.seed, seconds };
      for (const q of QUESTIONS) {
        const { outcomes: _, ...rest } = r.results[q];
        out[q] = { ...rest, judge: judges[q].name };
      }
      console.log(JSON.stringify(out));
      return;
    }
    console.log(
      `A = ${o.a}  B = ${bDir}: ${r.n} held-out prompts (${r.n / o.perPrompt} combinations × ${o.perPrompt}), same seeds, in ${formatDuration(seconds)}`,
    );
    for (const q of QUESTIONS) {
      const w = r.results[q];
      console.log(
        `${QUESTION_LABEL[q].padEnd(24)} A wins ${w.rate.toFixed(3)}  (95% CI ${w.ci[0].toFixed(3)}–${w.ci[1].toFixed(3)})  ${w.wins} wins, ${w.ties} ties, ${w.losses} losses`,
      );
    }
    if (o.grid) console.log(`wrote ${o.grid}`);
  });
}
