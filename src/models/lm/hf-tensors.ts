/**
 * Hugging Face state dict ↔ prefopt params pytree, on the host. Names are the
 * transformers names (GPT2LMHeadModel, LlamaForCausalLM); GPT-2 keys may carry
 * the `transformer.` prefix or not; buffers (`attn.bias`, `attn.masked_bias`,
 * `rotary_emb.inv_freq`) are ignored; a tied head has no `lm_head.weight`.
 * LLaMA nn.Linear weights [out, in] are transposed to prefopt's [in, out].
 */
import { UserError } from "../../engine/errors.js";
import { numpy as np } from "../../engine/jax.js";
import { LowRankAdapted } from "../../nn/low-rank-adapted.js";
import type { LMConfig } from "./config.js";
import type { LMParams } from "./params.js";

/** A float32 tensor on the host. */
export type F32Tensor = { shape: number[]; data: Float32Array };

type Spec = { name: string; shape: number[]; transpose: boolean; path: (string | number)[] };

/** Every tensor a configuration needs: HF name, HF shape, and where it lives in the pytree. */
export function tensorSpecs(c: LMConfig): Spec[] {
  const out: Spec[] = [];
  const D = c.dModel;
  const F = c.dFF;
  const V = c.vocabSize;
  const add = (name: string, shape: number[], path: (string | number)[], transpose = false) =>
    out.push({ name, shape, transpose, path });
  if (c.modelType === "gpt2") {
    const t = "transformer.";
    add(`${t}wte.weight`, [V, D], ["wte", "weight"]);
    add(`${t}wpe.weight`, [c.maxPositions, D], ["wpe", "weight"]);
    for (let l = 0; l < c.nLayer; l++) {
      const p = `${t}h.${l}.`;
      const P = ["h", l];
      add(`${p}ln_1.weight`, [D], [...P, "ln_1", "weight"]);
      add(`${p}ln_1.bias`, [D], [...P, "ln_1", "bias"]);
      add(`${p}attn.c_attn.weight`, [D, 3 * D], [...P, "attn", "c_attn", "weight"]);
      add(`${p}attn.c_attn.bias`, [3 * D], [...P, "attn", "c_attn", "bias"]);
      add(`${p}attn.c_proj.weight`, [D, D], [...P, "attn", "c_proj", "weight"]);
      add(`${p}attn.c_proj.bias`, [D], [...P, "attn", "c_proj", "bias"]);
      add(`${p}ln_2.weight`, [D], [...P, "ln_2", "weight"]);
      add(`${p}ln_2.bias`, [D], [...P, "ln_2", "bias"]);
      add(`${p}mlp.c_fc.weight`, [D, F], [...P, "mlp", "c_fc", "weight"]);
      add(`${p}mlp.c_fc.bias`, [F], [...P, "mlp", "c_fc", "bias"]);
      add(`${p}mlp.c_proj.weight`, [F, D], [...P, "mlp", "c_proj", "weight"]);
      add(`${p}mlp.c_proj.bias`, [D], [...P, "mlp", "c_proj", "bias"]);
    }
    add(`${t}ln_f.weight`, [D], ["ln_f", "weight"]);
    add(`${t}ln_f.bias`, [D], ["ln_f", "bias"]);
  } else {
    const H = c.headDim;
    add("model.embed_tokens.weight", [V, D], ["model", "embed_tokens", "weight"]);
    const lin = (
      name: string,
      inD: number,
      outD: number,
      path: (string | number)[],
      bias: boolean,
    ) => {
      add(`${name}.weight`, [outD, inD], [...path, "weight"], true);
      if (bias) add(`${name}.bias`, [outD], [...path, "bias"]);
    };
    for (let l = 0; l < c.nLayer; l++) {
      const p = `model.layers.${l}.`;
      const P = ["model", "layers", l];
      add(`${p}input_layernorm.weight`, [D], [...P, "input_layernorm", "weight"]);
      const A = [...P, "self_attn"];
      lin(`${p}self_attn.q_proj`, D, c.nHead * H, [...A, "q_proj"], c.attentionBias);
      lin(`${p}self_attn.k_proj`, D, c.nKvHead * H, [...A, "k_proj"], c.attentionBias);
      lin(`${p}self_attn.v_proj`, D, c.nKvHead * H, [...A, "v_proj"], c.attentionBias);
      lin(`${p}self_attn.o_proj`, c.nHead * H, D, [...A, "o_proj"], c.attentionBias);
      add(`${p}post_attention_layernorm.weight`, [D], [...P, "post_attention_layernorm", "weight"]);
      const M = [...P, "mlp"];
      lin(`${p}mlp.gate_proj`, D, F, [...M, "gate_proj"], c.mlpBias);
      lin(`${p}mlp.up_proj`, D, F, [...M, "up_proj"], c.mlpBias);
      lin(`${p}mlp.down_proj`, F, D, [...M, "down_proj"], c.mlpBias);
    }
    add("model.norm.weight", [D], ["model", "norm", "weight"]);
  }
  if (!c.tieWordEmbeddings) add("lm_head.weight", [V, D], ["lm_head", "weight"]);
  return out;
}

