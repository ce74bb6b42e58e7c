/**
 * The parameter pytree of a causal LM. Keys follow Hugging Face state-dict
 * names (GPT-2 without the `transformer.` prefix), so flattening the tree
 * gives the safetensors names; every linear weight is stored [in, out]
 * (GPT-2 Conv1D layout; LLaMA's nn.Linear [out, in] is transposed on load and
 * save). Embedding and head matrices are [vocab, d_model] as in HF.
 */
import type { numpy as np } from "../../engine/jax.js";
import { numpy as jnp, random } from "../../engine/jax.js";
import { splitKey } from "../../engine/random.js";
import type { LMConfig } from "./config.js";

export type Linear = { weight: np.Array; bias?: np.Array };
export type Norm = { weight: np.Array; bias?: np.Array };

export type GPT2Block = {
  ln_1: Norm;
  attn: { c_attn: Linear; c_proj: Linear };
  ln_2: Norm;
  mlp: { c_fc: Linear; c_proj: Linear };
};
export type GPT2Params = {
  wte: { weight: np.Array };
  wpe: { weight: np.Array };
  h: GPT2Block[];
  ln_f: Norm;
  lm_head?: { weight: np.Array };
};

export type LlamaBlock = {
  input_layernorm: Norm;
  self_attn: { q_proj: Linear; k_proj: Linear; v_proj: Linear; o_proj: Linear };
  post_attention_layernorm: Norm;
  mlp: { gate_proj: Linear; up_proj: Linear; down_proj: Linear };
};
export type LlamaParams = {
  model: { embed_tokens: { weight: np.Array }; layers: LlamaBlock[]; norm: Norm };
  lm_head?: { weight: np.Array };
};

export type LMParams = GPT2Params | LlamaParams;

/**
 * Fresh parameters: weights ~ N(0, 0.02²), residual output projections
 * ~ N(0, (0.02/√(2L))²) (GPT-2 paper), biases 0, norm gains 1. Consumes `key`.
 */
export function initParams(c: LMConfig, key: np.Array): LMParams {
  const keys = splitKey(key, 4 + c.nLayer * 8);
  let ki = 0;
  const std = 0.02;
  const projStd = std / Math.sqrt(2 * c.nLayer);
  const normal = (shape: number[], s: number) =>
    random.normal(keys[ki++], shape).mul(s).astype(jnp.float32);
  const zeros = (n: number) => jnp.zeros([n], { dtype: jnp.float32 });
  const ones = (n: number) => jnp.ones([n], { dtype: jnp.float32 });
  const D = c.dModel;
  const F = c.dFF;
  const head = () => (c.tieWordEmbeddings ? undefined : { weight: normal([c.vocabSize, D], std) });
  let out: LMParams;
  if (c.modelType === "gpt2") {
    const h: GPT2Block[] = [];
    for (let l = 0; l < c.nLayer; l++) {
      h.push({
        ln_1: { weight: ones(D), bias: zeros(D) },
        attn: {
          c_attn: { weight: normal([D, 3 * D], std), bias: zeros(3 * D) },
          c_proj: { weight: normal([D, D], projStd), bias: zeros(D) },
        },
        ln_2: { weight: ones(D), bias: zeros(D) },
        mlp: {
          c_fc: { weight: normal([D, F], std), bias: zeros(F) },
          c_proj: { weight: normal([F, D], projStd), bias: zeros(D) },
        },
      });
    }
    const p: GPT2Params = {
      wte: { weight: normal([c.vocabSize, D], std) },
      wpe: { weight: normal([c.maxPositions, D], 0.01) },
      h,
      ln_f: { weight: ones(D), bias: zeros(D) },
    };
    const lm = head();
    if (lm) p.lm_head = lm;
    out = p;
  } else {
    const H = c.headDim;
    const lin = (i: number, o: number, s: number, bias: boolean): Linear =>
      bias ? { weight: normal([i, o], s), bias: zeros(o) } : { weight: normal([i, o], s) };
    const layers: LlamaBlock[] = [];
    for (let l = 0; l < c.nLayer; l++) {
      layers.push({
        input_layernorm: { weight: ones(D) },
        self_attn: {
          q_proj: lin(D, c.nHead * H, std, c.attentionBias),
          k_proj: lin(D, c.nKvHead * H, std, c.attentionBias),
          v_proj: lin(D, c.nKvHead * H, std, c.attentionBias),
          o_proj: lin(c.nHead * H, D, projStd, c.attentionBias),
        },
        post_attention_layernorm: { weight: ones(D) },
        mlp: {
          gate_proj: lin(D, F, std, c.mlpBias),
          up_proj: lin(D, F, std, c.mlpBias),
          down_proj: lin(F, D, projStd, c.mlpBias),
        },
      });
    }
    const p: LlamaParams = {
      model: {
        embed_tokens: { weight: normal([c.vocabSize, D], std) },
        layers,
        norm: { weight: ones(D) },
      },
    };
    const lm = head();
    if (lm) p.lm_head = lm;
    out = p;
  }
  for (; ki < keys.length; ki++) keys[ki].dispose();
  return out;
}
