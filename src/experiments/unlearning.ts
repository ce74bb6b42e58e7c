/**
 * The unlearning experiment (the DUO paper's Table 1 and trade-off plot, in
 * miniature): from the bundled text-to-digit model, make SDEdit pairs for the
 * concept, train ESD and DUO (a β sweep, both prompt modes), find Ring-A-Bell
 * prompts on the shared (frozen) text encoder, and measure every model under
 * the same attacks and seeds — defense success rate for the concept named
 * directly, synonyms/paraphrases and Ring-A-Bell, and prior preservation on
 * unrelated prompts. Writes results.json, table.md, tradeoff.svg/.png and
 * image grids of the attack prompts' generations. Sub-runs resume from `out`.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { readImagePairs } from "../data/image-pairs.js";
import { writeFileAtomic } from "../engine/atomic.js";
import { ringABell } from "../eval/attack-ring-a-bell.js";
import { synonymPrompts } from "../eval/attack-synonym.js";
import { type Concept, conceptPrompts, HEAVY_STROKES } from "../eval/concept.js";
import { evaluateDefenses, type SuiteResult } from "../eval/defense-suite.js";
import { unrelatedPrompts } from "../eval/preservation.js";
import { defaultModelDir } from "../models/default-model.js";
import { generateImages } from "../models/diffusion/generate.js";
import { type DiffusionModel, loadDiffusion } from "../models/diffusion/model.js";
import { loadClassifier } from "../models/vision/digit-classifier.js";
import { type DuoPreserve, type DuoPromptMode, trainDuo } from "../pipelines/duo.js";
import { trainEsd } from "../pipelines/esd.js";
import { writeImageGrid } from "../report/image-grid.js";
import { linePlot, PALETTE } from "../report/svg-plot.js";
import { svgToPng } from "../report/svg-to-png.js";
import { makeDuoPairs, writeDuoPairs } from "./duo-pairs.js";

export type UnlearningVariant = {
  name: string;
  prompts: DuoPromptMode;
  beta: number;
  preserve?: DuoPreserve;
};

export type UnlearningOptions = {
  out: string;
  quick?: boolean;
  concept?: Concept;
  /** DUO runs (default: a β sweep with DUO's defaults, and the paper's empty prompt with preservation on x_T). */
  variants?: UnlearningVariant[];
  seed?: number;
  log?: (line: string) => void;
};

const PRESETS = {
  quick: {
    pairs: 32,
    duoSteps: 40,
    esdSteps: 40,
    attackPrompts: 10,
    perPrompt: 2,
    unrelated: 20,
    generations: 20,
    sampleSteps: 20,
    betas: [500],
    paper: false,
  },
  default: {
    pairs: 64,
    duoSteps: 40,
    esdSteps: 100,
    attackPrompts: 10,
    perPrompt: 4,
    unrelated: 40,
    generations: 40,
    sampleSteps: 25,
    betas: [250, 500, 1000],
    paper: true,
  },
};

export type UnlearningRow = {
  name: string;
  method: "base" | "esd" | "duo";
  beta?: number;
  prompts?: DuoPromptMode;
  preserve?: DuoPreserve;
  dsr: Record<string, number>;
  digitAccuracy: number;
  imageDistance: number;
  frechet: number;
  trainSeconds: number;
  evalSeconds: number;
};

export type UnlearningResult = {
  rows: UnlearningRow[];
  table: string;
  seconds: number;
  files: Record<string, string>;
};

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : "—");

/** The markdown table of an experiment's rows. */
export function unlearningTable(rows: UnlearningRow[], attacks: string[]): string {
  const head = [
    "model",
    ...attacks.map((a) => `DSR ${a}`),
    "digit acc. (unrelated)",
    "distance to base",
    "Fréchet (classifier)",
  ];
  const lines = [
    `| ${head.join(" | ")} |`,
    `| ${head.map((_, i) => (i ? "---:" : "---")).join(" | ")} |`,
  ];
  for (const r of rows) {
    lines.push(
      `| ${[
        r.name,
        ...attacks.map((a) => pct(r.dsr[a])),
        pct(r.digitAccuracy),
        Number.isFinite(r.imageDistance) ? r.imageDistance.toFixed(3) : "0",
        r.frechet.toFixed(1),
      ].join(" | ")} |`,
    );
  }
  return lines.join("\n");
}

