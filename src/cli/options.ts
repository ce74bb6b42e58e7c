/**
 * The CLI's one options dialect. Value parsers that range-check (a bad value
 * is a one-line error and exit code 2), and the options every training
 * command shares, defined once: the same flag for the same idea (`--out`,
 * `--steps`, `--lr`, `--batch-size`, `--warmup-steps`, `--save-every`,
 * `--eval-every`, `--seed`, `--json`, `--skip-nonfinite`, `--no-resume`,
 * `--config`), named as the library's options (`batchSize` is
 * `--batch-size`). A training command re-run with the same `--out` continues
 * from its latest checkpoint; it saves its resolved options as
 * `<out>/run_config.json` (usable as `--config`) and draws `<out>/curves.png`.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Command, InvalidArgumentError, type Option } from "commander";
import { writeJsonAtomic } from "../engine/atomic.js";
import { UserError } from "../engine/errors.js";
import { writeRunCurves } from "../report/curves.js";
import { listCheckpoints } from "../train/checkpoint.js";
import type { TrainRunOptions } from "../train/run-options.js";
import { VERSION } from "./version.js";

export function parseNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n))
    throw new InvalidArgumentError(`expected a number, got "${value}"`);
  return n;
}

/** A finite number, or "Infinity"/"inf" for no limit. */
export function parseNumberOrInfinity(value: string): number {
  if (/^\s*(\+?inf(inity)?)\s*$/i.test(value)) return Number.POSITIVE_INFINITY;
  return parseNumber(value);
}

export function parseInteger(value: string): number {
  const n = parseNumber(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`expected an integer, got "${value}"`);
  return n;
}

/** A number > 0. */
export function parsePositive(value: string): number {
  const n = parseNumber(value);
  if (!(n > 0)) throw new InvalidArgumentError(`expected a number > 0, got "${value}"`);
  return n;
}

/** A number ≥ 0. */
export function parseNonNegative(value: string): number {
  const n = parseNumber(value);
  if (!(n >= 0)) throw new InvalidArgumentError(`expected a number ≥ 0, got "${value}"`);
  return n;
}

/** An integer ≥ 1 (counts: steps, samples, tokens, sizes). */
export function parseCount(value: string): number {
  const n = parseInteger(value);
  if (n < 1) throw new InvalidArgumentError(`expected an integer ≥ 1, got "${value}"`);
  return n;
}

/** An integer ≥ 0 (seeds, intervals where 0 means "never/only at the end", top-k where 0 is "all"). */
export function parseNonNegativeInt(value: string): number {
  const n = parseInteger(value);
  if (n < 0) throw new InvalidArgumentError(`expected an integer ≥ 0, got "${value}"`);
  return n;
}

/**
 * A parser for numbers in [lo, hi] (`open` excludes an end: "lo", "hi" or
 * "both"), e.g. a probability or a fraction.
 */
export function numberIn(
  lo: number,
  hi: number,
  open?: "lo" | "hi" | "both",
): (value: string) => number {
  const loOpen = open === "lo" || open === "both";
  const hiOpen = open === "hi" || open === "both";
  const range = `${loOpen ? "(" : "["}${lo}, ${hi}${hiOpen ? ")" : "]"}`;
  return (value: string) => {
    const n = parseNumber(value);
    const ok = (loOpen ? n > lo : n >= lo) && (hiOpen ? n < hi : n <= hi);
    if (!ok) throw new InvalidArgumentError(`expected a number in ${range}, got "${value}"`);
    return n;
  };
}

/**
 * The shared training options' defaults for one command: a number is the
 * default, "derived" an option whose default the pipeline works out (e.g.
 * steps from --epochs), and a key left out is not an option of the command.
 */
export type TrainingDefaults = {
  /** default output directory (undefined: --out is required) */
  out?: string;
  steps?: number | "derived";
  lr: number | "derived";
  batchSize?: number | "derived";
  warmupSteps?: number | "derived";
  saveEvery?: number | "derived";
  evalEvery?: number | "derived";
  seed: number;
  /** micro-batches per update (a key only where the command accumulates gradients) */
  gradientAccumulationSteps?: number;
  /** the command has a roll-back on non-finite steps */
  skipNonfinite?: boolean;
};

