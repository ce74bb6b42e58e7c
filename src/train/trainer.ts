/**
 * The training loop every trainer shares. The caller owns the math (a
 * `step` that runs one update and returns host metrics); the loop owns
 * everything around it: resuming from the latest checkpoint so the run
 * continues the SAME sequence (params, optimiser state, host RNG state, data
 * position, step count), progress, metrics.jsonl, periodic and final
 * checkpoints, evaluation, a final summary, non-finite losses, the run's
 * config (a resumed run whose config differs warns), and a clean stop on
 * SIGINT/SIGTERM: finish the current step, save, and throw `Interrupted`
 * (the CLI exits 130) whose message says how to continue. A stop through the
 * caller's `signal` saves and returns status "interrupted" instead.
 *
 * Metrics use TRL's names: a step returns `loss`, `grad_norm`,
 * `learning_rate`, ... (logged as the mean over the log window, except
 * `learning_rate`, logged as its latest value, like TRL); evaluation metrics
 * are logged with the prefix `eval_` (`eval_loss`).
 *
 * Steps are counted as updates completed: update `i` (0-based) is followed by
 * step `i + 1` in logs and checkpoint names, like HF Trainer's global_step.
 */
import { rmSync } from "node:fs";
import { Interrupted, UserError } from "../engine/errors.js";
import { type numpy as np, tree } from "../engine/jax.js";
import { heapMetrics, withJitStreaming } from "../engine/memory-stats.js";
import {
  latestCheckpoint,
  listCheckpoints,
  loadCheckpoint,
  saveCheckpoint,
  TRAINER_STATE_FILE,
  type TrainerState,
} from "./checkpoint.js";
import { MetricsLogger, type MetricsRecord } from "./metrics.js";
import { formatDuration, formatMetric, ProgressBar } from "./progress.js";

/** What a checkpoint stores of a training state: engine arrays and JSON host state. */
export type Snapshot = {
  /** Params pytree (saved to model.safetensors). */
  params: unknown;
  /** Optimiser state pytree (saved to optimizer.safetensors). */
  optState: unknown;
  /** JSON-serialisable host state: RNG state, data position, epoch, ... */
  host?: unknown;
};

export type TrainingOptions<S> = {
  outDir: string;
  /** Total optimiser updates of the whole run (across resumes). */
  totalSteps: number;
  /**
   * Continue from the latest complete checkpoint in outDir, if any (default
   * true); false starts over and deletes the checkpoints already there.
   */
  resume?: boolean;
  /** Log (the mean of each metric over the last `logEvery` steps) every this many steps (default 10). */
  logEvery?: number;
  /** Checkpoint every this many steps (default 0: only at the end). */
  saveEvery?: number;
  /** Evaluate every this many steps and at the end (needs `evaluate`). */
  evalEvery?: number;
  /** Complete checkpoints to keep (default 3, 0 = all). */
  keepCheckpoints?: number;
  /** Track the best evaluation metric, e.g. {name: "eval_loss", mode: "min"}. */
  bestMetric?: { name: string; mode: "min" | "max" };
  /** On a non-finite `loss` or `grad_norm`: stop with an error (default) or roll the update back and go on. */
  onNonFinite?: "stop" | "skip";
  /** With "skip": give up after this many skipped steps (default 10). */
  maxSkips?: number;
  /** Log the engine heap after every step (heap_live_mib, heap_peak_mib, heap_top_mib, heap_free_mib). */
  profileMemory?: boolean;
  /** Recorded in trainer_state.json; a resumed run warns when it differs. */
  config?: unknown;
  /** Progress label, e.g. "dpo". */
  label?: string;
  /** false: no progress bar and no summary (tests). */
  verbose?: boolean;
  /** Stops the loop like SIGINT does (finish step, save, return "interrupted"). */
  signal?: AbortSignal;
  /** Stop like `signal` does once this many steps are done (tests). */
  stopAfter?: number;
  /** Handle SIGINT/SIGTERM (default true). */
  handleSignals?: boolean;
  /**
   * Called once the run is set up (`init` done, a checkpoint resumed or the
   * old ones deleted) and its first step is about to run: a run refused for
   * bad input before then never calls it (the CLI writes run_config.json here).
   */
  onStart?: () => void;

  /** A fresh state for step 0 (params, optimiser state, RNG, data order). */
  init(): S | Promise<S>;
  /**
   * Runs update number `step` (0-based) in place on the mutable `state` and
   * returns host metrics (read the loss: this forces the step). `loss` and
   * `grad_norm` entries are checked for finiteness; an `epoch` entry is recorded.
   */
  step(state: S, step: number): Promise<Record<string, number>>;
  /** Evaluation metrics (logged as "eval_<name>"). */
  evaluate?(state: S, step: number): Promise<Record<string, number>>;
  /** What to checkpoint (not consumed: the loop only reads it). */
  snapshot(state: S): Snapshot;
  /**
   * Puts loaded arrays (and host state, when given) into `state`, disposing
   * the arrays they replace. Called on resume and to roll back skipped steps
   * (then `host` is undefined: the data position stays advanced).
   */
  restore(state: S, loaded: { params: unknown; optState: unknown; host?: unknown }): S | undefined;
};

