import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { grad, numpy as np, random } from "../../src/engine/jax.js";
import { attentionBlock, depthToSpace, spaceToDepth } from "../../src/models/diffusion/unet.js";
import { conv2d, initConv2d } from "../../src/nn/conv2d.js";
import { groupNorm, initGroupNorm } from "../../src/nn/group-norm.js";
import { avgPool2x, upsampleNearest2x } from "../../src/nn/resample.js";
import { timestepEmbedding } from "../../src/nn/timestep-embedding.js";
import { assertClose, read, setup } from "../helpers.js";

/** Naive same-padded convolution, weight [k,k,C,O] flattened as [(dy·k+dx)·C + c, o]. */
function naiveConv(
  x: number[],
  B: number,
  H: number,
  W: number,
  C: number,
  w: number[],
  b: number[],
  O: number,
  k: number,
): number[] {
  const r = (k - 1) / 2;
  const y = new Array(B * H * W * O).fill(0);
  for (let n = 0; n < B; n++)
    for (let i = 0; i < H; i++)
      for (let j = 0; j < W; j++)
        for (let o = 0; o < O; o++) {
          let acc = b[o];
          for (let dy = 0; dy < k; dy++)
            for (let dx = 0; dx < k; dx++) {
              const ii = i + dy - r;
              const jj = j + dx - r;
              if (ii < 0 || jj < 0 || ii >= H || jj >= W) continue;
              for (let c = 0; c < C; c++)
                acc += x[((n * H + ii) * W + jj) * C + c] * w[((dy * k + dx) * C + c) * O + o];
            }
          y[((n * H + i) * W + j) * O + o] = acc;
        }
  return y;
}

