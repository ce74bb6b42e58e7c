/**
 * The kernel profiler behind `npm run bench -- profile` and `-- scaling` (bench/profiler.ts) and
 * the scaling model (bench/scaling-model.ts): with three workers every kernel's chunks cover its
 * work exactly, a matrix product is recognised and its two row tiles are cut finer so that all
 * three threads share it (the engine patch's pool), a product reading a broadcast cotangent gets
 * that cotangent materialised, and an expression whose shared sub-expressions print to more than
 * the longest string is still traced (the engine patch cuts the trace's text).
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import {
  computeMs,
  fitHostCost,
  type KernelCut,
  splitKernels,
  stepMs,
  workerMessages,
  worstCut,
} from "../../bench/scaling-model.js";
import type { numpy as np } from "../../src/engine/jax.js";

type Prof = typeof import("../../bench/profiler.js");
type Eng = typeof import("../../src/engine/jax.js");
let prof: Prof;
let eng: Eng;
let HostRng: typeof import("../../src/engine/random.js").HostRng;

before(async () => {
  process.env.PREFOPT_THREADS = "3";
  delete process.env.PREFOPT_INLINE;
  // the profiler's timed Worker has to be in place before anything imports the engine
  prof = await import("../../bench/profiler.js");
  eng = await import("../../src/engine/jax.js");
  ({ HostRng } = await import("../../src/engine/random.js"));
  await (await import("../../src/engine/init.js")).initEngine();
});

describe("kernel profiler", () => {
  test("chunks add up to each kernel's work; 2 row tiles are cut for 3 threads, a small map is not", async () => {
    const { jit, numpy } = eng;
    const f = jit((a: np.Array, b: np.Array) => numpy.tanh(numpy.matmul(a, b)).mul(2));
    const [m, k, n] = [256, 64, 96];
    const rng = new HostRng(3);
    const input = (len: number): Float32Array<ArrayBuffer> =>
      Float32Array.from({ length: len }, () => rng.normal() / 4);
    const [a0, b0, a, b] = [input(m * k), input(k * n), input(m * k), input(k * n)];
    const arr = (x: Float32Array<ArrayBuffer>, r: number, c: number) =>
      numpy.array(x).reshape([r, c]);
    await f(arr(a0, m, k), arr(b0, k, n)).blockUntilReady(); // compile outside the profile
    let res: np.Array | null = null;
    const recs = await prof.profileKernels(eng, async () => {
      res = f(arr(a, m, k), arr(b, k, n));
      await res.blockUntilReady();
    });
    const out = (await (res as unknown as np.Array).data()) as Float32Array;
    const mm = recs.filter((r) => r.category === "matmul");
    assert.equal(mm.length, 1, recs.map((r) => `${r.category} ${r.exp}`).join("\n"));
    assert.equal(mm[0].size, m * n);
    assert.equal(mm[0].flops, 2 * m * n * k);
    for (const r of recs) {
      assert.equal(
        r.chunks.reduce((s, c) => s + c, 0),
        r.size,
        `${r.label} ${r.category} ${r.chunks} ${r.exp.slice(0, 100)}`,
      );
      assert.ok(r.chunks.length >= 1 && r.chunks.length <= 3, `${r.chunks}`);
    }
    // 256 rows are 2 tiles of 128: the pool cuts them finer (86, 86 and 84 rows) for 3 threads
    assert.deepEqual(mm[0].chunks, [86 * n, 86 * n, 84 * n]);
    // tanh(·)·2 over 24,576 items is less work than one thread's least (65,536): not cut
    const ew = recs.filter((r) => r.category === "elementwise");
    assert.ok(ew.length >= 1);
    for (const r of ew) assert.deepEqual(r.chunks, [r.size]);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
        const want = 2 * Math.tanh(s);
        if (Math.abs(out[i * n + j] - want) > 1e-5)
          assert.fail(`row ${i} column ${j}: ${out[i * n + j]}, float64 gives ${want}`);
      }
  });

  test("a frozen head's backward is a matrix product over the materialised softmax cotangent", async () => {
    // LoRA's case: the head W is not differentiated, so the cotangent of the logits has one
    // reader, the product ct·Wᵀ, which sees it through transposeDot's broadcast. Fused into that
    // product, the softmax backward (an exp per element) ran once per output column (1.2 s of a
    // 2.2 s toy step); materialised, the product is the engine's matmul.
    const { jit, numpy, nn, valueAndGrad } = eng;
    const [m, d, v] = [24, 16, 40];
    const rng = new HostRng(5);
    const h0 = Float32Array.from({ length: m * d }, () => rng.normal());
    const w0 = Float32Array.from({ length: d * v }, () => rng.normal() / 4);
    const picks = Int32Array.from({ length: m }, (_, i) => (i * 7) % v);
    const loss = (h: np.Array, w: np.Array, oneHot: np.Array) =>
      nn.logSoftmax(numpy.matmul(h, w), -1).mul(oneHot).sum().mul(-1);
    const f = jit(
      (h: np.Array, w: np.Array, oneHot: np.Array) => valueAndGrad(loss)(h, w, oneHot)[1],
    );
    const oneHotHost = new Float32Array(m * v);
    for (let i = 0; i < m; i++) oneHotHost[i * v + picks[i]] = 1;
    const args = () =>
      [
        numpy.array(h0).reshape([m, d]),
        numpy.array(w0).reshape([d, v]),
        numpy.array(oneHotHost).reshape([m, v]),
      ] as const;
    await f(...args()).blockUntilReady();
    let res: np.Array | null = null;
    const recs = await prof.profileKernels(eng, async () => {
      res = f(...args());
      await res.blockUntilReady();
    });
    const back = recs.filter((r) => r.size === m * d && r.reduction === v);
    assert.equal(
      back.length,
      1,
      recs.map((r) => `${r.category} ${r.size}×${r.reduction}`).join("\n"),
    );
    assert.equal(back[0].category, "matmul", back[0].exp.slice(0, 300));
    // and it is the gradient: (softmax(h·W) − onehot)·Wᵀ, in float64
    const got = (await (res as unknown as np.Array).data()) as Float32Array;
    for (let i = 0; i < m; i++) {
      const z = Array.from({ length: v }, (_, j) => {
        let s = 0;
        for (let k = 0; k < d; k++) s += h0[i * d + k] * w0[k * v + j];
        return s;
      });
      const mx = Math.max(...z);
      const e = z.map((x) => Math.exp(x - mx));
      const sum = e.reduce((a, b) => a + b, 0);
      for (let k = 0; k < d; k++) {
        let g = 0;
        for (let j = 0; j < v; j++) g += (e[j] / sum - (j === picks[i] ? 1 : 0)) * w0[k * v + j];
        assert.ok(
          Math.abs(got[i * d + k] - g) < 1e-4,
          `row ${i} column ${k}: ${got[i * d + k]}, float64 ${g}`,
        );
      }
    }
  });

  test("a kernel whose expression prints to more than the longest string is traced", async () => {
    const { jit, numpy } = eng;
    // x ← x·x + x 30 times in one fused kernel: x's text would appear 3^30 times
    const f = jit((x: np.Array) => {
      let y = x;
      for (let i = 0; i < 30; i++) y = y.ref.mul(y.ref).add(y);
      return y;
    });
    const x = numpy.full([64], 0.01);
    await f(x.ref).blockUntilReady();
    const recs = await prof.profileKernels(eng, async () => {
      await f(x.ref).blockUntilReady();
    });
    assert.ok(recs.length >= 1);
    assert.ok(recs.every((r) => r.exp.length < 200_000));
    x.dispose();
  });
});

describe("scaling model", () => {
  // three kernels: 8 ms cut in 4 equal chunks, 4 ms cut 3 + 1, 2 ms not cut
  const one: KernelCut[] = [
    [8, 400, [400]],
    [4, 40, [40]],
    [2, 10, [10]],
  ];
  const cut: KernelCut[] = [
    [0, 400, [100, 100, 100, 100]],
    [0, 40, [30, 10]],
    [0, 10, [10]],
  ];

  test("compute time is the longest chunk of each kernel at one thread's speed", () => {
    assert.equal(computeMs(one, one), 14);
    assert.equal(computeMs(one, cut), 8 / 4 + (4 * 30) / 40 + 2);
    assert.equal(workerMessages(one), 0);
    assert.equal(workerMessages(cut), 3 + 1 + 0);
  });

  test("the host costs fitted to two measured steps give those steps back", () => {
    // 3 kernels at 0.5 ms each on the host; at two threads 2 are split, 0.25 ms a hand-off
    const host = fitHostCost(
      3,
      { wallMs: 14 + 3 * 0.5, computeMs: 14 },
      { wallMs: 7 + 3 * 0.5 + 2 * 0.25, computeMs: 7, split: 2 },
    );
    assert.ok(Math.abs(host.perKernelMs - 0.5) < 1e-12);
    assert.ok(Math.abs(host.perHandOffMs - 0.25) < 1e-12);
    assert.equal(splitKernels(cut), 2);
    const shape = { kernels: 3, split: splitKernels(cut), messages: workerMessages(cut) };
    const c = computeMs(one, cut);
    // the 2 messages past each split kernel's first: free when they overlap, a hand-off each when queued
    assert.ok(Math.abs(stepMs(c, shape, host, 0) - (c + 1.5 + 0.5)) < 1e-12);
    assert.ok(Math.abs(stepMs(c, shape, host, 0.25) - (c + 1.5 + 0.5 + 2 * 0.25)) < 1e-12);
  });

  test("the worst-cut kernel is the one furthest from a perfect split", () => {
    const [first, second] = worstCut(one, cut, 4);
    // the second kernel takes 3 ms where 1 was possible; the third, uncut, 2 where 0.5 was
    assert.equal(first.lostMs, 2);
    assert.equal(first.chunks, 2);
    assert.equal(second.lostMs, 1.5);
  });

  test("a cut from another program is refused", () => {
    assert.throws(() => computeMs(one, cut.slice(1)), /3 kernels at one thread, 2 cut/);
    assert.throws(() => computeMs(one, [cut[1], cut[0], cut[2]]), /kernel 0 has 400 items/);
  });
});
