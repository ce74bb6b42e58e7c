/**
 * The options every training pipeline takes, one name per idea (the CLI's
 * flags are the same names in kebab case: `lr` is `--lr`, `saveEvery` is
 * `--save-every`), and how they become the shared loop's options.
 */
import { type Adamw, adamw, decayMatrices } from "./optimizer.js";
import { linearWarmupDecay } from "./schedules.js";
import type { TrainingOptions } from "./trainer.js";

export type TrainRunOptions = {
  /** Output directory: checkpoints, metrics.jsonl and the final model. */
  out: string;
  /** Optimiser updates of the whole run (default: the pipeline's, e.g. epochs × batches). */
  steps?: number;
  /** Peak learning rate. */
  lr?: number;
  batchSize?: number;
  warmupSteps?: number;
  /** Checkpoint every this many steps (0: only at the end). */
  saveEvery?: number;
  /** Evaluate every this many steps (0: only at the end). */
  evalEvery?: number;
  /** Log the mean of each metric over this many steps. */
  logEvery?: number;
  seed?: number;
  /** Roll back and count steps whose loss or gradient is not finite (default: stop with an error). */
  skipNonfinite?: boolean;
  /** Log the engine heap's live, peak and top MiB with every step's metrics. */
  profileMemory?: boolean;
  /** Micro-batches of `batchSize` per update (TRL's gradient_accumulation_steps; default 1). */
  gradientAccumulationSteps?: number;
  /** Continue from the newest checkpoint in `out` (default true); false deletes them and starts over. */
  resume?: boolean;
  /** No progress bar and no messages. */
  quiet?: boolean;
  /** Where messages go (default stderr). */
  log?: (line: string) => void;
  /** Stops the run like SIGINT (finish the step, save); the result has status "interrupted". */
  signal?: AbortSignal;
  /** Stops like `signal` once this many steps are done (tests). */
  stopAfter?: number;
  /** Called once the inputs are checked and the first step is about to run (see `TrainingOptions.onStart`). */
  onStart?: () => void;
};

/** Keys that steer a run without changing what it computes: not part of its recorded config. */
const NOT_CONFIG = new Set(["resume", "quiet", "log", "signal", "stopAfter", "onStart"]);

/** Drops keys whose value is undefined (so that defaults apply when spread after them). */
export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The run's config as recorded in trainer_state.json: resolved options, no functions or run controls. */
export function runConfig(o: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(o).filter(
      ([k, v]) => !NOT_CONFIG.has(k) && v !== undefined && typeof v !== "function",
    ),
  );
}

/** The message sink of a run: `log`, else stderr, and nothing when quiet. */
export function runLog(o: Pick<TrainRunOptions, "log" | "quiet">): (line: string) => void {
  if (o.log) return o.log;
  return o.quiet ? () => {} : (line) => process.stderr.write(`${line}\n`);
}

/**
 * The shared loop's options for a pipeline run with resolved options `o`,
 * `steps` updates in all, progress labelled `label`; `config` is recorded
 * (default: `runConfig(o)`).
 */
export function loopOptions(
  o: TrainRunOptions,
  label: string,
  steps: number,
  config: unknown = runConfig(o),
): Pick<
  TrainingOptions<unknown>,
  | "outDir"
  | "totalSteps"
  | "resume"
  | "logEvery"
  | "saveEvery"
  | "evalEvery"
  | "onNonFinite"
  | "profileMemory"
  | "verbose"
  | "signal"
  | "stopAfter"
  | "label"
  | "config"
  | "onStart"
> {
  return {
    outDir: o.out,
    totalSteps: steps,
    resume: o.resume ?? true,
    logEvery: o.logEvery,
    saveEvery: o.saveEvery,
    evalEvery: o.evalEvery,
    onNonFinite: o.skipNonfinite ? "skip" : "stop",
    profileMemory: o.profileMemory,
    verbose: !o.quiet,
    signal: o.signal,
    stopAfter: o.stopAfter,
    label,
    config,
    onStart: o.onStart,
  };
}

/** The numeric metrics of a metrics.jsonl line, without step, time and epoch (a run's result). */
export function logged(rec: Record<string, unknown> | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(rec ?? {}))
    if (typeof v === "number" && k !== "step" && k !== "time" && k !== "epoch") out[k] = v;
  return out;
}

/**
 * Batches per epoch of `n` examples in batches of `batchSize` (a partial last
 * batch is dropped), and the run's steps: `steps`, else `epochs` passes (≥ 1).
 */
export function epochSteps(
  n: number,
  batchSize: number,
  o: { steps?: number; epochs: number },
): { perEpoch: number; total: number } {
  const perEpoch = Math.max(1, Math.floor(n / batchSize));
  return { perEpoch, total: o.steps ?? Math.max(1, Math.round(o.epochs * perEpoch)) };
}

/**
 * TRL's default optimiser: AdamW at peak `lr` with linear warm-up over
 * `warmupSteps` (at most `total`) then linear decay to 0 at `total`, weight
 * decay on matrices only, gradients clipped to `maxGradNorm`.
 */
export function linearAdamw(
  o: { lr: number; warmupSteps: number; weightDecay: number; maxGradNorm: number },
  total: number,
): Adamw {
  return adamw({
    learningRate: linearWarmupDecay({
      peak: o.lr,
      warmupSteps: Math.min(o.warmupSteps, total),
      totalSteps: total,
    }),
    weightDecay: o.weightDecay,
    maxGradNorm: o.maxGradNorm,
    decayMask: decayMatrices,
  });
}
