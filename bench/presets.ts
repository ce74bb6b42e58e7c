/**
 * The benchmarks' model shapes: the flags of bench/run.ts resolved against a
 * `--preset` (explicit flags override the preset's values), the LMConfig a
 * shape stands for, and the anchor's flags for it. Also the home of the
 * real-size presets of bench/gpt2-checkpoint.ts. Loads no engine (bench/run.ts
 * imports it before the profiler's Worker is in place).
 *
 *   gpt2       GPT-2 small: 12 layers, width 768, 12 heads, vocabulary 50257 (124M)
 *   qwen-0.5b  Qwen2.5-0.5B's shape, LLaMA family: 24 layers, width 896, 14 query
 *              heads sharing 2 key/value heads (head width 64), SwiGLU 4864, q/k/v/o
 *              biases, RoPE θ 10⁶, RMSNorm ε 10⁻⁶, tied embeddings, vocabulary 151936 (494M)
 */
import { gpt2Config, type LMConfig, llamaConfig } from "../src/models/lm/config.js";

/** A benchmark's model and batch: GPT-2 when kvHeads is 0, else LLaMA-family. */
export type BenchShape = {
  preset: string;
  layers: number;
  dim: number;
  heads: number;
  /** key/value heads (grouped-query attention); 0: GPT-2 */
  kvHeads: number;
  /** MLP width; 0: the architecture's default (GPT-2 4·dim) */
  ff: number;
  vocab: number;
  promptLen: number;
  responseLen: number;
  pairs: number;
  steps: number;
  beta: number;
  /** 0: full fine-tuning */
  loraRank: number;
  /** LLaMA only: RoPE base, RMSNorm ε, biases on q/k/v/o */
  ropeTheta?: number;
  normEps?: number;
  attentionBias?: boolean;
};

type PresetShape = Pick<BenchShape, "layers" | "dim" | "heads" | "kvHeads" | "ff" | "vocab"> &
  Pick<BenchShape, "ropeTheta" | "normEps" | "attentionBias">;

export const PRESETS: Record<string, PresetShape> = {
  gpt2: { layers: 12, dim: 768, heads: 12, kvHeads: 0, ff: 0, vocab: 50257 },
  "qwen-0.5b": {
    layers: 24,
    dim: 896,
    heads: 14,
    kvHeads: 2,
    ff: 4864,
    vocab: 151936,
    ropeTheta: 1e6,
    normEps: 1e-6,
    attentionBias: true,
  },
};

/** The anchor shape of ../shared/bench/torch_dpo_step.py: what the flags default to without a preset. */
const DEFAULTS: Omit<BenchShape, "preset"> = {
  layers: 4,
  dim: 256,
  heads: 4,
  kvHeads: 0,
  ff: 0,
  vocab: 4096,
  promptLen: 64,
  responseLen: 64,
  pairs: 8,
  steps: 5,
  beta: 0.1,
  loraRank: 0,
};

/** The value after `--name` in `args`, or undefined. */
export function flagValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

/**
 * The shape the flags ask for: `--preset NAME` (gpt2, qwen-0.5b) sets the model, every
 * explicit flag (--layers --dim --heads --kv-heads --ff --vocab --prompt-len --response-len
 * --pairs --steps --beta --lora-rank) overrides it. Throws on an unknown preset or a flag
 * that is not a number.
 */
export function resolveShape(args: string[]): BenchShape {
  const preset = flagValue(args, "preset") ?? "";
  if (preset && !(preset in PRESETS))
    throw new Error(`--preset: ${Object.keys(PRESETS).join(" or ")}, got ${preset}`);
  const base = { ...DEFAULTS, ...(preset ? PRESETS[preset] : {}) };
  const num = (flag: string, def: number) => {
    const v = flagValue(args, flag);
    if (v === undefined) return def;
    const n = Number(v);
    if (v === "" || !Number.isFinite(n)) throw new Error(`--${flag}: expected a number, got ${v}`);
    return n;
  };
  return {
    ...base,
    preset,
    layers: num("layers", base.layers),
    dim: num("dim", base.dim),
    heads: num("heads", base.heads),
    kvHeads: num("kv-heads", base.kvHeads),
    ff: num("ff", base.ff),
    vocab: num("vocab", base.vocab),
    promptLen: num("prompt-len", base.promptLen),
    responseLen: num("response-len", base.responseLen),
    pairs: num("pairs", base.pairs),
    steps: num("steps", base.steps),
    beta: num("beta", base.beta),
    loraRank: num("lora-rank", base.loraRank),
  };
}

/**
 * The model configuration of `s` (gpt2Config or llamaConfig, tied embeddings); the context is
 * prompt + response unless `extra.maxPositions` says otherwise.
 */
export function shapeConfig(
  s: Omit<BenchShape, "preset" | "pairs" | "steps" | "beta" | "loraRank">,
  extra: Partial<LMConfig> = {},
): LMConfig {
  const common = {
    vocabSize: s.vocab,
    dModel: s.dim,
    nHead: s.heads,
    nLayer: s.layers,
    maxPositions: s.promptLen + s.responseLen,
    ...(s.ff ? { dFF: s.ff } : {}),
  };
  if (!s.kvHeads) return gpt2Config({ ...common, ...extra });
  return llamaConfig({
    ...common,
    nKvHead: s.kvHeads,
    tieWordEmbeddings: true,
    ...(s.ropeTheta !== undefined ? { ropeTheta: s.ropeTheta } : {}),
    ...(s.normEps !== undefined ? { normEps: s.normEps } : {}),
    ...(s.attentionBias !== undefined ? { attentionBias: s.attentionBias } : {}),
    ...extra,
  });
}

/** A preset's configuration at a given context (bench/gpt2-checkpoint.ts writes it). */
export function presetConfig(name: string, extra: Partial<LMConfig> = {}): LMConfig {
  const p = PRESETS[name];
  if (!p) throw new Error(`--preset: ${Object.keys(PRESETS).join(" or ")}, got ${name}`);
  return shapeConfig({ ...p, promptLen: 0, responseLen: 0 }, extra);
}

/** Flags of bench/torch_llama_dpo_step.py for the model of `c` (architecture and shape). */
export function anchorModelFlags(c: LMConfig): string[] {
  const f: string[] = [
    "--arch",
    c.modelType,
    "--layers",
    String(c.nLayer),
    "--dim",
    String(c.dModel),
    "--heads",
    String(c.nHead),
    "--ff",
    String(c.dFF),
    "--vocab",
    String(c.vocabSize),
  ];
  if (c.modelType === "llama") {
    f.push("--kv-heads", String(c.nKvHead), "--rope-theta", String(c.ropeTheta));
    f.push("--norm-eps", String(c.normEps));
    if (c.attentionBias) f.push("--attention-bias");
    if (!c.tieWordEmbeddings) f.push("--untied");
  }
  return f;
}
