/**
 * The text-conditioned UNet denoiser ε_θ(x_t, t, c) for 28×28 single-channel
 * images (NHWC): residual blocks (GroupNorm → SiLU → 3×3 conv, twice) whose
 * second norm is modulated by FiLM from the timestep embedding plus the text
 * vector, 2×2 average-pool downsampling and nearest-neighbour upsampling,
 * skip connections between the two halves, and a zero-initialised output.
 * Resolutions 28 → 14 → 7 → 14 → 28. With `attention` heads, a self-attention
 * block (GroupNorm → multi-head attention over the 49 positions → zero-init
 * projection, residual; as in DDPM's UNet) sits between the two 7×7 blocks,
 * so every position can see the whole digit.
 */
import { nn, numpy as np } from "../../engine/jax.js";
import { splitKey } from "../../engine/random.js";
import { attention } from "../../nn/attention.js";
import { type Conv2dParams, type ConvPass, conv2d, initConv2d } from "../../nn/conv2d.js";
import { type GroupNormParams, groupNorm, initGroupNorm } from "../../nn/group-norm.js";
import { linear } from "../../nn/linear.js";
import { avgPool2x, upsampleNearest2x } from "../../nn/resample.js";
import { timestepEmbedding } from "../../nn/timestep-embedding.js";
import { type DenseParams, initDense, zeroDense } from "./dense.js";

export type UNetConfig = {
  /** Channels at 14×14 and 7×7 (after the 2×2 space-to-depth of the 28×28 input). */
  channels: [number, number];
  /** Width of the timestep/text conditioning vector. */
  condDim: number;
  /** GroupNorm groups (must divide every channel count). */
  groups: number;
  /** Heads of the 7×7 self-attention block (0 or absent: no attention); must divide channels[1]. */
  attention?: number;
};

export type AttentionBlockParams = { norm: GroupNormParams; qkv: DenseParams; proj: DenseParams };

export type ResBlockParams = {
  norm1: GroupNormParams;
  conv1: Conv2dParams;
  film: DenseParams;
  norm2: GroupNormParams;
  conv2: Conv2dParams;
  skip?: Conv2dParams;
};

export type UNetParams = {
  timeMlp1: DenseParams;
  timeMlp2: DenseParams;
  convIn: Conv2dParams;
  down: ResBlockParams;
  mid0: ResBlockParams;
  attn?: AttentionBlockParams;
  mid1: ResBlockParams;
  upProj: Conv2dParams;
  up: ResBlockParams;
  normOut: GroupNormParams;
  convOut: Conv2dParams;
};

function initResBlock(key: np.Array, cin: number, cout: number, condDim: number): ResBlockParams {
  const [k1, k2, k3] = splitKey(key, 3);
  const p: ResBlockParams = {
    norm1: initGroupNorm(cin),
    conv1: initConv2d(k1, cin, cout),
    film: zeroDense(condDim, 2 * cout),
    norm2: initGroupNorm(cout),
    conv2: initConv2d(k2, cout, cout, 3, 0.3),
  };
  if (cin !== cout) p.skip = initConv2d(k3, cin, cout, 1);
  else k3.dispose();
  return p;
}

export function initUNet(key: np.Array, cfg: UNetConfig): UNetParams {
  const [c0, c1] = cfg.channels;
  const E = cfg.condDim;
  const ks = splitKey(key, cfg.attention ? 9 : 8);
  const attn = cfg.attention
    ? { norm: initGroupNorm(c1), qkv: initDense(ks[8], c1, 3 * c1), proj: zeroDense(c1, c1) }
    : undefined;
  return {
    timeMlp1: initDense(ks[0], E, E),
    timeMlp2: initDense(ks[1], E, E),
    convIn: initConv2d(ks[2], 4, c0),
    down: initResBlock(ks[3], c0, c0, E),
    mid0: initResBlock(ks[4], c0, c1, E),
    ...(attn ? { attn } : {}),
    mid1: initResBlock(ks[5], c1, c1, E),
    upProj: initConv2d(ks[6], c1, c0, 1),
    up: initResBlock(ks[7], c0, c0, E),
    normOut: initGroupNorm(c0),
    convOut: { weight: np.zeros([9 * c0, 4]), bias: np.zeros([4]) },
  };
}

