/**
 * Language-model configuration: one plain object for both architectures, read
 * from and written to Hugging Face `config.json` (model_type gpt2 | llama).
 */
import { UserError } from "../../engine/errors.js";

export type ModelType = "gpt2" | "llama";

export type LMConfig = {
  modelType: ModelType;
  vocabSize: number;
  /** Maximum context (GPT-2 n_positions; LLaMA max_position_embeddings). */
  maxPositions: number;
  dModel: number;
  nLayer: number;
  nHead: number;
  /** Key/value heads (grouped-query attention); = nHead for GPT-2. */
  nKvHead: number;
  headDim: number;
  /** Feed-forward inner width. */
  dFF: number;
  normEps: number;
  /** RoPE base θ (LLaMA). */
  ropeTheta: number;
  tieWordEmbeddings: boolean;
  /** LLaMA only: biases on q/k/v/o projections and on the MLP. */
  attentionBias: boolean;
  mlpBias: boolean;
  bosTokenId?: number;
  eosTokenId?: number;
  padTokenId?: number;
};

/** A GPT-2 configuration with HF defaults for anything not given. */
export function gpt2Config(c: Partial<LMConfig> & { vocabSize: number }): LMConfig {
  const dModel = c.dModel ?? 768;
  const nHead = c.nHead ?? 12;
  return {
    modelType: "gpt2",
    maxPositions: 1024,
    nLayer: 12,
    dFF: 4 * dModel,
    normEps: 1e-5,
    ropeTheta: 10000,
    tieWordEmbeddings: true,
    attentionBias: true,
    mlpBias: true,
    ...c,
    dModel,
    nHead,
    nKvHead: nHead,
    headDim: dModel / nHead,
  };
}

/** A LLaMA configuration with HF defaults for anything not given. */
export function llamaConfig(c: Partial<LMConfig> & { vocabSize: number }): LMConfig {
  const dModel = c.dModel ?? 4096;
  const nHead = c.nHead ?? 32;
  return {
    modelType: "llama",
    maxPositions: 2048,
    nLayer: 32,
    dFF: 11008,
    normEps: 1e-6,
    ropeTheta: 10000,
    tieWordEmbeddings: false,
    attentionBias: false,
    mlpBias: false,
    nKvHead: nHead,
    headDim: dModel / nHead,
    ...c,
    dModel,
    nHead,
  };
}

type Json = Record<string, unknown>;

function num(j: Json, file: string, key: string, fallback?: number): number {
  const v = j[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new UserError(`${file}: field "${key}": missing, expected a number`);
  }
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new UserError(`${file}: field "${key}": expected a number, got ${JSON.stringify(v)}`);
  }
  return v;
}

function optId(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (Array.isArray(v) && typeof v[0] === "number") return v[0];
  return undefined;
}

/** Parses a Hugging Face config.json object; `file` names it in errors. */
export function configFromHF(j: Json, file = "config.json"): LMConfig {
  if (j === null || typeof j !== "object" || Array.isArray(j)) {
    throw new UserError(
      `${file}: expected a JSON object with "model_type", got ${JSON.stringify(j)?.slice(0, 40)}`,
    );
  }
  const mt = j.model_type;
  const ids: Partial<LMConfig> = {};
  for (const [k, hf] of [
    ["bosTokenId", "bos_token_id"],
    ["eosTokenId", "eos_token_id"],
    ["padTokenId", "pad_token_id"],
  ] as const) {
    const v = optId(j[hf]);
    if (v !== undefined) ids[k] = v;
  }
  let cfg: LMConfig;
  if (mt === "gpt2") {
    const act = j.activation_function ?? "gelu_new";
    if (act !== "gelu_new" && act !== "gelu_pytorch_tanh") {
      throw new UserError(
        `${file}: field "activation_function": expected gelu_new, got ${JSON.stringify(act)}`,
      );
    }
    const dModel = num(j, file, "n_embd");
    cfg = gpt2Config({
      vocabSize: num(j, file, "vocab_size"),
      maxPositions: num(j, file, "n_positions", num(j, file, "n_ctx", 1024)),
      dModel,
      nLayer: num(j, file, "n_layer"),
      nHead: num(j, file, "n_head"),
      dFF: num(j, file, "n_inner", 4 * dModel),
      normEps: num(j, file, "layer_norm_epsilon", 1e-5),
      tieWordEmbeddings: j.tie_word_embeddings !== false,
      ...ids,
    });
  } else if (mt === "llama") {
    const act = j.hidden_act ?? "silu";
    if (act !== "silu") {
      throw new UserError(`${file}: field "hidden_act": expected silu, got ${JSON.stringify(act)}`);
    }
    if (j.rope_scaling !== undefined && j.rope_scaling !== null) {
      throw new UserError(`${file}: field "rope_scaling": not supported (expected null)`);
    }
    const dModel = num(j, file, "hidden_size");
    const nHead = num(j, file, "num_attention_heads");
    cfg = llamaConfig({
      vocabSize: num(j, file, "vocab_size"),
      maxPositions: num(j, file, "max_position_embeddings", 2048),
      dModel,
      nLayer: num(j, file, "num_hidden_layers"),
      nHead,
      nKvHead: num(j, file, "num_key_value_heads", nHead),
      headDim: num(j, file, "head_dim", dModel / nHead),
      dFF: num(j, file, "intermediate_size"),
      normEps: num(j, file, "rms_norm_eps", 1e-6),
      ropeTheta: num(j, file, "rope_theta", 10000),
      tieWordEmbeddings: j.tie_word_embeddings === true,
      attentionBias: j.attention_bias === true,
      mlpBias: j.mlp_bias === true,
      ...ids,
    });
  } else {
    throw new UserError(
      `${file}: field "model_type": unknown model type ${JSON.stringify(mt)}, expected "gpt2" or "llama"`,
    );
  }
  validateConfig(cfg, file);
  return cfg;
}

