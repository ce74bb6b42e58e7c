/**
 * Autoregressive generation: n continuations of each of several prompts,
 * decoded together in one batch. With the KV cache (default) every prompt
 * is run once (prefill) and each new token costs one single-position step of
 * a jit-compiled, static-shape forward (decode.ts); without it every step
 * reruns each whole sequence eagerly (the reference the cache is tested
 * against). Seeded: the same seed gives the same tokens either way — rows
 * draw from one host generator in row order, step by step.
 */
import { numpy as np } from "../../engine/jax.js";
import { refTree } from "../../engine/pytree.js";
import { HostRng } from "../../engine/random.js";
import type { LMConfig } from "./config.js";
import { compiledStep, emptyCache, stepInputs } from "./decode.js";
import { forward, type KVCache } from "./forward.js";
import type { LMParams } from "./params.js";
import { type SamplingOptions, sampleToken } from "./sampling.js";

export type GenerateOptions = SamplingOptions & {
  /** Tokens to add at most (default 32); GPT-2 also stops at its context length. */
  maxNewTokens?: number;
  /** Seed of the host sampler (default 0). */
  seed?: number;
  /** Continuations per prompt (default 1). */
  n?: number;
  /** Stop a row at this token (included in its output); default none. */
  eosTokenId?: number;
  /** Use the key/value cache (default true). */
  useCache?: boolean;
};

const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

function disposeCache(cache?: KVCache) {
  for (const kv of cache ?? []) {
    kv.k.dispose();
    kv.v.dispose();
  }
}

/**
 * out[i][j] = new token ids of continuation j of prompts[i] (prompt excluded,
 * EOS included when reached). Prompts must be non-empty (start with BOS).
 * Does not consume `params`.
 */
export async function generateBatch(
  c: LMConfig,
  params: LMParams,
  prompts: number[][],
  o: GenerateOptions = {},
): Promise<number[][][]> {
  const n = o.n ?? 1;
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new Error(`generate: prompt ${i} is empty (start with a BOS token)`);
  });
  const rows = prompts.flatMap((p) => Array.from({ length: n }, () => p.slice()));
  const B = rows.length;
  const maxP = Math.max(...rows.map((r) => r.length));
  let maxNew = o.maxNewTokens ?? 32;
  if (c.modelType === "gpt2") maxNew = Math.min(maxNew, Math.max(0, c.maxPositions - maxP));
  const rng = new HostRng(o.seed ?? 0);
  const out: number[][] = rows.map(() => []);
  const done = new Array<boolean>(B).fill(false);
  const pick = (logitsRows: Float32Array, V: number) => {
    const next: number[] = [];
    for (let b = 0; b < B; b++) {
      const tok = done[b]
        ? (o.eosTokenId ?? 0)
        : sampleToken(logitsRows.subarray(b * V, (b + 1) * V), rng, o);
      next.push(tok);
      if (!done[b]) {
        out[b].push(tok);
        if (tok === o.eosTokenId) done[b] = true;
      }
    }
    return next;
  };

  if (maxNew > 0 && (o.useCache ?? true)) {
    let S = roundUp(maxP + maxNew, 16);
    if (c.modelType === "gpt2") S = Math.min(S, c.maxPositions);
    const L = Math.min(roundUp(maxP, 8), S);
    const step = compiledStep(c);
    let cache = emptyCache(c, B, S);
    let [logits, next] = step(
      refTree(params),
      cache,
      stepInputs(c, rows, new Array(B).fill(0), L, S),
    );
    cache = next;
    for (let t = 0; t < maxNew; t++) {
      const toks = pick((await logits.data()) as Float32Array, c.vocabSize);
      if (done.every(Boolean) || t === maxNew - 1) break;
      const pos = rows.map((r) => r.length + t);
      [logits, next] = step(
        refTree(params),
        cache,
        stepInputs(
          c,
          toks.map((x) => [x]),
          pos,
          1,
          S,
        ),
      );
      cache = next;
    }
    disposeCache(cache);
  } else {
    const seqs = rows.map((r) => r.slice());
    for (let t = 0; t < maxNew; t++) {
      const last: Float32Array[] = [];
      for (const s of seqs) {
        const { logits } = forward(c, refTree(params), np.array([s], { dtype: np.int32 }));
        last.push((await logits.slice(0, s.length - 1).data()) as Float32Array);
      }
      const all = new Float32Array(B * c.vocabSize);
      for (const [b, r] of last.entries()) all.set(r, b * c.vocabSize);
      const toks = pick(all, c.vocabSize);
      if (done.every(Boolean)) break;
      for (const [b, x] of toks.entries()) seqs[b].push(x);
    }
  }
  return prompts.map((_, i) => out.slice(i * n, (i + 1) * n));
}

/** New token ids of each of `n` continuations of one prompt. Does not consume `params`. */
export async function generateIds(
  c: LMConfig,
  params: LMParams,
  promptIds: number[],
  o: GenerateOptions = {},
): Promise<number[][]> {
  return (await generateBatch(c, params, [promptIds], o))[0];
}
