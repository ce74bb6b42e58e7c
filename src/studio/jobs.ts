/**
 * Background jobs of the studio, each the prefopt CLI as a child process.
 * Closing the loop: a DPO run on the labels collected so far, started as a
 * child process of the prefopt CLI (`prefopt dpo --data <export> --out <run>`),
 * its output kept in <run>/studio.log; its metrics.jsonl, appended to as it
 * steps, is read live by the server. Generation of candidates (pairs to label,
 * or a tuned model against its base for evaluation) runs the same way.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../engine/atomic.js";
import { UserError } from "../engine/errors.js";
import { exportFile } from "./export.js";
import type { RunRow, Store } from "./store.js";

const BIN = fileURLToPath(new URL("../../bin/prefopt.js", import.meta.url));

export type TrainRequest = {
  kind?: "dpo" | "diffusion-dpo";
  steps: number;
  batchSize: number;
  beta?: number;
  lr?: number;
};

export type RunView = RunRow & { log: string };

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "").replace("T", "-");
}

/** Starts `prefopt <args>` as a child process for run `id` (output to <dir>/studio.log). */
function spawnRun(
  store: Store,
  r: { id: string; kind: string; dir: string; data: string; args: string[] },
): RunRow {
  mkdirSync(r.dir, { recursive: true });
  const row = {
    id: r.id,
    kind: r.kind,
    dir: relative(store.dataDir, r.dir),
    data: r.data ? relative(store.dataDir, r.data) : "",
    args: JSON.stringify(r.args.map((a) => a.split(store.dataDir).join("<data>"))),
    status: "running",
    created_at: new Date().toISOString(),
  };
  store.addRun(row);
  const log = openSync(join(r.dir, "studio.log"), "a");
  const child = spawn(process.execPath, [BIN, ...r.args], { stdio: ["ignore", log, log] });
  closeSync(log);
  store.updateRun(r.id, { pid: child.pid });
  child.on("exit", (code, signal) => {
    store.updateRun(r.id, {
      status: code === 0 ? "done" : signal ? `killed (${signal})` : "failed",
      exitCode: code,
    });
  });
  child.on("error", (e) => {
    store.updateRun(r.id, { status: `failed to start (${e.message})`, exitCode: null });
  });
  return { ...row, pid: child.pid ?? null, exit_code: null, ended_at: null };
}

/**
 * The CLI arguments of a training run on an export: `prefopt dpo` for text
 * pairs, `prefopt diffusion dpo` for image pairs; β and the learning rate are
 * the command's defaults unless given.
 */
export function trainArgs(req: TrainRequest, data: string, out: string): string[] {
  const cmd = req.kind === "diffusion-dpo" ? ["diffusion", "dpo"] : ["dpo"];
  const args = [...cmd, "--data", data, "--out", out, "--steps", String(req.steps)];
  args.push("--batch-size", String(req.batchSize));
  if (req.beta !== undefined) args.push("--beta", String(req.beta));
  if (req.lr !== undefined) args.push("--lr", String(req.lr));
  return args;
}

/** Exports the labels (text, or images for Diffusion-DPO) and starts the training run on them. */
export function startTraining(store: Store, req: TrainRequest): RunRow {
  const kind = req.kind ?? "dpo";
  const id = `${kind}-${stamp()}-${Math.random().toString(36).slice(2, 6)}`;
  const dir = join(store.dataDir, "runs", id);
  const data = join(store.dataDir, "exports", `${id}.jsonl`);
  const media = kind === "diffusion-dpo" ? "image" : "text";
  const summary = exportFile(store, media, data);
  if (summary.rows < 2) {
    throw new UserError(`only ${summary.rows} labeled ${media} pair(s); label at least 2 to train`);
  }
  return spawnRun(store, { id, kind, dir, data, args: trainArgs({ ...req, kind }, data, dir) });
}

export type GenerateJob = {
  task: "pairs" | "eval";
  /** eval: a finished run of this studio, evaluated against the model it started from */
  run?: string;
  /** prompts (default: those of the pairs imported for labeling) */
  prompts?: string[];
  limit: number;
  maxNewTokens: number;
  temperature: number;
};

/** Starts `prefopt studio generate` in the background; returns the job as a run. */
export function startGenerate(store: Store, job: GenerateJob): RunRow {
  const id = `generate-${stamp()}-${Math.random().toString(36).slice(2, 6)}`;
  const dir = join(store.dataDir, "runs", id);
  mkdirSync(dir, { recursive: true });
  const args = ["studio", "generate", "--data", store.dataDir, "--limit", String(job.limit)];
  args.push("--max-new-tokens", String(job.maxNewTokens), "--temperature", String(job.temperature));
  if (job.prompts) {
    const file = join(dir, "prompts.jsonl");
    writeFileAtomic(file, job.prompts.map((prompt) => JSON.stringify({ prompt })).join("\n"));
    args.push("--prompts", file);
  }
  if (job.task === "eval") {
    if (!job.run) throw new UserError("run: name the finished run to evaluate against its base");
    const r = store.run(job.run);
    if (r?.kind !== "dpo" || r.status !== "done") {
      throw new UserError(`run: "${job.run}" is not a finished DPO run of this studio`);
    }
    args.push(
      "--eval",
      "--model-a",
      join(store.dataDir, r.dir),
      "--name-a",
      r.id,
      "--name-b",
      "base",
    );
  }
  return spawnRun(store, { id, kind: "generate", dir, data: "", args });
}

function alive(pid: number | null): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A run with its status checked (a run left by an earlier server is "lost" once its process is gone) and its log's tail. */
export function viewRun(store: Store, r: RunRow): RunView {
  let status = r.status;
  if (status === "running" && !alive(r.pid)) {
    store.updateRun(r.id, { status: "ended (server restarted)" });
    status = "ended (server restarted)";
  }
  const logPath = join(store.dataDir, r.dir, "studio.log");
  const log = existsSync(logPath) ? readFileSync(logPath, "utf8").slice(-4000) : "";
  return { ...r, status, log };
}

/** Starts `prefopt studio judge` (the AI judges on the unjudged evaluation pairs) in the background. */
export function startJudge(store: Store): RunRow {
  const id = `judge-${stamp()}-${Math.random().toString(36).slice(2, 6)}`;
  const dir = join(store.dataDir, "runs", id);
  const args = ["studio", "judge", "--data", store.dataDir];
  return spawnRun(store, { id, kind: "judge", dir, data: "", args });
}