function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++) out[j * rows + i] = data[i * cols + j];
  return out;
}

const IGNORED = /(\.attn\.bias|\.attn\.masked_bias|rotary_emb\.inv_freq)$/;

/** True for tensors in HF files that are buffers, not parameters. */
export function isIgnoredBuffer(name: string): boolean {
  return IGNORED.test(name);
}

/**
 * Builds the params pytree from an HF state dict. Throws UserError naming
 * `file` and the tensor when one is missing or has the wrong shape.
 */
export function paramsFromHF(
  c: LMConfig,
  tensors: Record<string, F32Tensor>,
  file: string,
): LMParams {
  const root: Record<string, unknown> = {};
  const lookup = (name: string): F32Tensor | undefined => {
    if (tensors[name]) return tensors[name];
    if (name.startsWith("transformer.")) return tensors[name.slice("transformer.".length)];
    return undefined;
  };
  for (const s of tensorSpecs(c)) {
    const t = lookup(s.name);
    if (!t) {
      const hint =
        s.name === "lm_head.weight" ? " (config.json says tie_word_embeddings is false)" : "";
      throw new UserError(`${file}: tensor "${s.name}" is missing${hint}`);
    }
    const same = t.shape.length === s.shape.length && t.shape.every((d, i) => d === s.shape[i]);
    if (!same) {
      throw new UserError(
        `${file}: tensor "${s.name}" has shape [${t.shape.join(", ")}], expected [${s.shape.join(", ")}] from config.json`,
      );
    }
    const data = s.transpose ? transpose2d(t.data, s.shape[0], s.shape[1]) : t.data;
    const shape = s.transpose ? [s.shape[1], s.shape[0]] : s.shape;
    setPath(root, s.path, np.array(data.slice(), { shape, dtype: np.float32 }));
  }
  return root as unknown as LMParams;
}

/** The HF state dict (float32, transformers names and layouts) of a params pytree. Does not consume. */
export async function paramsToHF(
  c: LMConfig,
  params: LMParams,
): Promise<Record<string, F32Tensor>> {
  const out: Record<string, F32Tensor> = {};
  for (const t of hfTensorReaders(c, params))
    out[t.name] = { shape: t.shape, data: await t.read() };
  return out;
}

/**
 * The tensors of `paramsToHF`, each read from the engine only when asked
 * (for a streamed write: one tensor on the host at a time); LoRA-adapted
 * weights (src/nn/low-rank-adapted.ts) are merged as they are read. Does not
 * consume `params`.
 */
export function hfTensorReaders(
  c: LMConfig,
  params: LMParams,
): { name: string; shape: number[]; read: () => Promise<Float32Array> }[] {
  return tensorSpecs(c).map((s) => ({
    name: s.name,
    shape: s.shape,
    read: async () => {
      // a LoRA-adapted weight (adaptLora) is merged here, one at a time
      const leaf = getPath(params, s.path) as np.Array | LowRankAdapted;
      const a = leaf instanceof LowRankAdapted ? leaf.ref.merged() : leaf.ref;
      const data = new Float32Array((await a.astype(np.float32).data()) as Float32Array);
      return s.transpose ? transpose2d(data, s.shape[1], s.shape[0]) : data;
    },
  }));
}

function setPath(root: Record<string, unknown>, path: (string | number)[], v: unknown) {
  let node: Record<string | number, unknown> = root;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i];
    if (node[k] === undefined) node[k] = typeof path[i + 1] === "number" ? [] : {};
    node = node[k] as Record<string | number, unknown>;
  }
  node[path[path.length - 1]] = v;
}

function getPath(root: unknown, path: (string | number)[]): unknown {
  let node = root as Record<string | number, unknown>;
  for (const k of path) node = node[k] as Record<string | number, unknown>;
  return node;
}
