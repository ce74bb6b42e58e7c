/**
 * An independent, plain per-position Float64 implementation of GPT-2 and
 * LLaMA logits, straight from Hugging Face tensors (names and layouts as in
 * transformers), used to check prefopt's engine forward pass.
 */
import { HostRng } from "../src/engine/random.js";
import { gpt2Config, type LMConfig, llamaConfig } from "../src/models/lm/config.js";
import { type F32Tensor, tensorSpecs } from "../src/models/lm/hf-tensors.js";

type T = Record<string, F32Tensor>;

function get(t: T, name: string): Float32Array {
  const x = t[name] ?? t[name.replace(/^transformer\./, "")];
  if (!x) throw new Error(`reference: missing ${name}`);
  return x.data;
}

/** y = x W + b with W [in, out] (Conv1D). */
function conv1d(x: number[], w: Float32Array, b: Float32Array | null, out: number): number[] {
  const y = new Array(out).fill(0);
  for (let j = 0; j < out; j++) {
    let s = b ? b[j] : 0;
    for (let i = 0; i < x.length; i++) s += x[i] * w[i * out + j];
    y[j] = s;
  }
  return y;
}

/** y = W x + b with W [out, in] (nn.Linear). */
function nnLinear(x: number[], w: Float32Array, b: Float32Array | null, out: number): number[] {
  const y = new Array(out).fill(0);
  for (let j = 0; j < out; j++) {
    let s = b ? b[j] : 0;
    for (let i = 0; i < x.length; i++) s += w[j * x.length + i] * x[i];
    y[j] = s;
  }
  return y;
}

function layerNorm(x: number[], g: Float32Array, b: Float32Array, eps: number): number[] {
  const n = x.length;
  const mu = x.reduce((a, v) => a + v, 0) / n;
  const v = x.reduce((a, u) => a + (u - mu) ** 2, 0) / n;
  return x.map((u, i) => ((u - mu) / Math.sqrt(v + eps)) * g[i] + b[i]);
}

function rmsNorm(x: number[], g: Float32Array, eps: number): number[] {
  const ms = x.reduce((a, v) => a + v * v, 0) / x.length;
  return x.map((u, i) => (u / Math.sqrt(ms + eps)) * g[i]);
}

const geluNew = (x: number) =>
  0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const silu = (x: number) => x / (1 + Math.exp(-x));

/** One query head attending over keys/values 0..t. */
function attendHead(q: number[], ks: number[][], vs: number[][]): number[] {
  const H = q.length;
  const scores = ks.map((k) => k.reduce((a, kv, i) => a + kv * q[i], 0) / Math.sqrt(H));
  const m = Math.max(...scores);
  const e = scores.map((s) => Math.exp(s - m));
  const z = e.reduce((a, v) => a + v, 0);
  const out = new Array(H).fill(0);
  for (let s = 0; s < vs.length; s++) for (let i = 0; i < H; i++) out[i] += (e[s] / z) * vs[s][i];
  return out;
}

/** RoPE, rotate-half pairs (i, i + H/2), angle p · θ^(−2i/H). */
function ropeHead(x: number[], pos: number, theta: number): number[] {
  const H = x.length;
  const half = H / 2;
  const y = x.slice();
  for (let i = 0; i < half; i++) {
    const a = pos / theta ** ((2 * i) / H);
    y[i] = x[i] * Math.cos(a) - x[i + half] * Math.sin(a);
    y[i + half] = x[i + half] * Math.cos(a) + x[i] * Math.sin(a);
  }
  return y;
}

/** Logits [T][V] of `ids` under HF tensors `t`. */
export function referenceLogits(c: LMConfig, t: T, ids: number[]): number[][] {
  const gpt2 = c.modelType === "gpt2";
  const emb = get(t, gpt2 ? "transformer.wte.weight" : "model.embed_tokens.weight");
  const head = c.tieWordEmbeddings ? emb : get(t, "lm_head.weight");
  return referenceHidden(c, t, ids).map((h) => nnLinear(h, head, null, c.vocabSize));
}