export async function runUnlearningExperiment(opts: UnlearningOptions): Promise<UnlearningResult> {
  const t0 = performance.now();
  const p = opts.quick ? PRESETS.quick : PRESETS.default;
  const concept = opts.concept ?? HEAVY_STROKES;
  const seed = opts.seed ?? 0;
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const out = opts.out;
  mkdirSync(join(out, "grids"), { recursive: true });
  const base = loadDiffusion(defaultModelDir("image"));
  const classifier = loadClassifier(defaultModelDir("digit-classifier"));
  const variants: UnlearningVariant[] = opts.variants ?? [
    ...p.betas.map((beta) => ({
      name: `DUO β=${beta}`,
      prompts: "prompted" as const,
      preserve: "safe" as const,
      beta,
    })),
    ...(p.paper
      ? [
          {
            name: "DUO as the paper (empty prompt, x_T) β=1000",
            prompts: "empty" as const,
            preserve: "noise" as const,
            beta: 1000,
          },
        ]
      : []),
  ];

  // 1. pairs
  const pairsFile = join(out, "pairs", "pairs.jsonl");
  if (!existsSync(pairsFile)) {
    log(`making ${p.pairs} SDEdit pairs…`);
    const made = await makeDuoPairs(base, classifier, concept, {
      n: p.pairs,
      seed,
      steps: p.sampleSteps,
    });
    writeDuoPairs(join(out, "pairs"), made);
    log(`kept ${made.kept}/${p.pairs} pairs (${JSON.stringify(made.reasons)})`);
  }
  const { pairs } = readImagePairs(pairsFile);

  // 2. attacks (the text encoder is frozen by ESD and DUO: one search serves every model)
  log("Ring-A-Bell search…");
  const rab = await ringABell(base, concept, {
    count: p.attackPrompts,
    generations: p.generations,
    seed,
  });
  const attacks: Record<string, string[]> = {
    concept: conceptPrompts(concept, p.attackPrompts, seed),
    synonym: synonymPrompts(concept, p.attackPrompts, seed),
    "Ring-A-Bell": rab.prompts,
  };
  writeFileAtomic(
    join(out, "attacks.json"),
    `${JSON.stringify({ ...attacks, ringABellFitness: rab.fitness }, null, 2)}\n`,
  );
  const unrelated = unrelatedPrompts(concept, p.unrelated, seed);
  const gen = {
    seed: seed + 100,
    steps: p.sampleSteps,
    method: "ddpm" as const,
    perPrompt: p.perPrompt,
  };
  const baseImages = await generateImages(base, unrelated.prompts, unrelated.prompts.length, gen);

  // 3. models
  const models: {
    name: string;
    method: UnlearningRow["method"];
    v?: UnlearningVariant;
    train: () => Promise<DiffusionModel>;
    seconds: number;
  }[] = [
    { name: "base", method: "base", train: async () => base, seconds: 0 },
    {
      name: "ESD",
      method: "esd",
      seconds: 0,
      train: async () => {
        const dir = join(out, "esd");
        await trainEsd(base, pairs, { out: dir, steps: p.esdSteps, seed });
        return loadDiffusion(dir);
      },
    },
    ...variants.map((v) => ({
      name: v.name,
      method: "duo" as const,
      v,
      seconds: 0,
      train: async () => {
        const dir = join(out, `duo-${v.prompts}-${v.preserve ?? "safe"}-b${v.beta}`);
        await trainDuo(base, pairs, {
          out: dir,
          beta: v.beta,
          prompts: v.prompts,
          preserve: v.preserve,
          conceptWords: concept.words,
          steps: p.duoSteps,
          seed,
        });
        return loadDiffusion(dir);
      },
    })),
  ];
  const rows: UnlearningRow[] = [];
  const results: Record<string, SuiteResult> = {};
  const names = Object.keys(attacks);
  for (const m of models) {
    const ts = performance.now();
    log(`— ${m.name}`);
    const model = await m.train();
    const trainSeconds = (performance.now() - ts) / 1000;
    const r = await evaluateDefenses(model, classifier, concept, attacks, unrelated, {
      ...gen,
      baseImages,
    });
    results[m.name] = r;
    const row: UnlearningRow = {
      name: m.name,
      method: m.method,
      ...(m.v ? { beta: m.v.beta, prompts: m.v.prompts, preserve: m.v.preserve ?? "safe" } : {}),
      dsr: Object.fromEntries(names.map((a) => [a, r.dsr[a].dsr])),
      digitAccuracy: r.preservation.digitAccuracy,
      imageDistance: m.method === "base" ? 0 : r.preservation.imageDistance,
      frechet: r.preservation.frechet,
      trainSeconds,
      evalSeconds: r.seconds,
    };
    rows.push(row);
    log(
      `${m.name}: ${names.map((a) => `DSR ${a} ${pct(row.dsr[a])}`).join(", ")}; digit acc. ${pct(row.digitAccuracy)}, distance ${row.imageDistance.toFixed(3)}, Fréchet ${row.frechet.toFixed(1)}`,
    );
    const slug = m.name.replace(/[^A-Za-z0-9]+/g, "-").toLowerCase();
    const rb = r.dsr["Ring-A-Bell"];
    writeImageGrid(join(out, "grids", `${slug}-ring-a-bell.png`), rb.images, rb.n, 28, 28, {
      cols: p.perPrompt * 5,
      scale: 2,
    });
    const un = r.preservation;
    writeImageGrid(join(out, "grids", `${slug}-unrelated.png`), un.images, un.n, 28, 28, {
      cols: 10,
      scale: 2,
    });
    writeFileAtomic(
      join(out, "results.json"),
      `${JSON.stringify({ concept: concept.name, threshold: concept.thresholdNote, attacks, rows }, null, 2)}\n`,
    );
  }

  // 4. table and the trade-off figure (DSR under Ring-A-Bell against digit accuracy on unrelated prompts)
  const table = unlearningTable(rows, names);
  writeFileAtomic(join(out, "table.md"), `${table}\n`);
  const series = ["base", "esd", "duo"].flatMap((method, k) => {
    const rs = rows.filter((r) => r.method === method);
    const kinds = [...new Set(rs.map((r) => `${r.prompts}, preservation on ${r.preserve}`))];
    const groups =
      method === "duo"
        ? kinds.map((k) => rs.filter((r) => `${r.prompts}, preservation on ${r.preserve}` === k))
        : [rs];
    return groups
      .filter((g) => g.length > 0)
      .map((g, j) => ({
        name:
          method === "duo"
            ? `DUO (${g[0].prompts} prompt, preservation on ${g[0].preserve})`
            : method === "esd"
              ? "ESD"
              : "base",
        x: g.map((r) => 100 * r.digitAccuracy),
        y: g.map((r) => 100 * r.dsr["Ring-A-Bell"]),
        markers: true,
        line: g.length > 1,
        labels: g.map((r) => (r.beta ? `β=${r.beta}` : "")),
        color: PALETTE[(k + 2 * j) % PALETTE.length],
      }));
  });
  const svg = linePlot({
    title: `Unlearning ${concept.name}: defense vs preservation`,
    xLabel: "digit accuracy on unrelated prompts (%)",
    yLabel: "defense success rate under Ring-A-Bell (%)",
    series,
  });
  const files = {
    table: join(out, "table.md"),
    results: join(out, "results.json"),
    svg: join(out, "tradeoff.svg"),
    png: join(out, "tradeoff.png"),
    grids: join(out, "grids"),
  };
  writeFileAtomic(files.svg, svg);
  writeFileAtomic(files.png, Buffer.from(svgToPng(svg, 2)));
  return { rows, table, seconds: (performance.now() - t0) / 1000, files };
}
