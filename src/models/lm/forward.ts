/**
 * The causal LM forward pass, GPT-2 and LLaMA: token ids [B, T] → logits
 * [B, T, V], with an optional key/value cache so that decoding one token
 * reuses every earlier position's keys and values. Pure: consumes `params`
 * (pass `refTree(params)` to keep them), `ids`, `keyMask` and `cache`, and is
 * traceable by jit/grad when no cache is given.
 */
import { UserError } from "../../engine/errors.js";
import { numpy as np } from "../../engine/jax.js";
import { attention, attentionBias } from "../../nn/attention.js";
import { embedding } from "../../nn/embedding.js";
import { layerNorm } from "../../nn/layer-norm.js";
import { rmsNorm } from "../../nn/rms-norm.js";
import { rope, ropeApply } from "../../nn/rope.js";
import { gpt2Block, llamaBlock } from "./block.js";
import type { LMConfig } from "./config.js";
import type { GPT2Params, LlamaParams, LMParams } from "./params.js";

/** Per-layer keys and values [B, S, K, H] of the positions seen so far. */
export type KVCache = { k: np.Array; v: np.Array }[];

export type ForwardOptions = {
  /** [B, S] with 1 for real tokens and 0 for padding, over cache + new positions. */
  keyMask?: np.Array;
  /** Keys/values of earlier positions; the result carries the extended cache. */
  cache?: KVCache;
  /** Return the extended cache (default: only when `cache` is given). */
  returnCache?: boolean;
  /**
   * [B, T] int32 position of every token (default: cache length + t). With
   * `bias`, lets one row pack several sequences that share a prefix.
   */
  positions?: np.Array;
  /**
   * Additive attention bias [B, 1, T, S] (0 = may attend, −1e9 = may not)
   * that replaces the causal/keyMask one; consumed.
   */
  bias?: np.Array;
};

export type ForwardResult = { logits: np.Array; cache?: KVCache };

/** Final (normed) hidden states [B, T, D] and the output head's weight [V, D]. */
export type HiddenResult = { hidden: np.Array; head: np.Array; cache?: KVCache };

/** Number of positions a cache holds (0 for none; a cache has one entry per layer). */
export function cacheLength(cache?: KVCache): number {
  return cache ? cache[0].k.shape[1] : 0;
}

/** logits = forward(params, ids) for one configuration; see module doc. */
export function forward(
  c: LMConfig,
  params: LMParams,
  ids: np.Array,
  opts: ForwardOptions = {},
): ForwardResult {
  const [B, T] = ids.shape;
  const { hidden, head, cache } = forwardHidden(c, params, ids, opts);
  const logits = np.matmul(hidden, head.transpose()).reshape([B, T, c.vocabSize]);
  return cache ? { logits, cache } : { logits };
}

/**
 * The transformer without its output head: logits = hidden · headᵀ. For
 * callers that need logits at only some positions (the head is a quarter of
 * a small model's work). Consumes like `forward`.
 */
export function forwardHidden(
  c: LMConfig,
  params: LMParams,
  ids: np.Array,
  opts: ForwardOptions = {},
): HiddenResult {
  return c.modelType === "gpt2"
    ? forwardGPT2(c, params as GPT2Params, ids, opts)
    : forwardLlama(c, params as LlamaParams, ids, opts);
}

/** Convenience for jit/grad: logits [B, T, V] of a padded batch, no cache. */
export function lmLogits(
  c: LMConfig,
  params: LMParams,
  ids: np.Array,
  keyMask?: np.Array,
): np.Array {
  return forward(c, params, ids, { keyMask }).logits;
}

function extend(
  cache: KVCache | undefined,
  l: number,
  k: np.Array,
  v: np.Array,
): { k: np.Array; v: np.Array } {
  if (!cache) return { k, v };
  return {
    k: np.concatenate([cache[l].k, k], 1),
    v: np.concatenate([cache[l].v, v], 1),
  };
}

function headWeight(tied: np.Array | undefined, lmHead: { weight: np.Array } | undefined) {
  return lmHead ? lmHead.weight : (tied as np.Array);
}

