/** Shared test helpers: engine start-up, array reads, tolerances. */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { initEngine } from "../src/engine/init.js";
import { numpy as np } from "../src/engine/jax.js";

export async function setup(): Promise<void> {
  await initEngine();
}

/**
 * Starts the engine before the file's tests and gives them a fresh temporary folder
 * (named from `prefix`), removed after them. Returns the folder's getter: the folder
 * exists only once the `before` hook has run.
 */
export function engineTmpDir(prefix: string): () => string {
  let dir = "";
  before(async () => {
    await initEngine();
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  return () => dir;
}

/** A run's metrics.jsonl rows without their wall-clock `time`: what a resumed run must repeat exactly. */
export function metricsWithoutTime(runDir: string): Record<string, number>[] {
  return readFileSync(join(runDir, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => {
      const { time: _t, ...rest } = JSON.parse(l);
      return rest;
    });
}

/** Float32 engine array from JS numbers. */
export function arr(xs: number[] | number[][]): np.Array {
  return np.array(xs as number[], { dtype: np.float32 });
}

/** Reads an array as plain numbers (consumes it). */
export function read(a: np.Array): number[] {
  return Array.from(a.dataSync() as ArrayLike<number>, Number);
}

/** Reads a scalar (consumes it). */
export function scalar(a: np.Array): number {
  return read(a)[0];
}

export function assertClose(
  actual: number | number[],
  expected: number | number[],
  tol = 1e-5,
  msg = "",
): void {
  const a = Array.isArray(actual) ? actual : [actual];
  const e = Array.isArray(expected) ? expected : [expected];
  assert.equal(a.length, e.length, `${msg} length ${a.length} vs ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i] - e[i]);
    const scale = Math.max(1, Math.abs(e[i]));
    assert.ok(
      Number.isFinite(a[i]) && err <= tol * scale,
      `${msg}[${i}]: got ${a[i]}, expected ${e[i]} (tol ${tol})`,
    );
  }
}