/** Checks the head arithmetic; throws UserError naming `file`. */
export function validateConfig(c: LMConfig, file = "config"): void {
  const sizes: [keyof LMConfig, string][] = [
    ["vocabSize", "vocab_size"],
    ["maxPositions", c.modelType === "gpt2" ? "n_positions" : "max_position_embeddings"],
    ["dModel", c.modelType === "gpt2" ? "n_embd" : "hidden_size"],
    ["nLayer", c.modelType === "gpt2" ? "n_layer" : "num_hidden_layers"],
    ["nHead", c.modelType === "gpt2" ? "n_head" : "num_attention_heads"],
    ["nKvHead", "num_key_value_heads"],
    ["headDim", "head_dim"],
    ["dFF", c.modelType === "gpt2" ? "n_inner" : "intermediate_size"],
  ];
  for (const [k, hf] of sizes) {
    if (c.modelType === "gpt2" && (k === "headDim" || k === "nKvHead")) continue;
    const v = c[k] as number;
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new UserError(`${file}: field "${hf}": expected a positive integer, got ${v}`);
    }
  }
  for (const [k, hf] of [
    ["normEps", c.modelType === "gpt2" ? "layer_norm_epsilon" : "rms_norm_eps"],
    ["ropeTheta", "rope_theta"],
  ] as const) {
    if (!(c[k] > 0))
      throw new UserError(`${file}: field "${hf}": expected a positive number, got ${c[k]}`);
  }
  for (const k of ["bosTokenId", "eosTokenId"] as const) {
    const v = c[k];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0 || v >= c.vocabSize)) {
      const hf = k.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);
      throw new UserError(
        `${file}: field "${hf}": expected a token id in [0, ${c.vocabSize}), got ${v}`,
      );
    }
  }
  if (c.nHead % c.nKvHead !== 0) {
    throw new UserError(
      `${file}: num_attention_heads (${c.nHead}) must be a multiple of num_key_value_heads (${c.nKvHead})`,
    );
  }
  if (c.modelType === "gpt2" && c.dModel % c.nHead !== 0) {
    throw new UserError(`${file}: n_embd (${c.dModel}) must be a multiple of n_head (${c.nHead})`);
  }
  if (c.modelType === "llama" && c.headDim % 2 !== 0) {
    throw new UserError(`${file}: head_dim (${c.headDim}) must be even for RoPE`);
  }
}

/** The config.json that transformers reads for this configuration. */
export function configToHF(c: LMConfig): Json {
  const ids: Json = {};
  if (c.bosTokenId !== undefined) ids.bos_token_id = c.bosTokenId;
  if (c.eosTokenId !== undefined) ids.eos_token_id = c.eosTokenId;
  if (c.padTokenId !== undefined) ids.pad_token_id = c.padTokenId;
  if (c.modelType === "gpt2") {
    return {
      architectures: ["GPT2LMHeadModel"],
      model_type: "gpt2",
      vocab_size: c.vocabSize,
      n_positions: c.maxPositions,
      n_ctx: c.maxPositions,
      n_embd: c.dModel,
      n_layer: c.nLayer,
      n_head: c.nHead,
      n_inner: c.dFF,
      activation_function: "gelu_new",
      layer_norm_epsilon: c.normEps,
      resid_pdrop: 0.0,
      embd_pdrop: 0.0,
      attn_pdrop: 0.0,
      initializer_range: 0.02,
      scale_attn_weights: true,
      use_cache: true,
      tie_word_embeddings: c.tieWordEmbeddings,
      torch_dtype: "float32",
      ...ids,
    };
  }
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    vocab_size: c.vocabSize,
    max_position_embeddings: c.maxPositions,
    hidden_size: c.dModel,
    intermediate_size: c.dFF,
    num_hidden_layers: c.nLayer,
    num_attention_heads: c.nHead,
    num_key_value_heads: c.nKvHead,
    head_dim: c.headDim,
    hidden_act: "silu",
    rms_norm_eps: c.normEps,
    rope_theta: c.ropeTheta,
    rope_scaling: null,
    attention_bias: c.attentionBias,
    mlp_bias: c.mlpBias,
    attention_dropout: 0.0,
    initializer_range: 0.02,
    tie_word_embeddings: c.tieWordEmbeddings,
    use_cache: true,
    torch_dtype: "float32",
    ...ids,
  };
}
