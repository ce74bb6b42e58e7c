/**
 * LoRA (Hu et al. 2021): a frozen linear weight W [in, out] is adapted as
 *   W' = W + (α/r)·A·B,   A [in, r] ~ U(±1/√in) (PEFT's Kaiming-uniform), B [r, out] = 0
 * so training starts exactly at the base model and only A, B (r·(in+out)
 * numbers per target) are learned. Targets are named by the module's last
 * name (GPT-2: c_attn, c_proj, c_fc; LLaMA: q_proj, k_proj, v_proj, o_proj,
 * gate_proj, up_proj, down_proj). `mergeLora` folds the adapters into the
 * weights (a plain HF model); `adaptLora` gives the same policy without
 * forming W + (α/r)·A·B, for training, and for saving (merged one weight at a
 * time as the file is written).
 */
import { UserError } from "../../engine/errors.js";
import { numpy as np, random, tree } from "../../engine/jax.js";
import { splitKey } from "../../engine/random.js";
import { LowRankAdapted } from "../../nn/low-rank-adapted.js";
import type { LMConfig } from "./config.js";
import type { LMParams } from "./params.js";

export type LoraConfig = { rank: number; alpha: number; targets: string[] };
/** Adapters keyed by the module path ("h.0.attn.c_attn"). */
export type LoraParams = Record<string, { A: np.Array; B: np.Array }>;

/** The usual targets: every linear layer of the blocks. */
export function defaultLoraTargets(c: LMConfig): string[] {
  return c.modelType === "gpt2"
    ? ["c_attn", "c_proj", "c_fc"]
    : ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];
}

type Node = Record<string, unknown>;

/** An engine array or a jit/grad tracer standing for one (tracers are not np.Array instances). */
function isLeaf(x: unknown): x is np.Array {
  return (
    x !== null &&
    typeof x === "object" &&
    Array.isArray((x as { shape?: unknown }).shape) &&
    "dtype" in (x as object)
  );
}

function isLinear(node: unknown): node is { weight: np.Array } {
  return (
    node !== null &&
    typeof node === "object" &&
    isLeaf((node as Node).weight) &&
    ((node as Node).weight as np.Array).shape.length === 2
  );
}

/** Module paths of the 2-D weights whose module name is in `targets`. */
export function loraTargetPaths(params: LMParams, targets: string[]): string[] {
  const out: string[] = [];
  const walk = (node: unknown, path: string[]) => {
    if (isLinear(node) && targets.includes(path[path.length - 1])) {
      // embeddings and heads are never adapted
      if (!["wte", "wpe", "lm_head", "embed_tokens"].includes(path[path.length - 1]))
        out.push(path.join("."));
      return;
    }
    if (node !== null && typeof node === "object" && !isLeaf(node))
      for (const [k, v] of Object.entries(node as Node)) walk(v, [...path, k]);
  };
  walk(params, []);
  return out;
}

/** Fresh adapters: A ~ U(±1/√in) (Kaiming-uniform with a = √5, as PEFT), B = 0. Consumes `key`. */
export function initLora(params: LMParams, cfg: LoraConfig, key: np.Array): LoraParams {
  if (!(Number.isInteger(cfg.rank) && cfg.rank > 0))
    throw new UserError(`--lora-rank: expected a positive integer, got ${cfg.rank}`);
  const paths = loraTargetPaths(params, cfg.targets);
  if (paths.length === 0) {
    key.dispose();
    throw new UserError(
      `--lora-targets: no linear layer is named ${cfg.targets.join(", ")} in this model`,
    );
  }
  const keys = splitKey(key, paths.length);
  const out: LoraParams = {};
  paths.forEach((p, i) => {
    let node: unknown = params;
    for (const k of p.split(".")) node = (node as Node)[k];
    const [inD, outD] = (node as { weight: np.Array }).weight.shape;
    const bound = 1 / Math.sqrt(inD);
    out[p] = {
      A: random.uniform(keys[i], [inD, cfg.rank], { minval: -bound, maxval: bound }),
      B: np.zeros([cfg.rank, outD], { dtype: np.float32 }),
    };
  });
  return out;
}

/**
 * W' = W + (α/r)·A·B for every adapted module (what is saved); other leaves
 * pass through. Consumes `params` and `lora`; traceable by jit/grad.
 */
export function mergeLora(params: LMParams, lora: LoraParams, cfg: LoraConfig): LMParams {
  return withAdapters(params, lora, cfg, (W, A, B, s) => new LowRankAdapted(W, A, B, s).merged());
}

/**
 * The policy of `mergeLora` without forming W + (α/r)·A·B: every adapted
 * weight becomes a LowRankAdapted (src/nn/low-rank-adapted.ts), which
 * `linear` applies as x·W + (α/r)·(x·A)·B, so a compiled gradient holds the
 * frozen W once (a merged weight is a new array kept for the backward pass).
 * For use inside one traced function (training and evaluation objectives);
 * consumes `params` and `lora`.
 */
export function adaptLora(params: LMParams, lora: LoraParams, cfg: LoraConfig): LMParams {
  return withAdapters(
    params,
    lora,
    cfg,
    (W, A, B, s) => new LowRankAdapted(W, A, B, s) as unknown as np.Array,
  );
}

/** Drops one reference from every leaf of an `adaptLora` tree (its adapted weights included). */
export function disposeAdapted(params: LMParams): void {
  for (const x of tree.leaves(params as never) as unknown[])
    if (x instanceof LowRankAdapted || x instanceof np.Array) x.dispose();
}

/** `params` with every adapted module's weight replaced by `combine(W, A, B, α/r)`. */
function withAdapters(
  params: LMParams,
  lora: LoraParams,
  cfg: LoraConfig,
  combine: (W: np.Array, A: np.Array, B: np.Array, scale: number) => np.Array,
): LMParams {
  const scale = cfg.alpha / cfg.rank;
  const used = new Set<string>();
  const walk = (node: unknown, path: string[]): unknown => {
    const key = path.join(".");
    if (isLinear(node) && lora[key]) {
      used.add(key);
      const { A, B } = lora[key];
      return { ...(node as Node), weight: combine(node.weight, A, B, scale) };
    }
    if (Array.isArray(node)) return node.map((v, i) => walk(v, [...path, String(i)]));
    if (node !== null && typeof node === "object" && !isLeaf(node)) {
      const o: Node = {};
      for (const [k, v] of Object.entries(node as Node)) o[k] = walk(v, [...path, k]);
      return o;
    }
    return node;
  };
  const out = walk(params, []) as LMParams;
  for (const [k, v] of Object.entries(lora)) {
    if (!used.has(k)) {
      v.A.dispose();
      v.B.dispose();
    }
  }
  return out;
}
