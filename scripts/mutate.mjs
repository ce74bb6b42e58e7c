#!/usr/bin/env node
// Mutation testing of the numerical core with StrykerJS 9 (issue 20).
// Usage: npm run mutate [-- AREA ...] [--force] [--concurrency N] [--min SCORE] [--runner R]
//   AREA: objectives | family | optimizer | diffusion | preference | safetensors | lm
//         (default: all, one after another)
//   --force          rerun every mutant (otherwise the incremental file reruns only what changed)
//   --concurrency N  test-runner processes (default 1; the machine is shared)
//   --min SCORE      exit 1 when an area scores below SCORE percent (CI: 90)
//   --summary        no run: re-score the last report against docs/mutation.md
//   --runner R       in-process (default: scripts/mutate-runner.mjs, test files loaded once per
//                    worker) or tap (Stryker's tap runner: a fresh Node process per test file)
// Each area mutates its sources and runs only the tests that own them (fastest first: a mutant
// stops at its first failing test). Stryker's TypeScript
// preprocessor is off (`tsconfigFile` names no file: TypeScript 7 has no compiler API) and no
// checker runs. Mutants inside a thrown error's message are ignored (scripts/mutate-ignore.mjs);
// surviving mutants listed as equivalent in docs/mutation.md are left out of the score and named.
// Reports: reports/mutation/<area>.html (and .json, .incremental.json, and .progress.jsonl, one
// line per mutant as it is tested); git-ignored.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { Stryker } from "@stryker-mutator/core";

/** Areas of the numerical core: the sources mutated and the test files that own them. */
export const AREAS = {
  objectives: {
    mutate: [
      "src/objectives/*.ts",
      "!src/objectives/{kto,orpo,simpo,listwise-dpo}.ts", // the "family" area
    ],
    tests: ["test/objectives.test.ts", "test/objectives-closed-forms.test.ts", "test/rloo.test.ts"],
  },
  family: {
    mutate: ["src/objectives/{kto,orpo,simpo,listwise-dpo}.ts"],
    tests: [
      "test/objectives-family-guards.test.ts",
      "test/objectives-simpo-types.test.ts",
      "test/objectives-closed-forms.test.ts",
      "test/preference-family.test.ts",
    ],
  },
  optimizer: {
    mutate: ["src/train/optimizer.ts", "src/train/schedules.ts"],
    tests: [
      "test/train/optimizer-inputs.test.ts",
      "test/train/optimizer-closed-forms.test.ts",
      "test/train/optimizer.test.ts",
      "test/train/optimizer-bias-correction.test.ts",
    ],
  },
  diffusion: {
    mutate: [
      "src/models/diffusion/schedule.ts",
      "src/models/diffusion/samplers.ts",
      "src/models/diffusion/guidance.ts",
    ],
    tests: [
      "test/diffusion/q-sample-batch.test.ts",
      "test/diffusion/sampler-steps.test.ts",
      "test/diffusion/schedule.test.ts",
      "test/diffusion/samplers.test.ts",
    ],
  },
  preference: {
    mutate: ["src/data/preference-data.ts", "src/data/preference-collate.ts"],
    tests: [
      "test/preference-data-rows.test.ts",
      "test/preference-data-roundtrip.test.ts",
      "test/preference-collate.test.ts",
      "test/preference-data.test.ts",
    ],
  },
  safetensors: {
    mutate: ["src/engine/safetensors.ts", "src/engine/safetensors-stream.ts"],
    tests: [
      "test/engine/safetensors-host-edges.test.ts",
      "test/engine/safetensors-stream-edges.test.ts",
      "test/engine/safetensors-stream.test.ts",
      "test/engine/safetensors.test.ts",
      "test/engine/safetensors-format.test.ts",
      "test/engine/safetensors-header.test.ts",
    ],
  },
  lm: {
    mutate: [
      "src/models/lm/forward.ts",
      "src/models/lm/block.ts",
      "src/models/lm/decode.ts",
      "src/models/lm/sampling.ts",
      "src/models/lm/logprobs.ts",
    ],
    tests: [
      "test/lm-decode-inputs.test.ts",
      "test/lm-sampling-edges.test.ts",
      "test/lm-sampling.test.ts",
      "test/lm-logprobs.test.ts",
      "test/lm-forward.test.ts",
      "test/lm-forward-edges.test.ts",
      "test/lm-pair-logprobs.test.ts",
      "test/lm-generate.test.ts",
    ],
  },
};

const DETECTED = new Set(["Killed", "Timeout"]);
const UNDETECTED = new Set(["Survived", "NoCoverage"]);

