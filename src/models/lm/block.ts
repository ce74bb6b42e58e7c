/**
 * One transformer layer, GPT-2 or LLaMA (pre-norm residual):
 * x ← x + W_o · attend(q, k, v), then x ← x + MLP(norm(x)), with q, k, v
 * projected from norm(x). The full forward pass and the cached decoder differ
 * only in where the keys and values come from (`attend`), so both run this.
 */
import type { numpy as np } from "../../engine/jax.js";
import { geluTanh } from "../../nn/gelu-tanh.js";
import { layerNorm } from "../../nn/layer-norm.js";
import { linear } from "../../nn/linear.js";
import { rmsNorm } from "../../nn/rms-norm.js";
import { swiglu } from "../../nn/swiglu.js";
import type { LMConfig } from "./config.js";
import type { GPT2Block, LlamaBlock } from "./params.js";

/**
 * Attention over the layer's keys and values given this call's new ones:
 * q [B, T, N, H], k and v [B, T, K, H] (already rotated for LLaMA) →
 * [B, T, N·H]. The caller adds earlier positions (a cache) and applies its
 * mask. Consumes q, k, v.
 */
export type Attend = (q: np.Array, k: np.Array, v: np.Array) => np.Array;

/**
 * GPT-2's fused c_attn [D, 3D] applied as three products against column
 * blocks of the weight rather than one product split afterwards: the same
 * values, but the backward pass then never concatenates the three [B, T, D]
 * gradients into a padded [B, T, 3D] one (a strided, unvectorised kernel that
 * took 14 ms per layer of a DPO step). Consumes x, weight and bias.
 */
function projectQkv(
  x: np.Array,
  weight: np.Array,
  bias: np.Array | undefined,
  D: number,
): [np.Array, np.Array, np.Array] {
  const part = (i: number, last: boolean) => {
    const w = (last ? weight : weight.ref).slice([], [i * D, (i + 1) * D]);
    const bi = bias && (last ? bias : bias.ref).slice([i * D, (i + 1) * D]);
    return linear(last ? x : x.ref, w, bi);
  };
  return [part(0, false), part(1, false), part(2, true)];
}

function heads(x: np.Array, n: number, h: number): np.Array {
  const [B, T] = x.shape;
  return x.reshape([B, T, n, h]);
}

/** A GPT-2 layer (LayerNorm, fused c_attn, GELU-tanh MLP). Consumes x and the layer's params. */
export function gpt2Block(c: LMConfig, b: GPT2Block, x: np.Array, attend: Attend): np.Array {
  const H = c.headDim;
  const hN = layerNorm(x.ref, b.ln_1.weight, b.ln_1.bias as np.Array, c.normEps);
  const [q, k, v] = projectQkv(hN, b.attn.c_attn.weight, b.attn.c_attn.bias, c.dModel);
  const a = attend(heads(q, c.nHead, H), heads(k, c.nHead, H), heads(v, c.nHead, H));
  x = x.add(linear(a, b.attn.c_proj.weight, b.attn.c_proj.bias));
  const h2 = layerNorm(x.ref, b.ln_2.weight, b.ln_2.bias as np.Array, c.normEps);
  const m = linear(
    geluTanh(linear(h2, b.mlp.c_fc.weight, b.mlp.c_fc.bias)),
    b.mlp.c_proj.weight,
    b.mlp.c_proj.bias,
  );
  return x.add(m);
}

/**
 * A LLaMA layer (RMSNorm, grouped-query attention with RoPE applied by
 * `rotate` to q and k, SwiGLU MLP). Consumes x and the layer's params.
 */
export function llamaBlock(
  c: LMConfig,
  b: LlamaBlock,
  x: np.Array,
  attend: Attend,
  rotate: (y: np.Array) => np.Array,
): np.Array {
  const H = c.headDim;
  const a = b.self_attn;
  const hN = rmsNorm(x.ref, b.input_layernorm.weight, c.normEps);
  const q = rotate(heads(linear(hN.ref, a.q_proj.weight, a.q_proj.bias), c.nHead, H));
  const k = rotate(heads(linear(hN.ref, a.k_proj.weight, a.k_proj.bias), c.nKvHead, H));
  const v = heads(linear(hN, a.v_proj.weight, a.v_proj.bias), c.nKvHead, H);
  x = x.add(linear(attend(q, k, v), a.o_proj.weight, a.o_proj.bias));
  const h2 = rmsNorm(x.ref, b.post_attention_layernorm.weight, c.normEps);
  const mm = b.mlp;
  return x.add(
    swiglu(h2, mm.gate_proj.weight, mm.up_proj.weight, mm.down_proj.weight, {
      gate: mm.gate_proj.bias,
      up: mm.up_proj.bias,
      down: mm.down_proj.bias,
    }),
  );
}
