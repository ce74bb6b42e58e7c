/**
 * Reference log-probs computed once and cached on disk beside the dataset.
 * The reference model is frozen, so log π_ref(chosen|prompt) and
 * log π_ref(rejected|prompt) of every pair are constants of (reference
 * weights, tokenised data): they are keyed by a SHA-256 of both, stored as
 * `<dataset>.ref-logps/<key>.json`, and reused by every later run (a β or
 * loss-type sweep then never runs the reference again).
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { TokenizedPair } from "../data/preference-collate.js";
import { writeJsonAtomic } from "../engine/atomic.js";

/** Summed completion log-probs and completion token counts, per pair. */
export type RefLogps = {
  chosen: number[];
  rejected: number[];
  chosenTokens: number[];
  rejectedTokens: number[];
};

/** SHA-256 over the reference weights' bytes (or a tag) and the token ids of every pair. */
export function refCacheKey(modelFingerprint: string, pairs: TokenizedPair[]): string {
  const h = createHash("sha256");
  h.update(modelFingerprint);
  for (const p of pairs) {
    h.update(Int32Array.from(p.prompt));
    h.update("|");
    h.update(Int32Array.from(p.chosen));
    h.update("|");
    h.update(Int32Array.from(p.rejected));
    h.update(";");
  }
  return h.digest("hex").slice(0, 24);
}

/** SHA-256 of a model directory's config.json and model.safetensors. */
export function modelFingerprint(dir: string): string {
  const h = createHash("sha256");
  for (const f of ["config.json", "model.safetensors"]) {
    const p = join(dir, f);
    if (existsSync(p)) h.update(readFileSync(p));
  }
  return h.digest("hex");
}

/** Where the cache of `datasetPath` under `key` lives. */
export function refCachePath(datasetPath: string, key: string): string {
  return join(dirname(datasetPath), `${basename(datasetPath)}.ref-logps`, `${key}.json`);
}

/**
 * Returns the cached log-probs for (dataset, key), or computes them with
 * `compute`, writes them atomically and returns them. `hit` says which.
 */
export async function cachedRefLogps(
  datasetPath: string,
  key: string,
  n: number,
  compute: () => Promise<RefLogps>,
): Promise<{ logps: RefLogps; hit: boolean; path: string }> {
  const path = refCachePath(datasetPath, key);
  if (existsSync(path)) {
    try {
      const j = JSON.parse(readFileSync(path, "utf8")) as RefLogps & { key: string };
      if (j.key === key && j.chosen.length === n && j.rejected.length === n) {
        return { logps: j, hit: true, path };
      }
    } catch {
      // a corrupt cache is recomputed
    }
  }
  const logps = await compute();
  writeJsonAtomic(path, { key, ...logps });
  return { logps, hit: false, path };
}