export type TrainingResult<S> = {
  status: "completed" | "interrupted";
  state: S;
  /** Updates completed. */
  step: number;
  /** Step the run started from (0 or the resumed checkpoint's). */
  startStep: number;
  checkpoint: string | null;
  skipped: number;
  seconds: number;
  lastLog: MetricsRecord | null;
  lastEval: Record<string, number> | null;
  bestMetric: TrainerState["bestMetric"];
};

/**
 * A non-finite loss or gradient norm (bad hyper-parameters or data, so a
 * UserError): names the step and the quantity; the update was not saved.
 */
export class NonFiniteLossError extends UserError {
  constructor(
    readonly step: number,
    readonly value: number,
    readonly quantity: "loss" | "gradient norm" = "loss",
  ) {
    super(
      `${quantity} is ${value} at step ${step} (update ${step - 1}), nothing saved from it; ` +
        "lower the learning rate, check the data, or skip such steps (--skip-nonfinite)",
    );
    this.name = "NonFiniteLossError";
  }
}

/** The metric names checked for finiteness after every step: the loss and the gradient norm. */
const GUARDED = [
  ["loss", "loss"],
  ["grad_norm", "gradient norm"],
] as const;

/**
 * A compiled step's outputs as host metrics, read in this order (reading
 * forces the step): `loss`, `grad_norm` (when given), then each `aux` entry
 * under its own name (TRL's names, e.g. "rewards/chosen"). Consumes the arrays.
 */
export async function readStepMetrics(r: {
  loss: np.Array;
  gradNorm?: np.Array;
  aux?: Record<string, np.Array>;
}): Promise<Record<string, number>> {
  const m: Record<string, number> = { loss: (await r.loss.data())[0] };
  if (r.gradNorm) m.grad_norm = (await r.gradNorm.data())[0];
  for (const [name, a] of Object.entries(r.aux ?? {})) m[name] = (await a.data())[0];
  return m;
}

/**
 * `snapshot` and `restore` for the common state `{params, opt}`: params and
 * optimiser state checkpointed as they are, host state through `host` (what
 * to save of a state, how to put it back). `restore` disposes the arrays it
 * replaces.
 */
export function paramsAndOpt<S extends { params: unknown; opt: unknown }>(host?: {
  save(s: S): unknown;
  load(s: S, saved: unknown): void;
}): Pick<TrainingOptions<S>, "snapshot" | "restore"> {
  return {
    snapshot: (s) => ({ params: s.params, optState: s.opt, host: host?.save(s) }),
    restore(s, loaded) {
      tree.dispose([s.params, s.opt] as tree.JsTree<np.Array>);
      s.params = loaded.params as S["params"];
      s.opt = loaded.optState as S["opt"];
      if (loaded.host !== undefined) host?.load(s, loaded.host);
      return s;
    },
  };
}

/**
 * `paramsAndOpt`'s host hooks for a state whose only host state is one
 * generator `rng` (data order, noise, timesteps): its state is checkpointed,
 * so a resumed run draws the same sequence.
 */
