// AdamW's defaults, one-step closed forms and input checks, and the schedules' guards and
// boundaries: the parts optimizer.test.ts's trajectories do not pin (issue 20).
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { UserError } from "../../src/engine/errors.js";
import { initEngine } from "../../src/engine/init.js";
import { jit, numpy as np } from "../../src/engine/jax.js";
import { adamw, clipByGlobalNorm, globalNorm, leafNames } from "../../src/train/optimizer.js";
import { constantSchedule, cosineWarmup, linearWarmupDecay } from "../../src/train/schedules.js";

before(async () => {
  await initEngine();
});

const read = (a: np.Array) => Array.from(a.dataSync() as Float32Array, Number);

function close(a: number[], b: number[], tol: number, what: string) {
  assert.equal(a.length, b.length, what);
  for (let i = 0; i < a.length; i++)
    assert.ok(
      Math.abs(a[i] - b[i]) <= tol * Math.max(1, Math.abs(b[i])),
      `${what}[${i}]: ${a[i]} vs ${b[i]}`,
    );
}

describe("adamw closed forms", () => {
  test("defaults are torch.optim.AdamW's: β = (0.9, 0.999), ε = 1e-8, weight decay 0.01", () => {
    const o = adamw({ learningRate: 0.1 }).options;
    assert.equal(o.beta1, 0.9);
    assert.equal(o.beta2, 0.999);
    assert.equal(o.eps, 1e-8);
    assert.equal(o.weightDecay, 0.01);
    assert.equal(o.maxGradNorm, undefined);
  });

  test("the first step moves every weight by lr·sign(g) after decoupled decay (p·(1 − lr·wd))", () => {
    // t = 1: m̂ = g, v̂ = g², so the update is lr·g/(|g| + ε)
    const lr = 0.1;
    const opt = adamw({ learningRate: lr });
    const p0 = [1, -2, 0.5];
    const g = [0.3, -4, 1e-3];
    const out = opt.step({ w: np.array(p0) }, { w: np.array(g) }, opt.init({ w: np.array(p0) }));
    const want = p0.map((p, i) => p * (1 - lr * 0.01) - (lr * g[i]) / (Math.abs(g[i]) + 1e-8));
    close(read(out.params.w), want, 1e-6, "p1");
    close(
      read(out.state.mu.w),
      g.map((x) => 0.1 * x),
      1e-7,
      "m1",
    );
    close(
      read(out.state.nu.w),
      g.map((x) => 0.001 * x * x),
      1e-7,
      "v1",
    );
    assert.equal(read(out.state.count)[0], 1);
    close(read(out.gradNorm), [Math.hypot(...g)], 1e-6, "norm");
  });

  test("the second step's bias corrections 1 − β₁², √(1 − β₂²), eagerly and under jit", () => {
    const lr = 0.05;
    const opt = adamw({ learningRate: lr, weightDecay: 0, beta1: 0.8, beta2: 0.9, eps: 1e-3 });
    const g1 = [0.5, -1];
    const g2 = [2, 0.25];
    // float64 transcription of the two updates
    let p = [0.3, 0.7];
    let m = [0, 0];
    let v = [0, 0];
    for (const [t, g] of [g1, g2].entries()) {
      m = m.map((x, i) => 0.8 * x + 0.2 * g[i]);
      v = v.map((x, i) => 0.9 * x + 0.1 * g[i] * g[i]);
      const bc1 = 1 - 0.8 ** (t + 1);
      const bc2 = Math.sqrt(1 - 0.9 ** (t + 1));
      p = p.map((x, i) => x - (lr / bc1) * (m[i] / (Math.sqrt(v[i]) / bc2 + 1e-3)));
    }
    for (const useJit of [false, true]) {
      const f = (pp: np.Array, gg: np.Array, st: ReturnType<typeof opt.init<np.Array>>) =>
        opt.step(pp, gg, st);
      const step = useJit ? jit(f) : f;
      let params = np.array([0.3, 0.7]);
      let state = opt.init(params.ref);
      for (const g of [g1, g2]) {
        const out = step(params, np.array(g), state);
        params = out.params;
        state = out.state;
        out.gradNorm.dispose();
      }
      close(read(params), p, 1e-6, useJit ? "jit" : "eager");
      if (useJit) (step as unknown as { dispose(): void }).dispose();
    }
  });

  test("a step without lr uses the constant rate; with a schedule it must be given", () => {
    const opt = adamw({ learningRate: 0.5, weightDecay: 0 });
    const out = opt.step([np.array([1])], [np.array([2])], opt.init([np.array([1])]));
    close(read(out.params[0]), [0.5], 1e-6, "constant lr");
    assert.equal(opt.learningRate(7), 0.5);
    const sched = adamw({ learningRate: (s) => 0.1 * s });
    assert.equal(sched.learningRate(3), 0.1 * 3);
    assert.throws(() => sched.step([np.array([1])], [np.array([2])], sched.init([np.array([1])])));
  });

  test("params, gradients and moments must have the same leaves", () => {
    const opt = adamw({ learningRate: 0.1 });
    assert.throws(
      () =>
        opt.step(
          [np.array([1]), np.array([2])],
          [np.array([1])],
          opt.init([np.array([1]), np.array([2])]),
        ),
      /leaves/,
    );
  });

  test("decay mask: by dotted leaf name and shape", () => {
    const lr = 0.1;
    const wd = 0.5;
    const opt = adamw({
      learningRate: lr,
      weightDecay: wd,
      decayMask: (name) => name === "a.1",
    });
    const tree = () => ({ a: [np.array([2]), np.array([2])] });
    const zero = () => ({ a: [np.array([0]), np.array([0])] });
    const out = opt.step(tree(), zero(), opt.init(tree()));
    // zero gradient: only the decay moves the masked-in leaf
    close(read(out.params.a[0]), [2], 1e-7, "not decayed");
    close(read(out.params.a[1]), [2 * (1 - lr * wd)], 1e-7, "decayed");
  });

  test("leaf names: dotted paths through objects and arrays, in flatten order", () => {
    assert.deepEqual(leafNames({ a: { b: 1, c: [2, { d: 3 }] }, e: 4 }), [
      "a.b",
      "a.c.0",
      "a.c.1.d",
      "e",
    ]);
    assert.deepEqual(leafNames([1, 2]), ["0", "1"]);
  });

  test("clipping: exactly at the limit nothing changes, above it the norm becomes the limit", () => {
    const n = read(globalNorm([np.array([3]), { x: np.array([[4]]) }]));
    close(n, [5], 1e-7, "norm");
    const { grads, norm } = clipByGlobalNorm({ g: np.array([6, 8]) }, 2);
    close(read(norm), [10], 1e-7, "norm before");
    close(read(grads.g), [6 * (2 / (10 + 1e-6)), 8 * (2 / (10 + 1e-6))], 1e-7, "clipped");
    const at = clipByGlobalNorm({ g: np.array([0.6, 0.8]) }, 1);
    close(read(at.grads.g), [0.6 / (1 + 1e-6), 0.8 / (1 + 1e-6)], 1e-7, "at the limit");
    at.norm.dispose();
  });
});

