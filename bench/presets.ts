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
import { UserError } from "../src/engine/errors.js";
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

/** The value after `--name` in `args`, or undefined; a flag given without a value is refused. */
export function flagValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || (v.startsWith("--") && Number.isNaN(Number(v))))
    throw new UserError(`--${name}: expected a value after it`);
  return v;
}

/** `--name` as a number in [min, ∞) (an integer unless `real`), or `def` when absent. */
function numberFlag(args: string[], name: string, def: number, min: number, real = false): number {
  const v = flagValue(args, name);
  if (v === undefined) return def;
  const n = Number(v);
  const ok =
    v.trim() !== "" && Number.isFinite(n) && (real ? n > min : Number.isInteger(n) && n >= min);
  if (!ok)
    throw new UserError(
      `--${name}: expected ${real ? `a number > ${min}` : `an integer ≥ ${min}`}, got ${v}`,
    );
  return n;
}

/**
 * The shape the flags ask for: `--preset NAME` (gpt2, qwen-0.5b) sets the model, every
 * explicit flag (--layers --dim --heads --kv-heads --ff --vocab --prompt-len --response-len
 * --pairs --steps --beta --lora-rank) overrides it. Throws a UserError (one line: the flag,
 * what it takes, what it got) on an unknown preset, a value out of range, or heads that do
 * not divide the width (or key/value heads that do not divide the heads).
 */
export function resolveShape(args: string[]): BenchShape {
  const preset = flagValue(args, "preset") ?? "";
  if (preset && !(preset in PRESETS))
    throw new UserError(`--preset: ${Object.keys(PRESETS).join(" or ")}, got ${preset}`);
  const base = { ...DEFAULTS, ...(preset ? PRESETS[preset] : {}) };
  const int = (flag: string, def: number, min: number) => numberFlag(args, flag, def, min);
  const s: BenchShape = {
    ...base,
    preset,
    layers: int("layers", base.layers, 1),
    dim: int("dim", base.dim, 1),
    heads: int("heads", base.heads, 1),
    kvHeads: int("kv-heads", base.kvHeads, 0),
    ff: int("ff", base.ff, 0),
    vocab: int("vocab", base.vocab, 2),
    promptLen: int("prompt-len", base.promptLen, 1),
    responseLen: int("response-len", base.responseLen, 1),
    pairs: int("pairs", base.pairs, 1),
    steps: int("steps", base.steps, 1),
    beta: numberFlag(args, "beta", base.beta, 0, true),
    loraRank: int("lora-rank", base.loraRank, 0),
  };
  if (s.dim % s.heads !== 0)
    throw new UserError(`--heads: ${s.heads} heads do not divide the width --dim ${s.dim}`);
  if (s.kvHeads > 0 && s.heads % s.kvHeads !== 0)
    throw new UserError(
      `--kv-heads: ${s.kvHeads} key/value heads do not divide --heads ${s.heads}`,
    );
  return s;
}

/** How bench/run.ts runs: which benchmarks, at which thread counts, how many rounds. */
export type RunFlags = {
  names: string[];
  threads: number[];
  repeat: number;
  warmup: number;
  device: "cpu" | "webgpu";
  /** --stream on (default) | off: DPO steps with or without streaming jit */
  stream: boolean;
};

/** Every flag bench/run.ts reads; anything else is refused rather than silently ignored. */
const RUN_FLAGS = [
  ...["preset", "layers", "dim", "heads", "kv-heads", "ff", "vocab", "prompt-len"],
  ...["response-len", "pairs", "steps", "beta", "lora-rank", "threads", "repeat", "warmup"],
  ...["device", "stream", "host-ms", "extra-message-us", "child"],
];

/**
 * bench/run.ts's own flags, checked: benchmark names from `known` (none: `all`), --threads a
 * comma list of integers ≥ 1 (default 1,2; 1 on WebGPU), --repeat ≥ 1 (default 3, 1 with a
 * preset), --warmup ≥ 0 (default 3), --device cpu | webgpu, --stream on | off. Throws a
 * UserError naming the flag on anything else.
 */
export function runFlags(args: string[], known: string[], all: string[]): RunFlags {
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith("--")) {
      if (!RUN_FLAGS.includes(a.slice(2)))
        throw new UserError(
          `${a}: not a flag of npm run bench (npm run bench -- --help lists them)`,
        );
      i++; // its value
    } else if (!known.includes(a))
      throw new UserError(`${a}: not a benchmark; one of ${known.join(", ")}`);
    else names.push(a);
  }
  const device = flagValue(args, "device") ?? "cpu";
  if (device !== "cpu" && device !== "webgpu")
    throw new UserError(`--device: cpu or webgpu, got ${device}`);
  const stream = flagValue(args, "stream") ?? "on";
  if (stream !== "on" && stream !== "off")
    throw new UserError(`--stream: on or off, got ${stream}`);
  const list = flagValue(args, "threads") ?? (device === "webgpu" ? "1" : "1,2");
  const parts = list.split(",").map((t) => t.trim());
  if (!parts.every((t) => /^\d+$/.test(t) && Number(t) >= 1))
    throw new UserError(`--threads: expected integers ≥ 1 separated by commas, got ${list}`);
  const preset = flagValue(args, "preset");
  return {
    names: names.length ? names : all,
    threads: parts.map(Number),
    repeat: numberFlag(args, "repeat", preset ? 1 : 3, 1),
    warmup: numberFlag(args, "warmup", 3, 0),
    device,
    stream: stream === "on",
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
  if (!p) throw new UserError(`--preset: ${Object.keys(PRESETS).join(" or ")}, got ${name}`);
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
