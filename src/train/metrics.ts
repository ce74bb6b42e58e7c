/**
 * Metrics log: one JSON object per line in `<outDir>/metrics.jsonl`,
 * {step, epoch?, time, ...metrics}, written with a synchronous append as each
 * line is logged, so a crash loses nothing already logged and another process
 * can tail the file. `time` is Unix time in seconds. Non-finite numbers are
 * written as null (JSON has no NaN).
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../engine/atomic.js";
import { UserError } from "../engine/errors.js";

export type MetricValue = number | string | boolean | null;
export type MetricsRecord = {
  step: number;
  epoch?: number;
  time: number;
  [k: string]: MetricValue | undefined;
};

/** Parses a metrics.jsonl file; throws `UserError` naming the line that is not JSON. */
export function readMetrics(path: string): MetricsRecord[] {
  if (!existsSync(path)) return [];
  const out: MetricsRecord[] = [];
  const lines = readFileSync(path, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // a torn last line from a killed run is expected; anything earlier is corruption
      if (i >= lines.length - 2) break;
      throw new UserError(`${path}:${i + 1}: not a JSON object`);
    }
  }
  return out;
}

export class MetricsLogger {
  readonly path: string;
  #fd: number | null;

  /**
   * Opens `<outDir>/<fileName>` for appending. With `keepUpToStep` (a resumed
   * run), lines logged after that step by the interrupted run are dropped
   * first, so the file reads as if the run had never stopped; `keepUpToStep: 0`
   * starts a fresh file.
   */
  constructor(outDir: string, opts: { fileName?: string; keepUpToStep?: number } = {}) {
    mkdirSync(outDir, { recursive: true });
    this.path = join(outDir, opts.fileName ?? "metrics.jsonl");
    if (opts.keepUpToStep !== undefined) {
      const kept = readMetrics(this.path).filter((r) => r.step <= (opts.keepUpToStep as number));
      writeFileAtomic(this.path, kept.map((r) => `${JSON.stringify(r)}\n`).join(""));
    }
    this.#fd = openSync(this.path, "a");
  }

  /** Appends {step, epoch?, time, ...metrics} as one line. */
  log(
    step: number,
    metrics: Record<string, MetricValue | undefined>,
    epoch?: number,
  ): MetricsRecord {
    const rec: MetricsRecord = { step, time: Math.round(Date.now()) / 1000 };
    if (epoch !== undefined) rec.epoch = epoch;
    for (const [k, v] of Object.entries(metrics)) {
      if (v === undefined || k === "step" || k === "time" || (k === "epoch" && epoch !== undefined))
        continue;
      rec[k] = typeof v === "number" && !Number.isFinite(v) ? null : v;
    }
    if (this.#fd === null) throw new Error("MetricsLogger: log after close");
    writeSync(this.#fd, `${JSON.stringify(rec)}\n`);
    return rec;
  }

  close(): void {
    if (this.#fd !== null) closeSync(this.#fd);
    this.#fd = null;
  }
}
