/**
 * Batched sampling over many prompts: prompts with the same token length are
 * decoded together (n rows each) with the key/value cache, so a round of
 * rollouts costs one single-position forward per new token per length group
 * instead of one per prompt. Each row stops at EOS (kept in its ids). Seeded:
 * the same seed, prompts and params give the same tokens.
 */
import { numpy as np } from "../../engine/jax.js";
import { refTree } from "../../engine/pytree.js";
import { HostRng } from "../../engine/random.js";
import type { LMConfig } from "./config.js";
import { forward, type KVCache } from "./forward.js";
import type { LMParams } from "./params.js";
import { type SamplingOptions, sampleToken } from "./sampling.js";

export type BatchSampleOptions = SamplingOptions & {
  /** samples per prompt (default 1) */
  n?: number;
  maxNewTokens?: number;
  eosTokenId?: number;
  seed?: number;
  /** largest number of rows decoded at once (default 64) */
  maxRows?: number;
};

/**
 * out[i][j] = new token ids of sample j of prompt i (prompt excluded, EOS
 * included when reached). Prompts must be non-empty. Does not consume `params`.
 */
export async function sampleBatch(
  c: LMConfig,
  params: LMParams,
  prompts: number[][],
  o: BatchSampleOptions = {},
): Promise<number[][][]> {
  const n = o.n ?? 1;
  const maxRows = o.maxRows ?? 64;
  const rng = new HostRng(o.seed ?? 0);
  const out: number[][][] = prompts.map(() => Array.from({ length: n }, () => []));
  const groups = new Map<number, number[]>();
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new Error(`sampleBatch: prompt ${i} is empty (start with BOS)`);
    const g = groups.get(p.length) ?? [];
    g.push(i);
    groups.set(p.length, g);
  });
  const rows: { prompt: number; sample: number }[][] = [];
  for (const idx of [...groups.keys()].sort((a, b) => a - b).map((k) => groups.get(k) ?? [])) {
    let cur: { prompt: number; sample: number }[] = [];
    for (const i of idx)
      for (let j = 0; j < n; j++) {
        cur.push({ prompt: i, sample: j });
        if (cur.length === maxRows) {
          rows.push(cur);
          cur = [];
        }
      }
    if (cur.length) rows.push(cur);
  }
  for (const chunk of rows) {
    const L = prompts[chunk[0].prompt].length;
    const maxNew = Math.min(o.maxNewTokens ?? 32, Math.max(0, c.maxPositions - L));
    const done = new Array<boolean>(chunk.length).fill(false);
    let input = chunk.map((r) => prompts[r.prompt]);
    let cache: KVCache | undefined;
    for (let step = 0; step < maxNew; step++) {
      const ids = np.array(input, { dtype: np.int32 });
      const r = forward(c, refTree(params), ids, { cache, returnCache: true });
      cache = r.cache;
      const [B, T, V] = r.logits.shape;
      const last = (await r.logits.slice([], T - 1).data()) as Float32Array;
      const next: number[] = [];
      for (let b = 0; b < B; b++) {
        let tok = o.eosTokenId ?? 0;
        if (!done[b]) {
          tok = sampleToken(last.subarray(b * V, (b + 1) * V), rng, o);
          out[chunk[b].prompt][chunk[b].sample].push(tok);
          if (tok === o.eosTokenId) done[b] = true;
        }
        next.push(tok);
      }
      if (done.every(Boolean)) break;
      input = next.map((t) => [t]);
    }
    for (const kv of cache ?? []) {
      kv.k.dispose();
      kv.v.dispose();
    }
  }
  return out;
}
