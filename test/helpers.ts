/** Shared test helpers: engine start-up, array reads, tolerances. */
import assert from "node:assert/strict";
import { initEngine } from "../src/engine/init.js";
import { numpy as np } from "../src/engine/jax.js";

export async function setup(): Promise<void> {
  await initEngine();
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
