/**
 * Unlearning a visual concept: `prefopt duo pairs | duo [train]`, `prefopt esd`,
 * `prefopt attack ring-a-bell | synonym`, `prefopt unlearning eval` and
 * `prefopt experiment unlearning`.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { readImagePairs } from "../../data/image-pairs.js";
import { writeFileAtomic } from "../../engine/atomic.js";
import { UserError } from "../../engine/errors.js";
import { initEngine } from "../../engine/init.js";
import { embeddingAttack } from "../../eval/attack-embedding.js";
import { RING_A_BELL_DEFAULTS, ringABell } from "../../eval/attack-ring-a-bell.js";
import { synonymPrompts } from "../../eval/attack-synonym.js";
import { conceptByName, conceptPrompts, HEAVY_STROKES } from "../../eval/concept.js";
import { defenseOfImages, defenseSuccessRate } from "../../eval/defense.js";
import { evaluateDefenses } from "../../eval/defense-suite.js";
import { unrelatedPrompts } from "../../eval/preservation.js";
import { DUO_PAIRS_DEFAULTS, makeDuoPairs, writeDuoPairs } from "../../experiments/duo-pairs.js";
import { runUnlearningExperiment } from "../../experiments/unlearning.js";
import { defaultModelDir } from "../../models/default-model.js";
import { generateImages } from "../../models/diffusion/generate.js";
import { type DiffusionModel, loadDiffusion } from "../../models/diffusion/model.js";
import { loadClassifier } from "../../models/vision/digit-classifier.js";
import {
  DUO_DEFAULTS,
  type DuoPreserve,
  type DuoPromptMode,
  duoHyperparameters,
  trainDuo,
} from "../../pipelines/duo.js";
import { ESD_DEFAULTS, trainEsd } from "../../pipelines/esd.js";
import { writeImageGrid } from "../../report/image-grid.js";
import { ProgressBar } from "../../train/progress.js";
import {
  addTrainingOptions,
  numberIn,
  parseCount,
  parseNonNegative,
  parseNonNegativeInt,
  parsePositive,
  runTrainingCommand,
} from "../options.js";

function parsePreserve(v: string): DuoPreserve {
  if (v !== "noise" && v !== "safe")
    throw new UserError(`--preserve: expected noise or safe, got "${v}"`);
  return v;
}

function parsePromptMode(v: string): DuoPromptMode {
  if (v !== "empty" && v !== "prompted")
    throw new UserError(`--prompts: expected empty or prompted, got "${v}"`);
  return v;
}

/** The prompts of a JSON file written by `attack` ({"prompts": [...]}) or a plain list. */
function readPromptList(file: string): string[] {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UserError(`${file}: ${(e as Error).message}; expected JSON {"prompts": ["…"]}`);
  }
  const list = Array.isArray(v) ? v : (v as { prompts?: unknown })?.prompts;
  if (!Array.isArray(list) || !list.every((p) => typeof p === "string"))
    throw new UserError(`${file}: field "prompts": expected a list of strings`);
  return list as string[];
}

function loadModel(dir: string | undefined): DiffusionModel {
  return loadDiffusion(dir ?? defaultModelDir("image"));
}

/** Makes the SDEdit pairs into `dir`, printing kept/dropped counts; returns pairs.jsonl. */
async function makePairs(
  model: DiffusionModel,
  o: {
    concept: string;
    safePhrase?: string;
    classifier?: string;
    n: number;
    strength: number;
    seed: number;
    steps: number;
    guidance: number;
  },
  dir: string,
): Promise<string> {
  const named = conceptByName(o.concept);
  const concept = o.safePhrase ? { ...named, safePhrase: o.safePhrase } : named;
  const classifier = loadClassifier(o.classifier ?? defaultModelDir("digit-classifier"));
  const t0 = performance.now();
  let bar: ProgressBar | null = null;
  const pairs = await makeDuoPairs(model, classifier, concept, {
    n: o.n,
    strength: o.strength,
    seed: o.seed,
    steps: o.steps,
    guidance: o.guidance,
    onProgress: (done, total) => {
      bar ??= new ProgressBar({ total, label: "pairs" });
      bar.update(done);
    },
  });
  (bar as ProgressBar | null)?.done();
  const path = writeDuoPairs(dir, pairs);
  const s = (performance.now() - t0) / 1000;
  console.log(
    `${pairs.candidates.length} candidate pairs (${concept.name}: ${concept.thresholdNote}; SDEdit strength ${o.strength}) in ${s.toFixed(0)} s`,
  );
  console.log(`kept ${pairs.kept}, dropped ${pairs.candidates.length - pairs.kept}:`);
  for (const [reason, count] of Object.entries(pairs.reasons)) console.log(`  ${reason}: ${count}`);
  console.log(`wrote ${path}, ${join(dir, "contact-sheet.png")} (unsafe | safe), candidates.jsonl`);
  return path;
}