describe("image layers", () => {
  before(setup);

  for (const k of [3, 1])
    for (const C of [3, 16])
      for (const pass of ["training", "inference"] as const) {
        it(`conv2d ${k}×${k}, ${C} channels, ${pass} pass matches a naive loop`, () => {
          const [B, H, W, O] = [2, 5, 4, 2];
          const x = random.normal(random.key(1), [B, H, W, C]);
          const p = initConv2d(random.key(2), C, O, k);
          p.bias = random.normal(random.key(3), [O]);
          const xs = read(x.ref);
          const ws = read(p.weight.ref);
          const bs = read(p.bias.ref);
          const got = read(conv2d(p, x, k, pass));
          assertClose(got, naiveConv(xs, B, H, W, C, ws, bs, O, k), 1e-4);
        });
      }

  it("conv2d: both passes give the same gradients (input and weight)", () => {
    const [B, H, W, C, O] = [2, 5, 4, 16, 3];
    const grads = (["training", "inference"] as const).map((pass) => {
      const x = random.normal(random.key(5), [B, H, W, C]);
      const p = initConv2d(random.key(6), C, O);
      const r = random.normal(random.key(7), [B, H, W, O]);
      const f = (w: np.Array, xx: np.Array) =>
        np.sum(conv2d({ weight: w, bias: np.zeros([O]) }, xx, 3, pass).mul(r.ref));
      const [gw, gx] = grad(f, { argnums: [0, 1] })(p.weight, x) as [np.Array, np.Array];
      p.bias.dispose();
      r.dispose();
      return [read(gw), read(gx)];
    });
    assertClose(grads[1][0], grads[0][0], 1e-4);
    assertClose(grads[1][1], grads[0][1], 1e-4);
  });

  it("UNet self-attention block: h + proj(softmax(QKᵀ/√d)V) over all positions, per head", () => {
    const [B, H, W, C, heads, G] = [2, 3, 3, 8, 2, 2];
    const d = C / heads;
    const h = random.normal(random.key(8), [B, H, W, C]);
    const p = {
      norm: { scale: random.normal(random.key(9), [C]), bias: random.normal(random.key(10), [C]) },
      qkv: {
        weight: random.normal(random.key(11), [C, 3 * C]),
        bias: random.normal(random.key(12), [3 * C]),
      },
      proj: {
        weight: random.normal(random.key(13), [C, C]),
        bias: random.normal(random.key(14), [C]),
      },
    };
    const hs = read(h.ref);
    const n = read(groupNorm({ scale: p.norm.scale.ref, bias: p.norm.bias.ref }, h.ref, G));
    const [wq, bq, wp, bp] = [p.qkv.weight, p.qkv.bias, p.proj.weight, p.proj.bias].map((a) =>
      read(a.ref),
    );
    const got = read(attentionBlock(p, h, heads, G));
    const P = H * W;
    for (let b = 0; b < B; b++) {
      // qkv rows for every position
      const qkv = Array.from({ length: P }, (_, i) =>
        Array.from({ length: 3 * C }, (_, o) => {
          let acc = bq[o];
          for (let c = 0; c < C; c++) acc += n[(b * P + i) * C + c] * wq[c * 3 * C + o];
          return acc;
        }),
      );
      for (let i = 0; i < P; i++) {
        const att = new Array(C).fill(0);
        for (let hd = 0; hd < heads; hd++) {
          const logits = Array.from({ length: P }, (_, j) => {
            let dot = 0;
            for (let e = 0; e < d; e++) dot += qkv[i][hd * d + e] * qkv[j][C + hd * d + e];
            return dot / Math.sqrt(d);
          });
          const mx = Math.max(...logits);
          const ex = logits.map((l) => Math.exp(l - mx));
          const z = ex.reduce((a, v) => a + v, 0);
          for (let j = 0; j < P; j++)
            for (let e = 0; e < d; e++) att[hd * d + e] += (ex[j] / z) * qkv[j][2 * C + hd * d + e];
        }
        for (let o = 0; o < C; o++) {
          let acc = bp[o] + hs[(b * P + i) * C + o];
          for (let c = 0; c < C; c++) acc += att[c] * wp[c * C + o];
          assertClose(got[(b * P + i) * C + o], acc, 2e-3);
        }
      }
    }
  });

  it("group norm: each group has mean 0 and variance 1, then scale and shift", () => {
    const x = random.normal(random.key(4), [2, 3, 3, 4]).mul(3).add(1);
    const p = initGroupNorm(4);
    const y = read(groupNorm(p, x, 2));
    for (let n = 0; n < 2; n++)
      for (let g = 0; g < 2; g++) {
        const vals: number[] = [];
        for (let s = 0; s < 9; s++)
          for (let c = 0; c < 2; c++) vals.push(y[(n * 9 + s) * 4 + g * 2 + c]);
        const m = vals.reduce((a, v) => a + v, 0) / vals.length;
        const v = vals.reduce((a, u) => a + (u - m) ** 2, 0) / vals.length;
        assertClose(m, 0, 1e-5);
        assertClose(v, 1, 1e-3);
      }
  });

  it("average pooling and nearest upsampling", () => {
    const x = np.arange(16).astype(np.float32).reshape([1, 4, 4, 1]);
    assert.deepEqual(read(avgPool2x(x.ref)), [2.5, 4.5, 10.5, 12.5]);
    const u = read(upsampleNearest2x(np.array([1, 2, 3, 4]).reshape([1, 2, 2, 1])));
    assert.deepEqual(u, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]);
    x.dispose();
  });

  it("space-to-depth and back is the identity", () => {
    const x = random.normal(random.key(5), [2, 6, 4, 3]);
    const xs = read(x.ref);
    const y = spaceToDepth(x);
    assert.deepEqual(y.shape, [2, 3, 2, 12]);
    assertClose(read(depthToSpace(y)), xs, 0);
  });

  it("timestep embedding is [sin(tω), cos(tω)]", () => {
    const e = read(timestepEmbedding(np.array([0, 10]), 4));
    const w1 = Math.exp(-Math.log(10000) / 2);
    assertClose(
      e,
      [0, 0, 1, 1, Math.sin(10), Math.sin(10 * w1), Math.cos(10), Math.cos(10 * w1)],
      1e-4,
    );
  });
});