/** What `--help` says about each shared option. */
const HELP = {
  out: "output directory: the model, checkpoints, metrics.jsonl, run_config.json, curves.png; re-running with the same --out continues from its latest checkpoint",
  config:
    "JSON file of options (names as the flags, e.g. run_config.json of an earlier run); flags given here override it",
  steps: "optimiser steps",
  lr: "peak learning rate",
  batchSize: "examples per step",
  warmupSteps: "linear warm-up steps",
  saveEvery: "checkpoint every n steps (0: only at the end)",
  evalEvery: "evaluate every n steps (0: only at the end)",
  seed: "random seed",
  resume:
    "start over even if --out holds checkpoints (they, metrics.jsonl and the model are overwritten)",
  skipNonfinite:
    "roll back and count steps whose loss or gradient is NaN/Inf (default: stop with an error)",
  json: "print the result as one JSON object",
  gradientAccumulationSteps:
    "micro-batches of --batch-size per update (TRL's gradient_accumulation_steps): the update sees batch-size × n examples while only one micro-batch is in memory at a time",
  profileMemory:
    "log the engine heap with every step's metrics: live, peak (the step's working set), high-water mark and free MiB (heap_*_mib in metrics.jsonl)",
};

/**
 * Adds the shared training options to `cmd` (those `d` has a key for, plus
 * --config, --no-resume and --json), and the --config handling; the command
 * adds its own options after these.
 */
export function addTrainingOptions(
  cmd: Command,
  d: TrainingDefaults,
  help: Partial<Record<keyof typeof HELP, string>> = {},
): Command {
  const h = (k: keyof typeof HELP) => help[k] ?? HELP[k];
  // a required --out is checked after --config is read (commander checks required options before)
  if (d.out === undefined) cmd.option("--out <dir>", `${h("out")} (required)`);
  else cmd.option("--out <dir>", h("out"), d.out);
  cmd.option("--config <file.json>", h("config"));
  const add = (flag: string, key: keyof typeof HELP, parse: (v: string) => number) => {
    const v = d[key as keyof TrainingDefaults];
    if (v === "derived") cmd.option(flag, h(key), parse);
    else if (typeof v === "number") cmd.option(flag, h(key), parse, v);
  };
  add("--steps <n>", "steps", parseCount);
  add("--lr <x>", "lr", parsePositive);
  add("--batch-size <n>", "batchSize", parseCount);
  add("--warmup-steps <n>", "warmupSteps", parseNonNegativeInt);
  add("--save-every <n>", "saveEvery", parseNonNegativeInt);
  add("--eval-every <n>", "evalEvery", parseNonNegativeInt);
  add("--gradient-accumulation-steps <n>", "gradientAccumulationSteps", parseCount);
  cmd.option("--seed <n>", h("seed"), parseNonNegativeInt, d.seed);
  cmd.option("--no-resume", h("resume"));
  if (d.skipNonfinite) cmd.option("--skip-nonfinite", h("skipNonfinite"));
  cmd.option("--profile-memory", h("profileMemory"));
  cmd.option("--json", h("json"));
  cmd.hook("preAction", (c) => {
    applyConfigFile(c);
    if (c.opts().out === undefined)
      throw new UserError(
        `${commandPath(c)}: --out <dir> is required (or "out" in the --config file)`,
      );
  });
  return cmd;
}

/** The shared options of a parsed training command, under the library's names. */
export type TrainingFlags = Omit<
  TrainRunOptions,
  "logEvery" | "quiet" | "log" | "signal" | "stopAfter"
> & {
  seed: number;
  resume: boolean;
};

/** The shared options of a parsed training command, under the library's names. */
export function trainingFlags(o: Record<string, unknown>): TrainingFlags {
  const pick = <T>(k: string) => o[k] as T;
  return {
    out: pick("out"),
    steps: pick("steps"),
    lr: pick("lr"),
    batchSize: pick("batchSize"),
    warmupSteps: pick("warmupSteps"),
    saveEvery: pick("saveEvery"),
    evalEvery: pick("evalEvery"),
    seed: pick("seed"),
    resume: o.resume !== false,
    skipNonfinite: o.skipNonfinite === true ? true : undefined,
    profileMemory: o.profileMemory === true ? true : undefined,
    gradientAccumulationSteps: pick("gradientAccumulationSteps"),
  };
}

/** "refCache" → "ref-cache". */
const kebab = (attr: string) => attr.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * An option's name in config files and run_config.json: the flag without
 * dashes ("batch-size"); for a --no-x flag, the positive "x" with a boolean.
 */
function configName(opt: Option): string {
  return opt.negate ? kebab(opt.attributeName()) : opt.name();
}

/** Option attribute names ("batchSize"), config names and flag names ("no-resume") → the Option. */
function optionsByName(cmd: Command): Map<string, Option> {
  const m = new Map<string, Option>();
  for (const opt of cmd.options as Option[]) {
    m.set(opt.attributeName(), opt);
    m.set(configName(opt), opt);
    m.set(opt.name(), opt);
  }
  return m;
}

/**
 * --config FILE: each field sets the option of the same name unless the
 * command line gave it; values go through the option's own parser, so they
 * are range-checked like flags. Errors name the file and field.
 */