function parseArgs(argv) {
  const areas = [];
  let force = false;
  let concurrency = 1;
  let min = 0;
  let summaryOnly = false;
  let runner = "in-process";
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--force") force = true;
    else if (a === "--concurrency") concurrency = Number(argv[++i]);
    else if (a === "--min") min = Number(argv[++i]);
    else if (a === "--summary") summaryOnly = true;
    else if (a === "--runner") runner = argv[++i];
    else if (a === "-h" || a === "--help") {
      console.log(
        `npm run mutate [-- AREA ...] [--force] [--concurrency N] [--min SCORE] [--summary] [--runner in-process|tap]\nareas: ${Object.keys(AREAS).join(", ")}`,
      );
      process.exit(0);
    } else if (a in AREAS) areas.push(a);
    else {
      console.error(`unknown area "${a}" (expected one of ${Object.keys(AREAS).join(", ")})`);
      process.exit(2);
    }
  }
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
    console.error("--concurrency: expected a positive integer");
    process.exit(2);
  }
  if (runner !== "in-process" && runner !== "tap") {
    console.error(`--runner: expected in-process or tap, got "${runner}"`);
    process.exit(2);
  }
  if (!(min >= 0 && min <= 100)) {
    console.error("--min: expected a score in [0, 100]");
    process.exit(2);
  }
  return {
    areas: areas.length ? areas : Object.keys(AREAS),
    force,
    concurrency,
    min,
    summaryOnly,
    runner,
  };
}

/**
 * Equivalent mutants from docs/mutation.md: under a "### path" heading, lines
 *   - Mutator `original` → `replacement`: why it cannot change behaviour
 * (original is the mutated source text with whitespace collapsed).
 */
export function loadEquivalents(path = "docs/mutation.md") {
  const out = [];
  if (!existsSync(path)) return out;
  let file = null;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const h = /^### (src\/\S+\.ts)\s*$/.exec(line);
    if (h) {
      file = h[1];
      continue;
    }
    if (/^#{1,3} /.test(line)) file = null;
    const m = /^- (\w+) `(.+?)` → `(.*?)`: (.+)$/.exec(line);
    if (file && m) out.push({ file, mutator: m[1], original: m[2], replacement: m[3], used: 0 });
  }
  return out;
}

/** Whether an area mutates `file` (its patterns are plain paths or simple globs). */
function inArea(area, file) {
  const pats = AREAS[area].mutate;
  const re = (g) =>
    new RegExp(
      `^${g
        .replace(/[.+^$()|[\]\\]/g, "\\$&")
        .replace(/\{([^}]*)\}/g, (_, alts) => `(${alts.split(",").join("|")})`)
        .replace(/\*/g, "[^/]*")}$`,
    );
  const yes = pats.filter((p) => !p.startsWith("!")).some((p) => re(p).test(file));
  const no = pats.filter((p) => p.startsWith("!")).some((p) => re(p.slice(1)).test(file));
  return yes && !no;
}

const squash = (s) => s.replace(/\s+/g, " ").trim();

function originalText(source, loc) {
  const lines = source.split("\n");
  const { start, end } = loc;
  if (start.line === end.line) return lines[start.line - 1].slice(start.column - 1, end.column - 1);
  const parts = [lines[start.line - 1].slice(start.column - 1)];
  for (let l = start.line + 1; l < end.line; l++) parts.push(lines[l - 1]);
  parts.push(lines[end.line - 1].slice(0, end.column - 1));
  return parts.join("\n");
}

async function runArea(name, area, { force, concurrency, summaryOnly, runner }, equivalents) {
  if (summaryOnly) {
    // the last run's JSON report, re-scored against docs/mutation.md
    const report = JSON.parse(readFileSync(`reports/mutation/${name}.json`, "utf8"));
    const results = Object.entries(report.files).flatMap(([fileName, f]) =>
      f.mutants.map((m) => ({ ...m, fileName })),
    );
    return summarise(name, results, Number.NaN, equivalents);
  }
  mkdirSync("reports/mutation", { recursive: true });
  const runnerOptions =
    runner === "tap"
      ? {
          testRunner: "tap",
          tap: {
            testFiles: area.tests,
            nodeArgs: [
              "--import",
              "tsx",
              "--test-reporter=tap",
              "-r",
              "{{hookFile}}",
              "{{testFile}}",
            ],
          },
        }
      : { testRunner: "prefopt-in-process", prefoptRunner: { testFiles: area.tests } };
  const stryker = new Stryker({
    ...runnerOptions,
    plugins: [
      "@stryker-mutator/tap-runner",
      pathToFileURL(resolve("scripts/mutate-runner.mjs")).href,
      pathToFileURL(resolve("scripts/mutate-ignore.mjs")).href,
      pathToFileURL(resolve("scripts/mutate-progress.mjs")).href,
    ],
    ignorers: ["error-messages"],
    mutate: area.mutate,
    checkers: [],
    // no such file: Stryker's TypeScript preprocessor (which needs the compiler API) stays off
    tsconfigFile: "stryker-has-no-tsconfig.json",
    coverageAnalysis: "perTest",
    concurrency,
    incremental: true,
    incrementalFile: `reports/mutation/${name}.incremental.json`,
    force,
    reporters: ["html", "json", "progress", "progress-file"],
    htmlReporter: { fileName: `reports/mutation/${name}.html` },
    jsonReporter: { fileName: `reports/mutation/${name}.json` },
    tempDirName: ".stryker-tmp",
    ignorePatterns: ["reports", "runs", "tmp", ".stryker-tmp"],
    // A mutant that outlives its tests' dry-run time ×2 + 2 min counts as detected (Timeout). On
    // the shared machine a file often takes 2–3× its dry-run time, and with a tight limit
    // survivors were cut off as "timeouts" (53 of 97 in one run); an endless loop is still
    // stopped early by Stryker's hit limit.
    timeoutMS: 120000,
    timeoutFactor: 2,
    dryRunTimeoutMinutes: 10,
    thresholds: { high: 90, low: 80, break: null },
    // the in-process runner replaces a worker by ending it, which Stryker reports as a warning
    logLevel: runner === "tap" ? "warn" : "error",
    fileLogLevel: "off",
  });
  const t0 = Date.now();
  const results = await stryker.runMutationTest();
  return summarise(name, results, (Date.now() - t0) / 1000, equivalents);
}

