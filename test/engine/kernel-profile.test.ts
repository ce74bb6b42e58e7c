/**
 * The kernel profiler behind `npm run bench -- profile` and `-- scaling` (bench/profiler.ts) and
 * the scaling model (bench/scaling-model.ts): with three workers every kernel's chunks cover its
 * work exactly, a matrix product is recognised, and an expression whose shared sub-expressions
 * print to more than the longest string is still traced (the engine patch cuts the trace's text).
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import {
  computeMs,
  fitHostCost,
  type KernelCut,
  stepMs,
  workerMessages,
  worstCut,
} from "../../bench/scaling-model.js";
import type { numpy as np } from "../../src/engine/jax.js";

type Prof = typeof import("../../bench/profiler.js");
type Eng = typeof import("../../src/engine/jax.js");
let prof: Prof;
let eng: Eng;

before(async () => {
  process.env.PREFOPT_THREADS = "3";
  delete process.env.PREFOPT_INLINE;
  // the profiler's timed Worker has to be in place before the engine starts
  prof = await import("../../bench/profiler.js");
  eng = await import("../../src/engine/jax.js");
  await (await import("../../src/engine/init.js")).initEngine();
});

describe("kernel profiler", () => {
  test("every kernel's chunks add up to its work, at most one per worker", async () => {
    const { jit, numpy } = eng;
    const f = jit((a: np.Array, b: np.Array) => numpy.tanh(numpy.matmul(a, b)).mul(2));
    const a = numpy.ones([256, 64]);
    const b = numpy.ones([64, 96]);
    await f(a.ref, b.ref).blockUntilReady(); // compile outside the profile
    const recs = await prof.profileKernels(eng, async () => {
      await f(a.ref, b.ref).blockUntilReady();
    });
    const mm = recs.filter((r) => r.category === "matmul");
    assert.equal(mm.length, 1, recs.map((r) => `${r.category} ${r.exp}`).join("\n"));
    assert.equal(mm[0].size, 256 * 96);
    assert.equal(mm[0].flops, 2 * 256 * 96 * 64);
    for (const r of recs) {
      assert.equal(
        r.chunks.reduce((s, c) => s + c, 0),
        r.size,
      );
      assert.ok(r.chunks.length >= 1 && r.chunks.length <= 3, `${r.chunks}`);
    }
    // 256 rows in tiles of at most 128: more than one chunk, so the split is seen
    assert.ok(mm[0].chunks.length > 1, `${mm[0].chunks}`);
    a.dispose();
    b.dispose();
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
    const host = fitHostCost(
      3,
      { wallMs: 14 + 3 * 0.5, computeMs: 14 },
      { wallMs: 7 + 3 * 0.5 + 4 * 0.25, computeMs: 7, messages: 4 },
    );
    assert.ok(Math.abs(host.perKernelMs - 0.5) < 1e-12);
    assert.ok(Math.abs(host.perMessageMs - 0.25) < 1e-12);
    assert.ok(Math.abs(stepMs(computeMs(one, cut), 3, 4, host) - (7 + 1.5 + 1)) < 1e-12);
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