function applyConfigFile(cmd: Command): void {
  const file = cmd.opts().config as string | undefined;
  if (!file) return;
  let cfg: unknown;
  try {
    cfg = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(
      code ? `${file}: cannot read (${code})` : `${file}: invalid JSON: ${(e as Error).message}`,
    );
  }
  if (!cfg || typeof cfg !== "object" || Array.isArray(cfg))
    throw new UserError(`${file}: expected a JSON object of options, e.g. {"steps": 100}`);
  const byName = optionsByName(cmd);
  for (const [key, value] of Object.entries(cfg as Record<string, unknown>)) {
    if (key === "command") {
      if (value !== commandPath(cmd))
        throw new UserError(
          `${file}: field "command": this file is for prefopt ${value}, not ${commandPath(cmd)}`,
        );
      continue;
    }
    if (key === "prefopt_version") continue;
    const opt = byName.get(key);
    if (!opt || opt.attributeName() === "config") {
      const names = [...new Set((cmd.options as Option[]).map(configName))];
      throw new UserError(
        `${file}: field "${key}": not an option of prefopt ${commandPath(cmd)} (options: ${names.join(", ")})`,
      );
    }
    const attr = opt.attributeName();
    if (cmd.getOptionValueSource(attr) === "cli") continue;
    let v: unknown = value;
    const bad = (what: string) =>
      new UserError(`${file}: field "${key}": ${what}, got ${JSON.stringify(value)}`);
    if (opt.negate) {
      // "resume": false, or "no-resume": true
      if (typeof value !== "boolean") throw bad("expected true or false");
      v = key === opt.name() ? !value : value;
    } else if (!opt.required && !opt.optional) {
      if (typeof value !== "boolean") throw bad("expected true or false");
    } else if (value === null) {
      v = undefined;
    } else {
      const text = Array.isArray(value) ? value.join(",") : value;
      if (typeof text !== "string" && typeof text !== "number") throw bad("expected a value");
      const parse = (opt as unknown as { parseArg?: (s: string, prev: unknown) => unknown })
        .parseArg;
      try {
        v = parse ? parse(String(text), undefined) : String(text);
      } catch (e) {
        throw new UserError(`${file}: field "${key}": ${(e as Error).message}`);
      }
    }
    cmd.setOptionValueWithSource(attr, v, "config");
  }
}

/** The command as typed after `prefopt` ("dpo", "diffusion train"). */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** Options that steer the run's output, not what it computes: left out of run_config.json. */
const NOT_RECORDED = new Set(["config", "json"]);

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * Runs a training command's work around the shared conventions: says
 * whether it continues or starts over, runs `train` with the command's shared
 * options `f` (pass them to the pipeline: their `onStart` writes
 * `<out>/run_config.json` atomically once the inputs are checked and the first
 * step is about to run, so a run refused for bad input leaves none), draws
 * `<out>/curves.png`; with `report`, prints the result: one JSON object with
 * --json ({out, ...result, curves}), else through `report`. Returns the result.
 */
export async function runTrainingCommand<R extends object>(
  cmd: Command,
  o: Record<string, unknown>,
  train: (f: TrainingFlags) => Promise<R>,
  report?: (r: R) => void,
): Promise<R> {
  const out = o.out as string;
  const checkpoints = listCheckpoints(out);
  if (o.resume === false) {
    const old = ["metrics.jsonl", "model.safetensors"].filter((f) => existsSync(join(out, f)));
    if (checkpoints.length > 0 || old.length > 0) {
      const what = [checkpoints.length ? `${checkpoints.length} checkpoint(s)` : "", ...old].filter(
        Boolean,
      );
      say(`--no-resume: starting over in ${out}; overwriting its ${what.join(", ")}`);
    }
  } else if (checkpoints.length > 0) {
    const last = checkpoints[checkpoints.length - 1];
    say(
      `same --out as an earlier run: continuing from its checkpoint at step ${last.step} (--no-resume starts over)`,
    );
  }
  mkdirSync(out, { recursive: true });
  const recorded: Record<string, unknown> = {
    command: commandPath(cmd),
    prefopt_version: VERSION,
  };
  for (const [k, v] of Object.entries(o)) {
    if (NOT_RECORDED.has(k) || v === undefined) continue;
    const opt = (cmd.options as Option[]).find((x) => x.attributeName() === k);
    recorded[opt ? configName(opt) : k] = v;
  }
  const onStart = () => writeJsonAtomic(join(out, "run_config.json"), recorded);
  const r = await train({ ...trainingFlags(o), onStart });
  let curves: string | null = null;
  try {
    curves = writeRunCurves(out);
    if (curves) say(`curves: ${curves}`);
  } catch (e) {
    // a figure that cannot be drawn (e.g. no renderer) must not fail a finished run
    say(`curves not drawn: ${(e as Error).message}`);
  }
  if (report) {
    if (o.json) console.log(JSON.stringify({ out, ...r, curves }));
    else report(r);
  }
  return r;
}
