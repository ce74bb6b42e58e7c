/**
 * Checkpoints: `<outDir>/checkpoint-<step>/` holding
 *   model.safetensors      the params pytree, under dotted names
 *   optimizer.safetensors  the optimiser state pytree ("count", "mu.<name>", "nu.<name>" for AdamW)
 *   trainer_state.json     step, epoch, host RNG state, data position, config, best metric, ...
 * Every file is written atomically inside a hidden temporary directory, which
 * is fsync'ed and then renamed to its final name: a kill -9 at any moment
 * leaves either the previous checkpoints or the complete new one, and
 * `latestCheckpoint` ignores anything else.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from "node:fs";
import { join } from "node:path";
import { fsyncDir, tempPathFor, writeJsonAtomic } from "../engine/atomic.js";
import { UserError } from "../engine/errors.js";
import type { numpy as np } from "../engine/jax.js";
import { fillTemplate, fromHost, readSafetensors } from "../engine/safetensors.js";
import { saveParamsStreaming } from "../engine/safetensors-stream.js";

export const MODEL_FILE = "model.safetensors";
export const OPTIMIZER_FILE = "optimizer.safetensors";
export const TRAINER_STATE_FILE = "trainer_state.json";

/** What trainer_state.json holds; `step` = optimiser updates completed. Extra fields are kept. */
export type TrainerState = {
  step: number;
  epoch?: number;
  /** The trainer's JSON host state: host RNG state(s), data-order position, ... */
  host?: unknown;
  config?: unknown;
  bestMetric?: { name: string; value: number; step: number } | null;
  [k: string]: unknown;
};

const CKPT_RE = /^checkpoint-(\d+)$/;

/** Names of the complete checkpoints in `outDir` with their steps, oldest first. */
export function listCheckpoints(outDir: string): { dir: string; step: number }[] {
  if (!existsSync(outDir)) return [];
  const out: { dir: string; step: number }[] = [];
  for (const name of readdirSync(outDir)) {
    const m = CKPT_RE.exec(name);
    if (!m) continue;
    const dir = join(outDir, name);
    if (isComplete(dir, Number(m[1]))) out.push({ dir, step: Number(m[1]) });
  }
  return out.sort((a, b) => a.step - b.step);
}

function isComplete(dir: string, step: number): boolean {
  try {
    if (!statSync(dir).isDirectory()) return false;
    if (!existsSync(join(dir, MODEL_FILE)) || !existsSync(join(dir, OPTIMIZER_FILE))) return false;
    const st = JSON.parse(readFileSync(join(dir, TRAINER_STATE_FILE), "utf8"));
    return st !== null && typeof st === "object" && st.step === step;
  } catch {
    return false;
  }
}

/** The complete checkpoint with the highest step in `outDir`, or null. */
export function latestCheckpoint(outDir: string): string | null {
  const all = listCheckpoints(outDir);
  return all.length ? all[all.length - 1].dir : null;
}

/**
 * Writes `<outDir>/checkpoint-<trainerState.step>/` (replacing one of the
 * same step) and deletes the oldest complete checkpoints beyond `keep`
 * (default 3; 0 keeps all). Does not consume `params` or `optState`.
 * Returns the checkpoint directory.
 */
export async function saveCheckpoint(
  outDir: string,
  c: { params: unknown; optState: unknown; trainerState: TrainerState; keep?: number },
): Promise<string> {
  const step = c.trainerState.step;
  if (!Number.isInteger(step) || step < 0) throw new Error(`saveCheckpoint: bad step ${step}`);
  mkdirSync(outDir, { recursive: true });
  const final = join(outDir, `checkpoint-${step}`);
  const tmp = tempPathFor(final);
  mkdirSync(tmp);
  try {
    // one tensor on the host at a time (GPT-2 small's full state at once was a 1.7 GB spike)
    await saveParamsStreaming(join(tmp, MODEL_FILE), c.params, { step: String(step) });
    await saveParamsStreaming(join(tmp, OPTIMIZER_FILE), c.optState, { step: String(step) });
    writeJsonAtomic(join(tmp, TRAINER_STATE_FILE), {
      ...c.trainerState,
      savedAt: new Date().toISOString(),
    });
    fsyncDir(tmp);
    if (existsSync(final)) {
      const old = tempPathFor(final);
      renameSync(final, old);
      renameSync(tmp, final);
      rmSync(old, { recursive: true, force: true });
    } else renameSync(tmp, final);
    fsyncDir(outDir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  pruneCheckpoints(outDir, c.keep ?? 3);
  return final;
}

/** Deletes all but the newest `keep` complete checkpoints and any temporary leftovers of killed saves. */
export function pruneCheckpoints(outDir: string, keep: number): void {
  for (const name of readdirSync(outDir)) {
    if (/^\.checkpoint-\d+\.tmp-/.test(name))
      rmSync(join(outDir, name), { recursive: true, force: true });
  }
  if (keep <= 0) return;
  const all = listCheckpoints(outDir);
  for (const { dir } of all.slice(0, Math.max(0, all.length - keep)))
    rmSync(dir, { recursive: true, force: true });
}

/**
 * Loads a checkpoint: params shaped like `paramsTemplate` and, given
 * `optStateTemplate`, the optimiser state shaped like it (else a flat
 * name → array record). Templates are not consumed. Throws `UserError`
 * naming the file on missing or misshapen tensors.
 */
export function loadCheckpoint<P, O = Record<string, np.Array>>(
  dir: string,
  paramsTemplate: P,
  optStateTemplate?: O,
): { params: P; optState: O; trainerState: TrainerState } {
  const statePath = join(dir, TRAINER_STATE_FILE);
  let trainerState: TrainerState;
  try {
    trainerState = JSON.parse(readFileSync(statePath, "utf8"));
  } catch (err) {
    throw new UserError(`${statePath}: cannot read trainer state (${(err as Error).message})`);
  }
  if (typeof trainerState?.step !== "number")
    throw new UserError(`${statePath}: field "step" must be a number`);
  const modelPath = join(dir, MODEL_FILE);
  const params = fillTemplate(modelPath, readSafetensors(modelPath).tensors, paramsTemplate);
  const optPath = join(dir, OPTIMIZER_FILE);
  const optTensors = readSafetensors(optPath).tensors;
  let optState: O;
  if (optStateTemplate !== undefined)
    optState = fillTemplate(optPath, optTensors, optStateTemplate);
  else {
    const flat: Record<string, np.Array> = {};
    for (const [name, t] of Object.entries(optTensors)) flat[name] = fromHost(t, name);
    optState = flat as O;
  }
  return { params, optState, trainerState };
}