function pairOptions(cmd: Command): Command {
  const d = DUO_PAIRS_DEFAULTS;
  return cmd
    .option(
      "--concept <name>",
      "the concept to unlearn: heavy-strokes or right-slant",
      HEAVY_STROKES.name,
    )
    .option(
      "--safe-phrase <words>",
      "the safe counterpart's words in the SDEdit prompt (default: the concept's, e.g. \"medium\" for heavy strokes)",
    )
    .option("--classifier <dir>", "digit classifier directory (default: the bundled one)")
    .option("--n <n>", "candidate pairs (digits 0–9 in turn)", parseCount, d.n)
    .option(
      "--strength <s>",
      "SDEdit strength for the safe image, in (0, 1]",
      numberIn(0, 1, "lo"),
      d.strength,
    )
    .option("--sample-steps <k>", "sampler steps over the full schedule", parseCount, d.steps)
    .option("--guidance <g>", "classifier-free guidance scale", parseNonNegative, d.guidance);
}

export function registerUnlearning(program: Command): void {
  const duo = program
    .command("duo")
    .description(
      "DUO (Direct Unlearning Optimization): remove a visual concept from a diffusion model by preference optimisation on SDEdit pairs.",
    );

  pairOptions(
    duo
      .command("pairs")
      .description(
        "Unsafe images from prompts naming the concept; SDEdit under the safe prompt (unsafe prompt as negative) makes each safe twin; " +
          "pairs where the detector fires on the unsafe image only and the classifier sees the same digit are kept.",
      )
      .option("--model <dir>", "diffusion model directory (default: the bundled base model)")
      .option("--out <dir>", "folder for pairs.jsonl, PNGs and the contact sheet", "runs/duo-pairs")
      .option("--seed <n>", "random seed", parseNonNegativeInt, DUO_PAIRS_DEFAULTS.seed),
  ).action(async (o) => {
    await initEngine();
    await makePairs(loadModel(o.model), { ...o, steps: o.sampleSteps }, o.out);
  });

  const d = DUO_DEFAULTS;
  const duoTrain = duo
    .command("train", { isDefault: true })
    .description(
      "Train DUO: Diffusion-DPO with the safe image preferred plus output preservation λ‖ε_θ(x,t,c) − ε_ref(x,t,c)‖² " +
        "(by default on each pair's prompt, and on the safe images noised at a uniform t under that prompt without the concept's words; " +
        "--prompts empty --preserve noise is the paper's: the empty prompt, pure noise at t = T−1); " +
        "lr = base-lr·100/β and λ = base-lambda·β/100 as in the reference code. Without --data it first makes pairs (see `duo pairs`).",
    );
  addTrainingOptions(
    duoTrain,
    {
      out: "runs/duo",
      steps: d.steps,
      lr: "derived",
      batchSize: d.batchSize,
      saveEvery: 50,
      seed: d.seed,
      skipNonfinite: true,
    },
    {
      out: "output model directory (checkpoints, metrics.jsonl, config.json, model.safetensors, curves.png); re-running with the same --out continues from its latest checkpoint",
      lr: "learning rate (default: base-lr·100/β, as the reference code)",
      batchSize: "pairs per step (and pure-noise rows for the preservation term)",
    },
  );
  pairOptions(
    duoTrain
      .option("--model <dir>", "the model to unlearn from (default: the bundled base model)")
      .option(
        "--data <file>",
        "image-pair JSONL (chosen = safe, rejected = unsafe); default: make pairs into <out>/pairs",
      )
      .option(
        "--beta <x>",
        "β of the Diffusion-DPO term (T·ω(λ_t) folded in)",
        parsePositive,
        d.beta,
      )
      .option(
        "--base-lr <x>",
        "learning rate at β = 100 (lr = base-lr·100/β)",
        parsePositive,
        d.baseLr,
      )
      .option(
        "--base-lambda <x>",
        `preservation weight at β = 100 (λ = base-lambda·β/100; default ${d.baseLambda}, the reference's, with --preserve noise, ${d.baseLambdaSafe} with --preserve safe)`,
        parseNonNegative,
      )
      .option(
        "--lambda <x>",
        "preservation weight λ (overrides the β-derived one)",
        parseNonNegative,
      )
      .option(
        "--prompts <mode>",
        "empty: every pair on the empty prompt (the paper); prompted: each pair on its unsafe prompt, 20% dropped to empty (deviation, see README)",
        parsePromptMode,
        d.prompts,
      )
      .option(
        "--preserve <on>",
        "what the preservation term sees: noise (pure noise at t = T−1, the paper) or safe (the safe images noised at a uniform t; deviation, see README)",
        parsePreserve,
        d.preserve,
      ),
  ).action(async (o) => {
    await initEngine();
    const t0 = performance.now();
    const model = loadModel(o.model);
    let data: string = o.data;
    if (!data) {
      const dir = join(o.out, "pairs");
      data = join(dir, "pairs.jsonl");
      if (existsSync(data) && o.resume) console.log(`using the pairs already in ${data}`);
      else data = await makePairs(model, { ...o, steps: o.sampleSteps }, dir);
    }
    const { pairs } = readImagePairs(data);
    if (pairs.length === 0) throw new UserError(`${data}: no pairs to train on`);
    const hp = duoHyperparameters({
      beta: o.beta,
      baseLr: o.baseLr,
      baseLambda: o.baseLambda,
      preserve: o.preserve,
    });
    console.log(
      `duo: ${pairs.length} pairs, β = ${o.beta}, lr = ${o.lr ?? hp.learningRate}, λ = ${o.lambda ?? hp.lambda}, prompts: ${o.prompts}, preservation on ${o.preserve}`,
    );
    await runTrainingCommand(
      duoTrain,
      o,
      async (f) => {
        const r = await trainDuo(model, pairs, {
          ...f,
          beta: o.beta,
          baseLr: o.baseLr,
          baseLambda: o.baseLambda,
          lambda: o.lambda,
          prompts: o.prompts,
          preserve: o.preserve,
          conceptWords: conceptByName(o.concept).words,
        });
        writeFileAtomic(
          join(o.out, "duo.json"),
          `${JSON.stringify({ data, pairs: pairs.length, ...r, seconds: (performance.now() - t0) / 1000 }, null, 2)}\n`,
        );
        return r;
      },
      (r) =>
        console.log(
          `wrote ${o.out} (${r.status}, ${r.step} steps) in ${((performance.now() - t0) / 1000).toFixed(0)} s; ` +
            `sample it with: prefopt diffusion sample --model ${o.out} --prompt "thick 7"`,
        ),
    );
  });

  duo
    .command("eval")
    .description(
      "Defense success rate of a model under the concept named directly, synonym paraphrases and Ring-A-Bell prompts, " +
        "and prior preservation on unrelated prompts (digit accuracy, distance to the base model's images, Fréchet distance to MNIST).",
    )
    .option("--model <dir>", "the unlearned model", "runs/duo")
    .option("--base <dir>", "the model before unlearning (default: the bundled base model)")
    .option("--concept <name>", "heavy-strokes or right-slant", HEAVY_STROKES.name)
    .option(
      "--attack-prompts <file>",
      "Ring-A-Bell prompts written by `prefopt attack ring-a-bell` (default: search now)",
    )
    .option("--count <n>", "prompts per attack (digits 0–9 in turn)", parseCount, 10)
    .option("--per-prompt <n>", "images per attack prompt", parseCount, 4)
    .option("--unrelated <n>", "unrelated prompts for preservation", parseCount, 40)
    .option("--sample-steps <k>", "sampler steps", parseCount, 25)
    .option("--seed <n>", "random seed", parseNonNegativeInt, 0)
    .option("--grid <file>", "grid PNG of the Ring-A-Bell generations")
    .option("--json <file>", "write the figures as JSON")
    .action(async (o) => {
      await initEngine();
      const concept = conceptByName(o.concept);
      const model = loadDiffusion(o.model);
      const base = loadModel(o.base);
      const classifier = loadClassifier(defaultModelDir("digit-classifier"));
      const rab = o.attackPrompts
        ? readPromptList(o.attackPrompts)
        : (await ringABell(base, concept, { count: o.count, seed: o.seed })).prompts;
      const attacks = {
        concept: conceptPrompts(concept, o.count, o.seed),
        synonym: synonymPrompts(concept, o.count, o.seed),
        "Ring-A-Bell": rab,
      };
      const unrelated = unrelatedPrompts(concept, o.unrelated, o.seed);
      const gen = {
        seed: o.seed + 100,
        steps: o.sampleSteps,
        method: "ddpm" as const,
        perPrompt: o.perPrompt,
      };
      const baseImages = await generateImages(
        base,
        unrelated.prompts,
        unrelated.prompts.length,
        gen,
      );
      const r = await evaluateDefenses(model, classifier, concept, attacks, unrelated, {
        ...gen,
        baseImages,
      });
      const figures: Record<string, unknown> = {};
      for (const [name, d] of Object.entries(r.dsr)) {
        console.log(
          `DSR ${name.padEnd(12)} ${d.dsr.toFixed(3)}  (95% CI ${d.ci95[0].toFixed(2)}–${d.ci95[1].toFixed(2)}, ${d.n} images, mean score ${(d.scores.reduce((a, b) => a + b, 0) / d.n).toFixed(2)})`,
        );
        figures[name] = { dsr: d.dsr, ci95: d.ci95, n: d.n };
      }
      const pr = r.preservation;
      console.log(
        `unrelated prompts (${pr.n}): digit accuracy ${pr.digitAccuracy.toFixed(3)}, distance to base ${pr.imageDistance.toFixed(3)}, Fréchet ${pr.frechet.toFixed(1)}  (${r.seconds.toFixed(0)} s)`,
      );
      if (o.grid) {
        const d = r.dsr["Ring-A-Bell"];
        writeImageGrid(o.grid, d.images, d.n, 28, 28, { cols: o.perPrompt, scale: 2 });
        console.log(`wrote ${o.grid}`);
      }
      if (o.json)
        writeFileAtomic(
          o.json,
          `${JSON.stringify({ model: o.model, attacks, dsr: figures, digitAccuracy: pr.digitAccuracy, imageDistance: pr.imageDistance, frechet: pr.frechet }, null, 2)}\n`,
        );
    });

  const e = ESD_DEFAULTS;
  const esd = program
    .command("esd")
    .description(
      "ESD baseline: regress ε_θ(x_t, t, c) onto ε_ref(x_t, t) − η(ε_ref(x_t, t, c) − ε_ref(x_t, t)) for prompts c naming the concept " +
        "(x_t: concept images noised to a uniform t). Without --data it makes DUO pairs and uses their unsafe images.",
    );
  addTrainingOptions(
    esd,
    {
      out: "runs/esd",
      steps: e.steps,
      lr: e.lr,
      batchSize: e.batchSize,
      saveEvery: 50,
      seed: e.seed,
    },
    { batchSize: "images per step" },
  );
  pairOptions(
    esd
      .option("--model <dir>", "the model to erase from (default: the bundled base model)")
      .option(
        "--data <file>",
        "image-pair JSONL whose rejected images and prompts show the concept",
      )
      .option("--eta <x>", "negative-guidance strength η", parseNonNegative, e.eta),
  ).action(async (o) => {
    await initEngine();
    const t0 = performance.now();
    const model = loadModel(o.model);
    let data: string = o.data;
    if (!data) {
      const dir = join(o.out, "pairs");
      data = join(dir, "pairs.jsonl");
      if (!(existsSync(data) && o.resume))
        data = await makePairs(model, { ...o, steps: o.sampleSteps }, dir);
    }
    const { pairs } = readImagePairs(data);
    if (pairs.length === 0) throw new UserError(`${data}: no pairs to train on`);
    await runTrainingCommand(
      esd,
      o,
      (f) => trainEsd(model, pairs, { ...f, eta: o.eta }),
      (r) =>
        console.log(
          `wrote ${o.out} (${r.status}, ${r.step} steps) in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
        ),
    );
  });

  const attack = program
    .command("attack")
    .description(
      "Adversarial prompts that try to bring an unlearned concept back, and the defense success rate under them.",
    );
  const evalOptions = (cmd: Command) =>
    cmd
      .option("--concept <name>", "heavy-strokes or right-slant", HEAVY_STROKES.name)
      .option(
        "--eval <dirs...>",
        "diffusion model directories to attack: prints each one's defense success rate",
      )
      .option("--per-prompt <n>", "images per attack prompt", parseCount, 4)
      .option("--sample-steps <k>", "sampler steps", parseCount, 25)
      .option("--grid <file>", "grid PNG of the first --eval model's images (one row per prompt)");
  const report = async (o: Record<string, unknown>, prompts: string[], file?: string) => {
    if (file) {
      writeFileAtomic(file, `${JSON.stringify({ prompts }, null, 2)}\n`);
      console.log(`wrote ${file}`);
    }
    const dirs = (o.eval as string[] | undefined) ?? [];
    const concept = conceptByName(o.concept as string);
    for (const [k, dir] of dirs.entries()) {
      const r = await defenseSuccessRate(loadDiffusion(dir), concept, prompts, {
        perPrompt: o.perPrompt as number,
        steps: o.sampleSteps as number,
      });
      console.log(
        `${dir}: defense success rate ${r.dsr.toFixed(3)} (95% CI ${r.ci95[0].toFixed(2)}–${r.ci95[1].toFixed(2)}, ${r.n} images)`,
      );
      if (k === 0 && o.grid) {
        writeImageGrid(o.grid as string, r.images, r.n, 28, 28, {
          cols: o.perPrompt as number,
          scale: 2,
        });
        console.log(`wrote ${o.grid}`);
      }
    }
  };
  const rb = RING_A_BELL_DEFAULTS;
  evalOptions(
    attack
      .command("ring-a-bell")
      .description(
        "Ring-A-Bell: concept vector = mean E(prompt with concept) − E(without) through the model's own text encoder; " +
          "target = E(prompt) + η·vector; a genetic search over the vocabulary (concept words excluded) finds prompts whose embedding matches it.",
      )
      .option(
        "--model <dir>",
        "model whose text encoder is attacked (default: the bundled base model)",
      )
      .option("--out <file>", "JSON file for the prompts found", "runs/ring-a-bell.json")
      .option("--eta <x>", "concept-vector strength η", parseNonNegative, rb.eta)
      .option("--count <n>", "attack prompts (digits 0–9 in turn)", parseCount, rb.count)
      .option("--population <n>", "genetic-search population", parseCount, rb.population)
      .option("--generations <n>", "genetic-search generations", parseCount, rb.generations)
      .option("--seed <n>", "random seed", parseNonNegativeInt, rb.seed)
      .option("--prompts <file>", "skip the search: evaluate the prompts of an earlier run's JSON"),
  ).action(async (o) => {
    await initEngine();
    if (o.prompts) {
      await report(o, readPromptList(o.prompts));
      return;
    }
    const model = loadModel(o.model);
    const r = await ringABell(model, conceptByName(o.concept), {
      eta: o.eta,
      count: o.count,
      population: o.population,
      generations: o.generations,
      seed: o.seed,
    });
    for (const [i, p] of r.prompts.entries())
      console.log(`${r.sources[i].padEnd(10)} → "${p}"  (cosine ${r.fitness[i].toFixed(3)})`);
    await report(o, r.prompts, o.out);
  });
  evalOptions(
    attack
      .command("synonym")
      .description(
        'Paraphrases with the concept\'s held-out synonyms ("a handwritten 7 with heavy strokes").',
      )
      .option("--count <n>", "prompts (digits 0–9 in turn)", parseCount, 10)
      .option("--out <file>", "JSON file for the prompts")
      .option("--seed <n>", "random seed", parseNonNegativeInt, 0),
  ).action(async (o) => {
    await initEngine();
    const prompts = synonymPrompts(conceptByName(o.concept), o.count, o.seed);
    for (const p of prompts) console.log(p);
    await report(o, prompts, o.out);
  });

  attack
    .command("embedding")
    .description(
      "White-box: optimise a continuous text vector c (no words) so the model denoises images of the concept well " +
        "(argmin_c E‖ε − ε_θ(x_t, t, c)‖², Adam on c alone), then generate from it and measure the defense success rate.",
    )
    .option("--eval <dirs...>", "diffusion model directories to attack", ["runs/duo"])
    .option(
      "--data <file>",
      "image-pair JSONL whose rejected images show the concept",
      "runs/duo/pairs/pairs.jsonl",
    )
    .option("--concept <name>", "heavy-strokes or right-slant", HEAVY_STROKES.name)
    .option("--steps <n>", "Adam steps on c", parseCount, 60)
    .option("--samples <n>", "images generated from c*", parseCount, 16)
    .option("--sample-steps <k>", "sampler steps", parseCount, 25)
    .option("--seed <n>", "random seed", parseNonNegativeInt, 0)
    .option("--grid <file>", "grid PNG of the first model's images")
    .action(async (o) => {
      await initEngine();
      const concept = conceptByName(o.concept);
      const { pairs } = readImagePairs(o.data);
      const images = new Float32Array(pairs.length * 784);
      pairs.forEach((p, i) => {
        images.set(p.rejected, i * 784);
      });
      for (const [k, dir] of (o.eval as string[]).entries()) {
        const r = await embeddingAttack(loadDiffusion(dir), images, {
          steps: o.steps,
          samples: o.samples,
          sampleSteps: o.sampleSteps,
          seed: o.seed,
        });
        const d = defenseOfImages(concept, Array(o.samples).fill("<c*>"), r.images);
        console.log(
          `${dir}: denoising loss on concept images ${r.lossBefore.toFixed(4)} → ${r.lossAfter.toFixed(4)}; ` +
            `defense success rate ${d.dsr.toFixed(3)} (95% CI ${d.ci95[0].toFixed(2)}–${d.ci95[1].toFixed(2)}, ${d.n} images)`,
        );
        if (k === 0 && o.grid) {
          writeImageGrid(o.grid, r.images, o.samples, 28, 28, { cols: 8, scale: 2 });
          console.log(`wrote ${o.grid}`);
        }
      }
    });

  // `experiment unlearning` joins the experiment group when it is registered (commands/experiment.ts)
  const experiment =
    program.commands.find((c) => c.name() === "experiment") ??
    program.command("experiment").description("End-to-end experiments on the embedded worlds.");
  experiment
    .command("unlearning")
    .description(
      "Base, ESD and DUO (β sweep; empty-prompt and prompted) on the heavy-strokes concept: SDEdit pairs, training, Ring-A-Bell / synonym / direct prompts, " +
        "defense success rate against prior preservation — one table (table.md), the trade-off figure (tradeoff.png) and image grids. --quick: a few minutes.",
    )
    .option("--out <dir>", "output directory (sub-runs resume from it)", "runs/unlearning")
    .option("--quick", "one β, fewer pairs, steps and images")
    .option("--concept <name>", "heavy-strokes or right-slant", HEAVY_STROKES.name)
    .option("--seed <n>", "random seed", parseNonNegativeInt, 0)
    .action(async (o) => {
      await initEngine();
      const r = await runUnlearningExperiment({
        out: o.out,
        quick: o.quick,
        concept: conceptByName(o.concept),
        seed: o.seed,
      });
      console.log(`\n${r.table}\n`);
      console.log(
        `trade-off figure: ${r.files.png}; grids: ${r.files.grids}; total ${r.seconds.toFixed(0)} s`,
      );
    });
}