/** Final hidden states [T][D] (after the last norm, before the LM head) of `ids` under HF tensors `t`. */
export function referenceHidden(c: LMConfig, t: T, ids: number[]): number[][] {
  const D = c.dModel;
  const N = c.nHead;
  const K = c.nKvHead;
  const H = c.headDim;
  const gpt2 = c.modelType === "gpt2";
  const emb = get(t, gpt2 ? "transformer.wte.weight" : "model.embed_tokens.weight");
  let xs: number[][] = ids.map((id, p) => {
    const row = Array.from(emb.subarray(id * D, id * D + D));
    if (gpt2) {
      const wpe = get(t, "transformer.wpe.weight");
      for (let i = 0; i < D; i++) row[i] += wpe[p * D + i];
    }
    return row;
  });
  for (let l = 0; l < c.nLayer; l++) {
    const pre = gpt2 ? `transformer.h.${l}.` : `model.layers.${l}.`;
    const ks: number[][][] = Array.from({ length: K }, () => []);
    const vs: number[][][] = Array.from({ length: K }, () => []);
    const next: number[][] = [];
    for (let p = 0; p < xs.length; p++) {
      const x = xs[p];
      let q: number[];
      let k: number[];
      let v: number[];
      let attnOut: number[];
      if (gpt2) {
        const h = layerNorm(x, get(t, `${pre}ln_1.weight`), get(t, `${pre}ln_1.bias`), c.normEps);
        const qkv = conv1d(
          h,
          get(t, `${pre}attn.c_attn.weight`),
          get(t, `${pre}attn.c_attn.bias`),
          3 * D,
        );
        q = qkv.slice(0, D);
        k = qkv.slice(D, 2 * D);
        v = qkv.slice(2 * D);
      } else {
        const h = rmsNorm(x, get(t, `${pre}input_layernorm.weight`), c.normEps);
        const b = (n: string) => (c.attentionBias ? get(t, `${pre}self_attn.${n}.bias`) : null);
        q = nnLinear(h, get(t, `${pre}self_attn.q_proj.weight`), b("q_proj"), N * H);
        k = nnLinear(h, get(t, `${pre}self_attn.k_proj.weight`), b("k_proj"), K * H);
        v = nnLinear(h, get(t, `${pre}self_attn.v_proj.weight`), b("v_proj"), K * H);
      }
      for (let kh = 0; kh < K; kh++) {
        let kk = k.slice(kh * H, kh * H + H);
        if (!gpt2) kk = ropeHead(kk, p, c.ropeTheta);
        ks[kh].push(kk);
        vs[kh].push(v.slice(kh * H, kh * H + H));
      }
      const heads: number[] = [];
      for (let n = 0; n < N; n++) {
        let qq = q.slice(n * H, n * H + H);
        if (!gpt2) qq = ropeHead(qq, p, c.ropeTheta);
        const kh = Math.floor(n / (N / K));
        heads.push(...attendHead(qq, ks[kh], vs[kh]));
      }
      if (gpt2) {
        attnOut = conv1d(
          heads,
          get(t, `${pre}attn.c_proj.weight`),
          get(t, `${pre}attn.c_proj.bias`),
          D,
        );
      } else {
        const b = c.attentionBias ? get(t, `${pre}self_attn.o_proj.bias`) : null;
        attnOut = nnLinear(heads, get(t, `${pre}self_attn.o_proj.weight`), b, D);
      }
      const x1 = x.map((u, i) => u + attnOut[i]);
      let mlp: number[];
      if (gpt2) {
        const h2 = layerNorm(x1, get(t, `${pre}ln_2.weight`), get(t, `${pre}ln_2.bias`), c.normEps);
        const f = conv1d(
          h2,
          get(t, `${pre}mlp.c_fc.weight`),
          get(t, `${pre}mlp.c_fc.bias`),
          c.dFF,
        ).map(geluNew);
        mlp = conv1d(f, get(t, `${pre}mlp.c_proj.weight`), get(t, `${pre}mlp.c_proj.bias`), D);
      } else {
        const h2 = rmsNorm(x1, get(t, `${pre}post_attention_layernorm.weight`), c.normEps);
        const b = (n: string) => (c.mlpBias ? get(t, `${pre}mlp.${n}.bias`) : null);
        const g = nnLinear(h2, get(t, `${pre}mlp.gate_proj.weight`), b("gate_proj"), c.dFF);
        const u = nnLinear(h2, get(t, `${pre}mlp.up_proj.weight`), b("up_proj"), c.dFF);
        mlp = nnLinear(
          g.map((gi, i) => silu(gi) * u[i]),
          get(t, `${pre}mlp.down_proj.weight`),
          b("down_proj"),
          D,
        );
      }
      next.push(x1.map((u, i) => u + mlp[i]));
    }
    xs = next;
  }
  return xs.map((x) =>
    gpt2
      ? layerNorm(x, get(t, "transformer.ln_f.weight"), get(t, "transformer.ln_f.bias"), c.normEps)
      : rmsNorm(x, get(t, "model.norm.weight"), c.normEps),
  );
}

/** Random HF tensors for a config (norm gains near 1, everything else ~N(0, 0.3²)). */
export function randomHF(c: LMConfig, seed: number): Record<string, F32Tensor> {
  const rng = new HostRng(seed);
  const out: Record<string, F32Tensor> = {};
  for (const s of tensorSpecs(c)) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const isNorm = /(ln_|norm)/.test(s.name) && s.name.endsWith(".weight");
    for (let i = 0; i < n; i++) data[i] = (isNorm ? 1 : 0) + 0.3 * rng.normal();
    out[s.name] = { shape: s.shape, data };
  }
  return out;
}

export const tinyGPT2 = gpt2Config({
  vocabSize: 11,
  dModel: 8,
  nHead: 2,
  nLayer: 2,
  dFF: 12,
  maxPositions: 16,
});
export const tinyLlama = llamaConfig({
  vocabSize: 13,
  dModel: 8,
  nHead: 4,
  nKvHead: 2,
  headDim: 4,
  nLayer: 2,
  dFF: 12,
  maxPositions: 32,
  ropeTheta: 500,
  normEps: 1e-5,
});