export function rngHost<S extends { rng: { state: number } }>(): {
  save(s: S): unknown;
  load(s: S, saved: unknown): void;
} {
  return {
    save: (s) => ({ rng: s.rng.state }),
    load(s, saved) {
      const { rng } = saved as { rng?: number };
      if (rng !== undefined) s.rng.state = rng;
    },
  };
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Runs (or resumes) a training loop; see `TrainingOptions`. */
export async function runTraining<S>(o: TrainingOptions<S>): Promise<TrainingResult<S>> {
  const logEvery = o.logEvery ?? 10;
  const saveEvery = o.saveEvery ?? 0;
  const evalEvery = o.evaluate ? (o.evalEvery ?? 0) : 0;
  const verbose = o.verbose ?? true;
  const maxSkips = o.maxSkips ?? 10;
  const t0 = performance.now();
  const say = (msg: string) => (bar ? bar.log(msg) : verbose && process.stderr.write(`${msg}\n`));
  let bar: ProgressBar | null = null;

  let state: S = await o.init();
  let step = 0;
  let skipped = 0;
  let epoch: number | undefined;
  let bestMetric: TrainerState["bestMetric"] = null;
  let lastCheckpoint: string | null = null;
  // the evaluation logged at the end of training, kept in the final checkpoint so a run killed
  // after it does not evaluate (and log) it a second time on resume
  let finalEval: Record<string, number> | null = null;
  // running sums of metrics since the last log line: checkpointed, so a resumed run logs the same means
  let sums: Record<string, number> = {};
  let counts: Record<string, number> = {};

  if (o.resume === false) {
    const old = listCheckpoints(o.outDir);
    if (old.length > 0) {
      say(
        `starting over (resume off): deleting ${old.length} checkpoint(s) in ${o.outDir} (up to step ${old[old.length - 1].step})`,
      );
      for (const c of old) rmSync(c.dir, { recursive: true, force: true });
    }
  } else {
    const dir = latestCheckpoint(o.outDir);
    if (dir) {
      const snap = o.snapshot(state);
      const loaded = loadCheckpoint(dir, snap.params, snap.optState);
      const ts = loaded.trainerState;
      state =
        o.restore(state, { params: loaded.params, optState: loaded.optState, host: ts.host }) ??
        state;
      step = ts.step;
      skipped = typeof ts.skipped === "number" ? ts.skipped : 0;
      epoch = ts.epoch;
      bestMetric = ts.bestMetric ?? null;
      const acc = ts.logWindow as
        | { sums?: Record<string, number>; counts?: Record<string, number> }
        | undefined;
      sums = { ...acc?.sums };
      counts = { ...acc?.counts };
      finalEval = (ts.finalEval as Record<string, number> | undefined) ?? null;
      lastCheckpoint = dir;
      if (o.config !== undefined && ts.config !== undefined && !sameJson(o.config, ts.config)) {
        say(`warning: config differs from the one saved in ${dir}/${TRAINER_STATE_FILE}`);
      }
      say(`resuming from ${dir} at step ${step}`);
    }
  }
  const startStep = step;
  o.onStart?.();
  const metrics = new MetricsLogger(o.outDir, { keepUpToStep: startStep });
  if (verbose) bar = new ProgressBar({ total: o.totalSteps, label: o.label, start: startStep });

  // stop requests: SIGINT/SIGTERM or the caller's signal; a second signal exits at once
  let stopRequested = o.signal?.aborted ?? false;
  // the stop came from SIGINT/SIGTERM (then the run throws `Interrupted` once saved)
  let bySignal: NodeJS.Signals | null = null;
  const onAbort = () => {
    stopRequested = true;
  };
  o.signal?.addEventListener("abort", onAbort);
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopRequested) process.exit(130);
    stopRequested = true;
    bySignal = sig;
    say(`${sig}: stopping after this step and saving a checkpoint (send again to quit at once)`);
  };
  const handleSignals = o.handleSignals ?? true;
  if (handleSignals) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }

  const trainerState = (): TrainerState => ({
    step,
    epoch,
    host: o.snapshot(state).host,
    config: o.config,
    bestMetric,
    skipped,
    totalSteps: o.totalSteps,
    logWindow: { sums, counts },
    ...(finalEval ? { finalEval } : {}),
  });
  const save = async () => {
    const snap = o.snapshot(state);
    lastCheckpoint = await saveCheckpoint(o.outDir, {
      params: snap.params,
      optState: snap.optState,
      trainerState: trainerState(),
      keep: o.keepCheckpoints,
    });
    return lastCheckpoint;
  };
  let lastEval: Record<string, number> | null = null;
  const evaluate = async () => {
    if (!o.evaluate) return;
    const raw = await o.evaluate(state, step);
    lastEval = {};
    for (const [k, v] of Object.entries(raw)) lastEval[k.startsWith("eval_") ? k : `eval_${k}`] = v;
    metrics.log(step, lastEval, epoch);
    const bm = o.bestMetric;
    if (bm && Number.isFinite(lastEval[bm.name])) {
      const v = lastEval[bm.name];
      const better =
        !bestMetric || (bm.mode === "min" ? v < bestMetric.value : v > bestMetric.value);
      if (better) bestMetric = { name: bm.name, value: v, step };
    }
    say(
      `eval @ ${step}: ${Object.entries(lastEval)
        .map(([k, v]) => `${k}=${formatMetric(v)}`)
        .join("  ")}`,
    );
  };

  let lastLog: MetricsRecord | null = null;
  let status: TrainingResult<S>["status"] = "completed";
  try {
    while (step < o.totalSteps) {
      if (stopRequested || (o.stopAfter !== undefined && step >= o.stopAfter)) {
        status = "interrupted";
        break;
      }
      const rollback = o.onNonFinite === "skip" ? o.snapshot(state) : null;
      if (rollback) tree.ref([rollback.params, rollback.optState] as tree.JsTree<np.Array>);
      // streamed: a step's freed buffers are reused by its later kernels (GPT-2 small fits the heap)
      const m = await withJitStreaming(() => o.step(state, step), state);
      if (o.profileMemory) Object.assign(m, heapMetrics());
      step += 1;
      const bad = GUARDED.find(([k]) => m[k] !== undefined && !Number.isFinite(m[k]));
      if (bad) {
        const [k, quantity] = bad;
        if (!rollback) throw new NonFiniteLossError(step, m[k], quantity);
        skipped += 1;
        state = o.restore(state, { params: rollback.params, optState: rollback.optState }) ?? state;
        say(`step ${step}: ${quantity} is ${m[k]}; update rolled back (${skipped} skipped)`);
        if (skipped > maxSkips) throw new NonFiniteLossError(step, m[k], quantity);
        continue;
      }
      if (rollback) tree.dispose([rollback.params, rollback.optState] as tree.JsTree<np.Array>);
      if (m.epoch !== undefined) epoch = m.epoch;
      for (const [k, v] of Object.entries(m)) {
        if (k === "epoch" || !Number.isFinite(v)) continue;
        sums[k] = (sums[k] ?? 0) + v;
        counts[k] = (counts[k] ?? 0) + 1;
      }
      bar?.update(step, m);
      if (logEvery > 0 && (step % logEvery === 0 || step === o.totalSteps)) {
        const mean: Record<string, number> = {};
        for (const k of Object.keys(sums)) mean[k] = sums[k] / counts[k];
        if (Number.isFinite(m.learning_rate)) mean.learning_rate = m.learning_rate;
        lastLog = metrics.log(step, mean, epoch);
        sums = {};
        counts = {};
      }
      if (evalEvery > 0 && step % evalEvery === 0 && step !== o.totalSteps) await evaluate();
      if (saveEvery > 0 && step % saveEvery === 0 && step !== o.totalSteps) await save();
    }
    if (status === "completed" && o.evaluate) {
      if (finalEval && step === startStep) lastEval = finalEval;
      else {
        await evaluate();
        finalEval = lastEval;
      }
    }
    if (step > startStep || !lastCheckpoint) await save();
  } finally {
    o.signal?.removeEventListener("abort", onAbort);
    if (handleSignals) {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    metrics.close();
    if (bar) bar.done();
  }
  const seconds = (performance.now() - t0) / 1000;
  if (bySignal && status === "interrupted") {
    throw new Interrupted(
      `${bySignal}: stopped at step ${step}/${o.totalSteps}, checkpoint saved in ${lastCheckpoint}; ` +
        "run the same command again to continue from it",
    );
  }
  if (verbose) {
    const parts = [
      `${status === "completed" ? "done" : "interrupted"}: ${step}/${o.totalSteps} steps in ${formatDuration(seconds)}`,
      `(${((step - startStep) / Math.max(seconds, 1e-9)).toFixed(2)} it/s)`,
    ];
    if (lastLog) {
      const shown = Object.entries(lastLog).filter(
        ([k]) => k !== "step" && k !== "time" && k !== "epoch",
      );
      parts.push(
        shown.map(([k, v]) => `${k}=${typeof v === "number" ? formatMetric(v) : v}`).join("  "),
      );
    }
    const ev = lastEval as Record<string, number> | null;
    if (ev)
      parts.push(
        Object.entries(ev)
          .map(([k, v]) => `${k}=${formatMetric(v)}`)
          .join("  "),
      );
    if (bestMetric)
      parts.push(`best ${bestMetric.name}=${formatMetric(bestMetric.value)} @ ${bestMetric.step}`);
    if (skipped) parts.push(`${skipped} steps skipped`);
    parts.push(`checkpoint: ${lastCheckpoint}`);
    process.stderr.write(`${parts.join("  ")}\n`);
  }
  return {
    status,
    state,
    step,
    startStep,
    checkpoint: lastCheckpoint,
    skipped,
    seconds,
    lastLog,
    lastEval,
    bestMetric,
  };
}