describe("schedule guards and boundaries", () => {
  test("learning rates must be finite and ≥ 0", () => {
    for (const bad of [-1e-3, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => constantSchedule(bad), UserError);
      assert.throws(
        () => linearWarmupDecay({ peak: bad, warmupSteps: 0, totalSteps: 5 }),
        UserError,
      );
      assert.throws(
        () => linearWarmupDecay({ peak: 1, warmupSteps: 0, totalSteps: 5, end: bad }),
        UserError,
      );
      assert.throws(() => cosineWarmup({ peak: bad, warmupSteps: 0, totalSteps: 5 }), UserError);
    }
    assert.equal(constantSchedule(0)(3), 0);
  });

  test("warm-up and total steps: integers, warm-up ≥ 0, total ≥ 1, warm-up ≤ total", () => {
    const bad = [
      { warmupSteps: -1, totalSteps: 5 },
      { warmupSteps: 1.5, totalSteps: 5 },
      { warmupSteps: 0, totalSteps: 0 },
      { warmupSteps: 0, totalSteps: 2.5 },
      { warmupSteps: 6, totalSteps: 5 },
    ];
    for (const b of bad) {
      assert.throws(() => linearWarmupDecay({ peak: 1, ...b }), UserError, JSON.stringify(b));
      assert.throws(() => cosineWarmup({ peak: 1, ...b }), UserError, JSON.stringify(b));
    }
    // warm-up = total is allowed: the rate rises, then is the end value (transformers: 0 at the total)
    const s = linearWarmupDecay({ peak: 1, warmupSteps: 4, totalSteps: 4, end: 0.25 });
    assert.equal(s(2), 0.5);
    assert.equal(s(4), 0.25);
    assert.equal(s(9), 0.25);
    // transformers' cosine is at the peak there (progress 0)
    const c = cosineWarmup({ peak: 1, warmupSteps: 4, totalSteps: 4 });
    assert.equal(c(3), 0.75);
    assert.equal(c(4), 1);
  });

  test("cosine's floor: minRatio in [0, 1], the end value for every step past the total", () => {
    assert.throws(
      () => cosineWarmup({ peak: 1, warmupSteps: 0, totalSteps: 4, minRatio: -0.1 }),
      UserError,
    );
    assert.throws(
      () => cosineWarmup({ peak: 1, warmupSteps: 0, totalSteps: 4, minRatio: 1.1 }),
      UserError,
    );
    const flat = cosineWarmup({ peak: 2, warmupSteps: 0, totalSteps: 4, minRatio: 1 });
    assert.equal(flat(3), 2);
    const s = cosineWarmup({ peak: 2, warmupSteps: 1, totalSteps: 5, minRatio: 0.25 });
    assert.equal(s(0), 0);
    assert.equal(s(1), 2);
    // p = (3 − 1)/4 = ½: 2·(0.25 + 0.75·½)
    assert.ok(Math.abs(s(3) - 2 * (0.25 + 0.75 * 0.5)) < 1e-12);
    assert.ok(Math.abs(s(5) - 0.5) < 1e-12);
    assert.ok(Math.abs(s(50) - 0.5) < 1e-12);
    const linear = linearWarmupDecay({ peak: 2, warmupSteps: 0, totalSteps: 4, end: 0.5 });
    assert.equal(linear(4), 0.5);
    assert.equal(linear(40), 0.5);
    assert.equal(linear(2), 1.25);
  });
});
