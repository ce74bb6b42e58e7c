/**
 * Shared by the studio tests: whether the native SQLite package and Chromium
 * are here (outside CI a missing one skips its tests with the reason; in CI,
 * where .ci/run installs both, nothing is skipped), a temporary data
 * directory, and small PNG fixtures.
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeGrayPng } from "../../src/engine/png.js";
import { loadSqlite } from "../../src/studio/sqlite.js";

function sqliteMissing(): string | false {
  try {
    loadSqlite();
    return false;
  } catch (e) {
    return (e as Error).message;
  }
}

/** A skip reason when better-sqlite3 cannot load (never in CI, where that must fail). */
export const NO_SQLITE: string | false = process.env.CI ? false : sqliteMissing();

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
/** A skip reason when Chromium is not installed (never in CI). */
export const NO_CHROMIUM: string | false =
  process.env.CI || existsSync(CHROMIUM)
    ? NO_SQLITE
    : `${CHROMIUM} not installed (apt-get install chromium)`;

export function tempDir(prefix = "prefopt-studio-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes a size×size grayscale PNG whose pixels are f(x, y) ∈ [0, 1]. */
export function writePng(path: string, f: (x: number, y: number) => number, size = 28): void {
  const px = new Float32Array(size * size);
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) px[y * size + x] = f(x, y);
  writeFileSync(path, encodeGrayPng(px, size, size));
}
