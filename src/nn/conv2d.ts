/**
 * 2-D convolution for NHWC images written for the engine's fast path (DESIGN
 * §4; `lax.conv` is ~70× slower on the WebAssembly backend):
 *
 *   y[b,i,j,o] = bias[o] + Σ_{dy,dx,c} xpad[b, i+dy, j+dx, c] · w[(dy·k+dx)·C + c, o]
 *
 * as k·k matrix products, one per shift (dy, dx), each with its own [C, O]
 * block of the weight, summed. How the shifted inputs reach the products
 * decides the speed, and the best way differs between a pass whose gradient
 * is taken and a plain forward pass (measured at 32×14×14, 64→64 channels,
 * 1 thread, forward + backward / forward only):
 *
 * - `"training"`: the products read the shifted windows of the padded input
 *   directly (52 ms / 255 ms);
 * - `"inference"`: the padded input is flattened to rows of one contiguous
 *   matrix, where the shift (dy, dx) is a plain row offset dy·(W+2) + dx, so
 *   every product reads a contiguous block; the product is computed at the
 *   padded positions too (a (H+2)(W+2)/HW overhead) and the valid ones are
 *   kept (64 ms / 34 ms);
 * - narrow inputs (C < 16), either pass: the windows are concatenated along
 *   the channel axis (im2col) into one [k·k·C, O] product (4→64 channels:
 *   9 ms against 13 ms for windows); im2col at 64→64 is 100 ms / 76 ms.
 */
import { numpy as np, random } from "../engine/jax.js";

export type Conv2dParams = { weight: np.Array; bias: np.Array };

/** Whether gradients will be taken through the convolution (selects the fastest formulation). */
export type ConvPass = "training" | "inference";

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
export function conv2d(p: Conv2dParams, x: np.Array, k = 3, pass: ConvPass = "training"): np.Array {
  const [B, H, W, C] = x.shape;
  const O = p.bias.shape[0];
  if (p.weight.shape[0] !== k * k * C) {
    throw new Error(`conv2d: weight has ${p.weight.shape[0]} rows, expected ${k * k * C}`);
  }
  if (k === 1) {
    return np
      .matmul(x.reshape([B * H * W, C]), p.weight)
      .add(p.bias)
      .reshape([B, H, W, O]);
  }
  const r = (k - 1) / 2;
  const xp = np.pad(x, [
    [0, 0],
    [r, r],
    [r, r],
    [0, 0],
  ]);
  const block = (dy: number, dx: number) => {
    const row = (dy * k + dx) * C;
    return p.weight.ref.slice([row, row + C], []);
  };
  let y: np.Array;
  if (C < 16) {
    const windows: np.Array[] = [];
    for (let dy = 0; dy < k; dy++)
      for (let dx = 0; dx < k; dx++) windows.push(xp.ref.slice([], [dy, dy + H], [dx, dx + W], []));
    xp.dispose();
    y = np.matmul(np.concatenate(windows, 3).reshape([B * H * W, k * k * C]), p.weight);
    return y.add(p.bias).reshape([B, H, W, O]);
  }
  if (pass === "training") {
    y = sumOver(k, (dy, dx) =>
      np.matmul(
        xp.ref.slice([], [dy, dy + H], [dx, dx + W], []).reshape([B * H * W, C]),
        block(dy, dx),
      ),
    );
    xp.dispose();
    p.weight.dispose();
    return y.add(p.bias).reshape([B, H, W, O]);
  }
  const Hp = H + 2 * r;
  const Wp = W + 2 * r;
  const rows = B * Hp * Wp;
  // rows past the end are read by the last image's shifts at its padded border only
  const flat = np.pad(xp.reshape([rows, C]), [
    [0, (k - 1) * (Wp + 1)],
    [0, 0],
  ]);
  y = sumOver(k, (dy, dx) => {
    const off = dy * Wp + dx;
    return np.matmul(flat.ref.slice([off, off + rows], []), block(dy, dx));
  });
  flat.dispose();
  p.weight.dispose();
  return y.add(p.bias).reshape([B, Hp, Wp, O]).slice([], [0, H], [0, W], []);
}

function sumOver(k: number, term: (dy: number, dx: number) => np.Array): np.Array {
  let acc: np.Array | null = null;
  for (let dy = 0; dy < k; dy++) {
    for (let dx = 0; dx < k; dx++) {
      const t = term(dy, dx);
      acc = acc ? acc.add(t) : t;
    }
  }
  return acc as np.Array;
}
