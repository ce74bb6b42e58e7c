/**
 * A small text encoder: word tokens → embeddings (+ learned positions) → a few
 * pre-LayerNorm transformer layers (bidirectional attention over non-pad
 * tokens) → mean over non-pad tokens → a linear map to the conditioning
 * width. Embedding lookup is a one-hot product (the vocabulary is tiny, and
 * gathers are fragile under jit(valueAndGrad), DESIGN §4).
 */
import { nn, numpy as np, random } from "../../engine/jax.js";
import { splitKey } from "../../engine/random.js";
import { attention, MASKED } from "../../nn/attention.js";
import { layerNorm } from "../../nn/layer-norm.js";
import { linear } from "../../nn/linear.js";
import { type DenseParams, initDense, initNorm, type NormParams } from "./dense.js";

export type TextEncoderConfig = {
  vocabSize: number;
  maxLen: number;
  dim: number;
  layers: number;
  heads: number;
  outDim: number;
};

export type TextLayerParams = {
  ln1: NormParams;
  qkv: DenseParams;
  proj: DenseParams;
  ln2: NormParams;
  fc1: DenseParams;
  fc2: DenseParams;
};

export type TextEncoderParams = {
  tok: np.Array;
  pos: np.Array;
  layers: TextLayerParams[];
  lnF: NormParams;
  out: DenseParams;
};

export function initTextEncoder(key: np.Array, cfg: TextEncoderConfig): TextEncoderParams {
  const ks = splitKey(key, 3 + 4 * cfg.layers);
  const D = cfg.dim;
  const layers: TextLayerParams[] = [];
  for (let l = 0; l < cfg.layers; l++) {
    layers.push({
      ln1: initNorm(D),
      qkv: initDense(ks[3 + 4 * l], D, 3 * D),
      proj: initDense(ks[4 + 4 * l], D, D, 0.5),
      ln2: initNorm(D),
      fc1: initDense(ks[5 + 4 * l], D, 2 * D),
      fc2: initDense(ks[6 + 4 * l], 2 * D, D, 0.5),
    });
  }
  return {
    tok: randomTable(ks[0], cfg.vocabSize, D),
    pos: randomTable(ks[1], cfg.maxLen, D, 0.1),
    layers,
    lnF: initNorm(D),
    out: initDense(ks[2], D, cfg.outDim),
  };
}

function randomTable(key: np.Array, n: number, d: number, scale = 1): np.Array {
  return random.normal(key, [n, d]).mul(scale);
}

/** tokens [B, L] int32 → conditioning vectors [B, outDim]. Consumes params and tokens. */
export function encodeText(
  p: TextEncoderParams,
  tokens: np.Array,
  cfg: TextEncoderConfig,
): np.Array {
  const [B, L] = tokens.shape;
  const D = cfg.dim;
  const H = cfg.heads;
  const mask = tokens.ref.notEqual(0).astype(np.float32); // [B, L]
  const onehot = nn.oneHot(tokens, cfg.vocabSize).astype(np.float32); // [B, L, V]
  let h = np.matmul(onehot, p.tok).add(p.pos.slice([0, L], [])); // [B, L, D]
  const bias = mask.ref.sub(1).mul(-MASKED).reshape([B, 1, 1, L]);
  for (const lp of p.layers) {
    const a = layerNorm(h.ref, lp.ln1.weight, lp.ln1.bias);
    const qkv = linear(a, lp.qkv.weight, lp.qkv.bias).reshape([B, L, 3, H, D / H]);
    const q = qkv.ref.slice([], [], 0);
    const k = qkv.ref.slice([], [], 1);
    const v = qkv.slice([], [], 2);
    const att = attention(q, k, v, bias.ref);
    h = h.add(linear(att, lp.proj.weight, lp.proj.bias));
    const m = layerNorm(h.ref, lp.ln2.weight, lp.ln2.bias);
    h = h.add(linear(nn.gelu(linear(m, lp.fc1.weight, lp.fc1.bias)), lp.fc2.weight, lp.fc2.bias));
  }
  bias.dispose();
  h = layerNorm(h, p.lnF.weight, p.lnF.bias);
  const w = mask.reshape([B, L, 1]);
  const pooled = h.mul(w.ref).sum(1).div(w.sum(1).add(1e-6));
  return linear(pooled, p.out.weight, p.out.bias);
}
