/**
 * Closing the loop: a DPO run on the labels collected so far, started as a
 * child process of the prefopt CLI (`prefopt dpo --data <export> --out <run>`),
 * its output kept in <run>/studio.log and its metrics read live from
 * <run>/metrics.jsonl, which the trainer appends to as it steps.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../engine/errors.js";
import { exportFile } from "./export.js";
import type { RunRow, Store } from "./store.js";

const BIN = fileURLToPath(new URL("../../bin/prefopt.js", import.meta.url));

export type TrainRequest = { steps: number; beta: number; batchSize: number; lr?: number };

export type RunView = RunRow & { log: string };

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "").replace("T", "-");
}

/** Exports the text labels and starts `prefopt dpo` on them; returns the run's id. */
export function startDpo(store: Store, req: TrainRequest): RunRow {
  const id = `dpo-${stamp()}-${Math.random().toString(36).slice(2, 6)}`;
  const dir = join(store.dataDir, "runs", id);
  const data = join(store.dataDir, "exports", `${id}.jsonl`);
  const summary = exportFile(store, "text", data);
  if (summary.rows < 2) {
    throw new UserError(`only ${summary.rows} labeled text pair(s); label at least 2 to train`);
  }
  mkdirSync(dir, { recursive: true });
  const args = [
    "dpo",
    "--data",
    data,
    "--out",
    dir,
    "--steps",
    String(req.steps),
    "--beta",
    String(req.beta),
    "--batch-size",
    String(req.batchSize),
  ];
  if (req.lr !== undefined) args.push("--lr", String(req.lr));
  const row = {
    id,
    kind: "dpo",
    dir: relative(store.dataDir, dir),
    data: relative(store.dataDir, data),
    args: JSON.stringify(args.map((a) => a.replace(store.dataDir, "<data>"))),
    status: "running",
    created_at: new Date().toISOString(),
  };
  store.addRun(row);
  const log = openSync(join(dir, "studio.log"), "a");
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  store.updateRun(id, { pid: child.pid });
  child.on("exit", (code, signal) => {
    store.updateRun(id, {
      status: code === 0 ? "done" : signal ? `killed (${signal})` : "failed",
      exitCode: code,
    });
  });
  child.on("error", (e) => {
    store.updateRun(id, { status: `failed to start (${e.message})`, exitCode: null });
  });
  return { ...row, pid: child.pid ?? null, exit_code: null, ended_at: null };
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

/** The complete rows of a metrics.jsonl (a line still being written is left out). */
export function readMetrics(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  const out: Record<string, unknown>[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line);
      if (v && typeof v === "object" && !Array.isArray(v)) out.push(v);
    } catch {
      // the last line may be half-written while the run appends
    }
  }
  return out;
}
