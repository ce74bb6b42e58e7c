/**
 * 2-D convolution for NHWC images written for the engine's fast path: the
 * k×k shifted windows of the zero-padded input are concatenated along the
 * channel axis (im2col) and multiplied by one [k·k·C, O] matrix, which is far
 * faster than `lax.conv` on the WebAssembly backend (DESIGN §4).
 *
 * y[b,i,j,o] = bias[o] + Σ_{dy,dx,c} xpad[b, i+dy, j+dx, c] · w[(dy·k+dx)·C + c, o]
 */
import { numpy as np, random } from "../engine/jax.js";

export type Conv2dParams = { weight: np.Array; bias: np.Array };

/** He-uniform-ish init: w ~ N(0, scale²/(k·k·C)), bias 0. Weight shape [k·k·C, O]. */
export function initConv2d(
  key: np.Array,
  cin: number,
  cout: number,
  k = 3,
  scale = 1,
): Conv2dParams {
  const fanIn = k * k * cin;
  const weight = random.normal(key, [fanIn, cout]).mul(scale / Math.sqrt(fanIn));
  return { weight, bias: np.zeros([cout]) };
}

/** Zero-initialised convolution (for residual outputs, so a block starts as the identity). */
export function zeroConv2d(cin: number, cout: number, k = 3): Conv2dParams {
  return { weight: np.zeros([k * k * cin, cout]), bias: np.zeros([cout]) };
}

/** Same-padded stride-1 k×k convolution of x [B,H,W,C] → [B,H,W,O]. Consumes x and p. */
export function conv2d(p: Conv2dParams, x: np.Array, k = 3): np.Array {
  const [B, H, W, C] = x.shape;
  const O = p.bias.shape[0];
  if (p.weight.shape[0] !== k * k * C) {
    throw new Error(`conv2d: weight has ${p.weight.shape[0]} rows, expected ${k * k * C}`);
  }
  let cols: np.Array;
  if (k === 1) {
    cols = x;
  } else {
    const r = (k - 1) / 2;
    const xp = np.pad(x, [
      [0, 0],
      [r, r],
      [r, r],
      [0, 0],
    ]);
    const slices: np.Array[] = [];
    for (let dy = 0; dy < k; dy++) {
      for (let dx = 0; dx < k; dx++) {
        slices.push(xp.ref.slice([], [dy, dy + H], [dx, dx + W], []));
      }
    }
    xp.dispose();
    cols = np.concatenate(slices, 3);
  }
  const y = np.matmul(cols.reshape([B * H * W, k * k * C]), p.weight).add(p.bias);
  return y.reshape([B, H, W, O]);
}