/** h [B,H,W,Cin], cond [B,E] (activated) → [B,H,W,Cout]. Consumes p, h, cond. */
function resBlock(
  p: ResBlockParams,
  h: np.Array,
  cond: np.Array,
  groups: number,
  pass: ConvPass,
): np.Array {
  const [B] = h.shape;
  let y = conv2d(p.conv1, nn.silu(groupNorm(p.norm1, h.ref, groups)), 3, pass);
  const C = y.shape[3];
  const film = linear(cond, p.film.weight, p.film.bias).reshape([B, 1, 1, 2 * C]);
  const scale = film.ref.slice([], [], [], [0, C]);
  const shift = film.slice([], [], [], [C, 2 * C]);
  y = groupNorm(p.norm2, y, groups).mul(scale.add(1)).add(shift);
  y = conv2d(p.conv2, nn.silu(y), 3, pass);
  const skip = p.skip ? conv2d(p.skip, h, 1) : h;
  return skip.add(y);
}

/** h + proj(attention(GroupNorm(h))) over the H·W positions of h [B,H,W,C]. Consumes p and h. */
export function attentionBlock(
  p: AttentionBlockParams,
  h: np.Array,
  heads: number,
  groups: number,
): np.Array {
  const [B, H, W, C] = h.shape;
  const n = groupNorm(p.norm, h.ref, groups).reshape([B, H * W, C]);
  const qkv = linear(n, p.qkv.weight, p.qkv.bias).reshape([B, H * W, 3, heads, C / heads]);
  const q = qkv.ref.slice([], [], 0);
  const k = qkv.ref.slice([], [], 1);
  const v = qkv.slice([], [], 2);
  const a = attention(q, k, v, np.zeros([1, 1, 1, 1]));
  return h.add(linear(a, p.proj.weight, p.proj.bias).reshape([B, H, W, C]));
}

/** [B,2H,2W,C] → [B,H,W,4C]: each 2×2 patch becomes 4C channels. */
export function spaceToDepth(x: np.Array): np.Array {
  const [B, H, W, C] = x.shape;
  return x
    .reshape([B, H / 2, 2, W / 2, 2, C])
    .transpose([0, 1, 3, 2, 4, 5])
    .reshape([B, H / 2, W / 2, 4 * C]);
}

/** Inverse of `spaceToDepth`. */
export function depthToSpace(x: np.Array): np.Array {
  const [B, H, W, C4] = x.shape;
  const C = C4 / 4;
  return x
    .reshape([B, H, W, 2, 2, C])
    .transpose([0, 1, 3, 2, 4, 5])
    .reshape([B, 2 * H, 2 * W, C]);
}

/**
 * ε_θ(x_t, t, c): x [B,28,28,1] (NHWC), t [B] timesteps, text [B, condDim]
 * (the text encoder's output) → predicted noise [B,28,28,1]. The image is
 * folded to 14×14×4 first (2×2 space-to-depth), which keeps the convolutions
 * wide enough for the engine's matrix products. `pass` says whether gradients
 * will be taken (it picks the convolutions' fastest formulation, nn/conv2d.ts).
 * Consumes all.
 */
export function unetForward(
  p: UNetParams,
  x: np.Array,
  t: np.Array,
  text: np.Array,
  cfg: UNetConfig,
  pass: ConvPass = "training",
): np.Array {
  const E = cfg.condDim;
  const g = cfg.groups;
  const temb = timestepEmbedding(t, E);
  const tv = linear(
    nn.silu(linear(temb, p.timeMlp1.weight, p.timeMlp1.bias)),
    p.timeMlp2.weight,
    p.timeMlp2.bias,
  );
  const cond = nn.silu(tv.add(text));
  const h0 = resBlock(p.down, conv2d(p.convIn, spaceToDepth(x), 3, pass), cond.ref, g, pass); // 14×14×c0
  let m = resBlock(p.mid0, avgPool2x(h0.ref), cond.ref, g, pass); // 7×7×c1
  if (p.attn) m = attentionBlock(p.attn, m, cfg.attention ?? 1, g);
  m = resBlock(p.mid1, m, cond.ref, g, pass);
  const u = upsampleNearest2x(conv2d(p.upProj, m, 1)).add(h0); // 14×14×c0
  const y = resBlock(p.up, u, cond, g, pass);
  return depthToSpace(conv2d(p.convOut, nn.silu(groupNorm(p.normOut, y, g)), 3, pass));
}