/** Prints the score per file and the survivors not listed as equivalent. */
function summarise(name, results, seconds, equivalents) {
  const files = new Map();
  const survivors = [];
  const sources = new Map();
  for (const r of results) {
    const file = r.fileName.replace(/\\/g, "/").replace(`${process.cwd()}/`, "");
    let f = files.get(file);
    if (!f) {
      f = { detected: 0, undetected: 0, equivalent: 0, ignored: 0, invalid: 0 };
      files.set(file, f);
    }
    if (DETECTED.has(r.status)) f.detected++;
    else if (r.status === "Ignored") f.ignored++;
    else if (UNDETECTED.has(r.status)) {
      if (!sources.has(file)) sources.set(file, readFileSync(file, "utf8"));
      const original = squash(originalText(sources.get(file), r.location));
      const eq = equivalents.find(
        (e) =>
          e.file === file &&
          e.mutator === r.mutatorName &&
          e.original === original &&
          e.replacement === squash(r.replacement),
      );
      if (eq) {
        eq.used++;
        f.equivalent++;
      } else {
        f.undetected++;
        survivors.push({ file, r, original });
      }
    } else f.invalid++;
  }
  const pct = (d, u) => (d + u === 0 ? "n/a" : `${((100 * d) / (d + u)).toFixed(1)}%`);
  const took = Number.isNaN(seconds) ? "(last run's report)" : `in ${seconds.toFixed(0)} s`;
  console.log(`\n== ${name}: ${results.length} mutants ${took}`);
  console.log(
    "file                                      score   killed survived equiv ignored invalid",
  );
  let D = 0;
  let U = 0;
  for (const [file, f] of [...files].sort()) {
    D += f.detected;
    U += f.undetected;
    console.log(
      `${file.padEnd(40)} ${pct(f.detected, f.undetected).padStart(6)} ${String(f.detected).padStart(8)} ${String(f.undetected).padStart(8)} ${String(f.equivalent).padStart(5)} ${String(f.ignored).padStart(7)} ${String(f.invalid).padStart(7)}`,
    );
  }
  console.log(
    `${"all".padEnd(40)} ${pct(D, U).padStart(6)} ${String(D).padStart(8)} ${String(U).padStart(8)}`,
  );
  for (const { file, r, original } of survivors) {
    console.log(
      `  ${r.status} ${file}:${r.location.start.line} ${r.mutatorName} \`${original.slice(0, 70)}\` → \`${squash(r.replacement).slice(0, 70)}\``,
    );
  }
  console.log(`report: reports/mutation/${name}.html`);
  return { name, mutants: results.length, detected: D, undetected: U, seconds };
}

const opts = parseArgs(process.argv.slice(2));
const equivalents = loadEquivalents();
const summary = [];
for (const name of opts.areas) summary.push(await runArea(name, AREAS[name], opts, equivalents));
const score = (s) =>
  s.detected + s.undetected ? (100 * s.detected) / (s.detected + s.undetected) : 100;
if (summary.length > 1) {
  console.log("\narea          mutants  score   time");
  for (const s of summary) {
    console.log(
      `${s.name.padEnd(13)} ${String(s.mutants).padStart(7)} ${score(s).toFixed(1).padStart(5)}% ${Number.isNaN(s.seconds) ? "    -" : (s.seconds / 60).toFixed(1).padStart(5)} min`,
    );
  }
}
const stale = equivalents.filter((e) => e.used === 0 && opts.areas.some((a) => inArea(a, e.file)));
for (const e of stale) {
  console.log(
    `docs/mutation.md: no surviving mutant matches ${e.file} ${e.mutator} \`${e.original}\``,
  );
}
const low = summary.filter((s) => score(s) < opts.min);
if (low.length > 0) {
  console.error(`mutation score below ${opts.min}% in: ${low.map((s) => s.name).join(", ")}`);
  process.exit(1);
}
