/**
 * Autoregressive generation: n continuations of one prompt, decoded in a
 * batch. With the KV cache (default) the prompt is run once and each new
 * token costs one single-position forward; without it every step reruns the
 * whole sequence (the reference the cache is tested against). Seeded: the
 * same seed gives the same tokens either way.
 */
import { numpy as np } from "../../engine/jax.js";
import { refTree } from "../../engine/pytree.js";
import { HostRng } from "../../engine/random.js";
import type { LMConfig } from "./config.js";
import { forward, type KVCache } from "./forward.js";
import type { LMParams } from "./params.js";
import { type SamplingOptions, sampleToken } from "./sampling.js";

export type GenerateOptions = SamplingOptions & {
  /** Tokens to add at most (default 32); also stops at the context length. */
  maxNewTokens?: number;
  /** Seed of the host sampler (default 0). */
  seed?: number;
  /** Number of continuations (default 1). */
  n?: number;
  /** Stop a row at this token (included in its output); default none. */
  eosTokenId?: number;
  /** Use the key/value cache (default true). */
  useCache?: boolean;
};

function disposeCache(cache?: KVCache) {
  for (const kv of cache ?? []) {
    kv.k.dispose();
    kv.v.dispose();
  }
}

/** Last-position logits of every row, on the host: [n][V]. Consumes `logits` [n, T, V]. */
async function lastRows(logits: np.Array): Promise<Float32Array[]> {
  const [n, T, V] = logits.shape;
  const last = (await logits.slice([], T - 1).data()) as Float32Array;
  return Array.from({ length: n }, (_, i) => last.subarray(i * V, (i + 1) * V));
}

/** New token ids of each of `n` continuations of `promptIds` (without the prompt). Does not consume `params`. */
export async function generateIds(
  c: LMConfig,
  params: LMParams,
  promptIds: number[],
  o: GenerateOptions = {},
): Promise<number[][]> {
  if (promptIds.length === 0) throw new Error("generateIds: empty prompt (start with a BOS token)");
  const n = o.n ?? 1;
  const maxNew = Math.min(o.maxNewTokens ?? 32, Math.max(0, c.maxPositions - promptIds.length));
  const rng = new HostRng(o.seed ?? 0);
  const out: number[][] = Array.from({ length: n }, () => []);
  const done = new Array<boolean>(n).fill(false);
  const useCache = o.useCache ?? true;
  let cache: KVCache | undefined;
  const seqs = Array.from({ length: n }, () => promptIds.slice());
  let input = seqs.map((s) => s.slice());
  for (let step = 0; step < maxNew; step++) {
    const ids = np.array(input, { dtype: np.int32 });
    const r = forward(c, refTree(params), ids, useCache ? { cache, returnCache: true } : {});
    cache = r.cache;
    const rows = await lastRows(r.logits);
    const next: number[] = [];
    for (let i = 0; i < n; i++) {
      const tok = done[i] ? (o.eosTokenId ?? 0) : sampleToken(rows[i], rng, o);
      next.push(tok);
      seqs[i].push(tok);
      if (!done[i]) {
        out[i].push(tok);
        if (tok === o.eosTokenId) done[i] = true;
      }
    }
    if (done.every(Boolean)) break;
    input = useCache ? next.map((t) => [t]) : seqs.map((s) => s.slice());
  }
  disposeCache(cache);
  return out;
}