/** GPT-2's learned position table ends at n_positions (LLaMA's RoPE has no table). */
function checkIds(c: LMConfig, ids: np.Array, offset: number) {
  const T = ids.shape[1];
  if (offset + T > c.maxPositions) {
    throw new UserError(
      `${offset + T} positions exceed the model's context of ${c.maxPositions} (config.json n_positions); lower --max-length`,
    );
  }
}

function forwardGPT2(
  c: LMConfig,
  p: GPT2Params,
  ids: np.Array,
  opts: ForwardOptions,
): HiddenResult {
  const T = ids.shape[1];
  const S0 = cacheLength(opts.cache);
  if (!opts.positions) checkIds(c, ids, S0);
  const S = S0 + T;
  const tied = p.lm_head ? undefined : p.wte.weight.ref;
  const pos = opts.positions
    ? embedding(p.wpe.weight, opts.positions)
    : p.wpe.weight.slice([S0, S]).reshape([1, T, c.dModel]);
  let x = embedding(p.wte.weight, ids).add(pos);
  const bias = opts.bias ?? attentionBias(T, S, opts.keyMask);
  const newCache: KVCache = [];
  const keep = opts.returnCache ?? opts.cache !== undefined;
  for (let l = 0; l < c.nLayer; l++) {
    x = gpt2Block(c, p.h[l], x, (q, k, v) => {
      ({ k, v } = extend(opts.cache, l, k, v));
      if (keep) newCache.push({ k: k.ref, v: v.ref });
      return attention(q, k, v, bias.ref);
    });
  }
  bias.dispose();
  x = layerNorm(x, p.ln_f.weight, p.ln_f.bias as np.Array, c.normEps);
  const head = headWeight(tied, p.lm_head);
  return keep ? { hidden: x, head, cache: newCache } : { hidden: x, head };
}

function forwardLlama(
  c: LMConfig,
  p: LlamaParams,
  ids: np.Array,
  opts: ForwardOptions,
): HiddenResult {
  const [B, T] = ids.shape;
  const S0 = cacheLength(opts.cache);
  const S = S0 + T;
  const H = c.headDim;
  const m = p.model;
  const tied = p.lm_head ? undefined : m.embed_tokens.weight.ref;
  let x = embedding(m.embed_tokens.weight, ids);
  const bias = opts.bias ?? attentionBias(T, S, opts.keyMask);
  // per-row positions: cos/sin tables [B, T, 1, H] computed on the engine
  const tables = opts.positions ? ropeTablesOf(opts.positions, B, T, H, c.ropeTheta) : null;
  const rot = (y: np.Array) =>
    tables ? ropeApply(y, tables.cos.ref, tables.sin.ref) : rope(y, S0, c.ropeTheta);
  const newCache: KVCache = [];
  const keep = opts.returnCache ?? opts.cache !== undefined;
  for (let l = 0; l < c.nLayer; l++) {
    const attend = (q: np.Array, k: np.Array, v: np.Array) => {
      ({ k, v } = extend(opts.cache, l, k, v));
      if (keep) newCache.push({ k: k.ref, v: v.ref });
      return attention(q, k, v, bias.ref);
    };
    x = llamaBlock(c, m.layers[l], x, attend, rot);
  }
  bias.dispose();
  if (tables) {
    tables.cos.dispose();
    tables.sin.dispose();
  }
  x = rmsNorm(x, m.norm.weight, c.normEps);
  const head = headWeight(tied, p.lm_head);
  return keep ? { hidden: x, head, cache: newCache } : { hidden: x, head };
}

/** RoPE cos/sin [B, T, 1, H] of int positions [B, T]: angle = pos · θ^(−2i/H) (float32 inv_freq). */
function ropeTablesOf(
  positions: np.Array,
  B: number,
  T: number,
  H: number,
  theta: number,
): { cos: np.Array; sin: np.Array } {
  const half = H / 2;
  const inv = new Float32Array(H);
  for (let i = 0; i < H; i++) inv[i] = Math.fround(1 / theta ** ((2 * (i % half)) / H));
  const angle = positions
    .astype(np.float32)
    .reshape([B, T, 1, 1])
    .mul(np.array(inv).reshape([1, 1, 1, H]));
  return { cos: np.cos(angle.ref), sin: np.sin(angle) };
}
