import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { initEngine } from "../../src/engine/init.js";
import { jit, numpy as np, valueAndGrad } from "../../src/engine/jax.js";
import {
  type AdamState,
  adamw,
  clipByGlobalNorm,
  decayMatrices,
  globalNorm,
} from "../../src/train/optimizer.js";
import {
  constantSchedule,
  cosineWarmup,
  linearWarmupDecay,
  type Schedule,
} from "../../src/train/schedules.js";

before(async () => {
  await initEngine();
});

type P = { w: np.Array; b: np.Array };
type HostP = { w: number[]; b: number[] };

/** Independent AdamW in float64 loops, transcribed from torch.optim.AdamW + clip_grad_norm_. */
function referenceAdamw(
  p0: HostP,
  gradSeq: HostP[],
  o: {
    lr: Schedule;
    b1: number;
    b2: number;
    eps: number;
    wd: number;
    maxNorm?: number;
    decayB: boolean;
    t0?: number;
  },
): { params: HostP; norms: number[] } {
  const p = { w: p0.w.slice(), b: p0.b.slice() };
  const m = { w: p0.w.map(() => 0), b: p0.b.map(() => 0) };
  const v = { w: p0.w.map(() => 0), b: p0.b.map(() => 0) };
  const norms: number[] = [];
  let t = o.t0 ?? 0;
  gradSeq.forEach((g0, s) => {
    const g = { w: g0.w.slice(), b: g0.b.slice() };
    let sq = 0;
    for (const k of ["w", "b"] as const) for (const x of g[k]) sq += x * x;
    const norm = Math.sqrt(sq);
    norms.push(norm);
    if (o.maxNorm !== undefined) {
      const coef = Math.min(1, o.maxNorm / (norm + 1e-6));
      for (const k of ["w", "b"] as const) for (let i = 0; i < g[k].length; i++) g[k][i] *= coef;
    }
    t += 1;
    const lr = o.lr(s);
    const bc1 = 1 - o.b1 ** t;
    const bc2 = 1 - o.b2 ** t;
    for (const k of ["w", "b"] as const) {
      for (let i = 0; i < p[k].length; i++) {
        if (k === "w" || o.decayB) p[k][i] *= 1 - lr * o.wd;
        m[k][i] = o.b1 * m[k][i] + (1 - o.b1) * g[k][i];
        v[k][i] = o.b2 * v[k][i] + (1 - o.b2) * g[k][i] * g[k][i];
        const denom = Math.sqrt(v[k][i]) / Math.sqrt(bc2) + o.eps;
        p[k][i] -= (lr / bc1) * (m[k][i] / denom);
      }
    }
  });
  return { params: p, norms };
}

const p0: HostP = { w: [0.5, -1.2, 0.3, 2.0, -0.7, 0.1], b: [0.25, -0.5, 1.5] };
// gradients of very different sizes, so clipping at 1 triggers on some steps and not others
const scales = [0.1, 5, 0.2, 3, 0.05, 1.5];
const gradSeq: HostP[] = scales.map((s, k) => ({
  w: p0.w.map((_, i) => s * Math.sin(1 + i + 2 * k)),
  b: p0.b.map((_, i) => s * Math.cos(3 + i - k)),
}));

const toEngine = (h: HostP): P => ({ w: np.array(h.w).reshape([2, 3]), b: np.array(h.b) });

function assertClose(actual: ArrayLike<number>, expected: number[], tol: number, what: string) {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    assert.ok(
      err <= tol * Math.max(1, Math.abs(expected[i])),
      `${what}[${i}]: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

type Case = {
  name: string;
  lr: Schedule | number;
  wd: number;
  maxNorm?: number;
  mask: boolean;
  t0?: number;
};
const cases: Case[] = [
  { name: "constant lr, no decay, no clipping", lr: 0.01, wd: 0, mask: false },
  {
    name: "weight decay on all leaves + clipping at 1",
    lr: 0.05,
    wd: 0.1,
    maxNorm: 1,
    mask: false,
  },
  {
    name: "warm-up/decay schedule + decay on matrices only + clipping",
    lr: linearWarmupDecay({ peak: 0.1, warmupSteps: 2, totalSteps: 6 }),
    wd: 0.3,
    maxNorm: 1,
    mask: true,
  },
  {
    name: "cosine schedule starting from count 1000 (bias correction far out)",
    lr: cosineWarmup({ peak: 0.02, warmupSteps: 1, totalSteps: 6, minRatio: 0.1 }),
    wd: 0.01,
    mask: false,
    t0: 1000,
  },
];

async function runEngine(c: Case, useJit: boolean): Promise<{ params: HostP; norms: number[] }> {
  const opt = adamw({
    learningRate: c.lr,
    weightDecay: c.wd,
    maxGradNorm: c.maxNorm,
    decayMask: c.mask ? decayMatrices : undefined,
  });
  let params = toEngine(p0);
  let state: AdamState<P> = opt.init(toEngine(p0));
  if (c.t0) {
    state.count.dispose();
    state = { ...state, count: np.array(c.t0, { dtype: np.int32 }) };
  }
  const f = (pp: P, gg: P, st: AdamState<P>, lr: np.Array) => opt.step(pp, gg, st, lr);
  const stepFn = useJit ? jit(f) : f;
  const norms: number[] = [];
  for (let s = 0; s < gradSeq.length; s++) {
    const out = stepFn(params, toEngine(gradSeq[s]), state, np.array(opt.learningRate(s)));
    params = out.params;
    state = out.state;
    norms.push((await out.gradNorm.data())[0]);
  }
  assert.equal((await state.count.data())[0], (c.t0 ?? 0) + gradSeq.length);
  state.mu.w.dispose();
  state.mu.b.dispose();
  state.nu.w.dispose();
  state.nu.b.dispose();
  if (useJit) (stepFn as unknown as { dispose(): void }).dispose();
  return {
    params: { w: Array.from(await params.w.data()), b: Array.from(await params.b.data()) },
    norms,
  };
}

describe("adamw", () => {
  for (const c of cases) {
    for (const useJit of [false, true]) {
      test(`${c.name}${useJit ? " (jit)" : ""} matches a float64 reference`, async () => {
        const lr = typeof c.lr === "number" ? constantSchedule(c.lr) : c.lr;
        const ref = referenceAdamw(p0, gradSeq, {
          lr,
          b1: 0.9,
          b2: 0.999,
          eps: 1e-8,
          wd: c.wd,
          maxNorm: c.maxNorm,
          decayB: !c.mask,
          t0: c.t0,
        });
        const got = await runEngine(c, useJit);
        assertClose(got.norms, ref.norms, 1e-6, "gradNorm");
        assertClose(got.params.w, ref.params.w, 2e-6, "w");
        assertClose(got.params.b, ref.params.b, 2e-6, "b");
        // the trajectory really moved, and clipping/decay really mattered where configured
        assert.ok(Math.abs(got.params.w[0] - p0.w[0]) > 1e-3);
      });
    }
  }

  test("clipping changes the result exactly when the norm exceeds the limit", () => {
    const lr = constantSchedule(0.05);
    const base = { lr, b1: 0.9, b2: 0.999, eps: 1e-8, wd: 0, decayB: true };
    const small = [gradSeq[0], gradSeq[2]]; // norms < 1
    const a = referenceAdamw(p0, small, base);
    const b = referenceAdamw(p0, small, { ...base, maxNorm: 1 });
    assert.ok(a.norms.every((n) => n < 1));
    assertClose(b.params.w, a.params.w, 1e-12, "untouched");
    const big = [gradSeq[1]];
    assert.ok(referenceAdamw(p0, big, base).norms[0] > 1);
  });

  test("globalNorm and clipByGlobalNorm follow torch's clip_grad_norm_", async () => {
    const g = { a: np.array([3, 0]), b: [np.array([[0, 4]])] };
    const n = await globalNorm({ a: g.a.ref, b: [g.b[0].ref] }).data();
    assert.ok(Math.abs(n[0] - 5) < 1e-6);
    const { grads, norm } = clipByGlobalNorm(g, 1);
    assert.ok(Math.abs((await norm.data())[0] - 5) < 1e-6);
    const k = 1 / (5 + 1e-6);
    assertClose(await grads.a.data(), [3 * k, 0], 1e-7, "a");
    assertClose(await grads.b[0].data(), [0, 4 * k], 1e-7, "b");
    const un = clipByGlobalNorm({ x: np.array([0.3, 0.4]) }, 1);
    assertClose(await un.grads.x.data(), [0.3, 0.4], 1e-7, "unclipped");
    un.norm.dispose();
  });

  test("minimises a quadratic to its optimum under jit", async () => {
    // f(x) = Σ a_i (x_i − c_i)², minimum at x = c
    const a = [1, 4, 0.5];
    const c = [2, -1, 0.5];
    const opt = adamw({
      learningRate: cosineWarmup({ peak: 0.1, warmupSteps: 10, totalSteps: 400 }),
      weightDecay: 0,
    });
    const A = np.array(a);
    const C = np.array(c);
    const loss = (x: np.Array, aa: np.Array, cc: np.Array) => np.sum(aa.mul(np.square(x.sub(cc))));
    const train = jit(
      (x: np.Array, st: AdamState<np.Array>, aa: np.Array, cc: np.Array, lr: np.Array) => {
        const [l, g] = valueAndGrad(loss)(x.ref, aa, cc);
        const out = opt.step(x, g, st, lr);
        out.gradNorm.dispose();
        return { l, x: out.params, st: out.state };
      },
    );
    let x = np.zeros([3]);
    let st = opt.init(x.ref);
    let last = Number.POSITIVE_INFINITY;
    for (let s = 0; s < 400; s++) {
      const out = train(x, st, A.ref, C.ref, np.array(opt.learningRate(s)));
      x = out.x;
      st = out.st;
      last = (await out.l.data())[0];
    }
    train.dispose();
    A.dispose();
    C.dispose();
    assert.ok(last < 1e-5, `final loss ${last}`);
    assertClose(await x.data(), c, 2e-3, "x*");
  });
});

describe("schedules", () => {
  test("linear warm-up then linear decay (get_linear_schedule_with_warmup)", () => {
    const s = linearWarmupDecay({ peak: 1, warmupSteps: 4, totalSteps: 12 });
    const want = [0, 0.25, 0.5, 0.75, 1, 0.875, 0.75, 0.625, 0.5, 0.375, 0.25, 0.125, 0, 0];
    for (const [i, w] of want.entries())
      assert.ok(Math.abs(s(i) - w) < 1e-12, `step ${i}: ${s(i)}`);
    const e = linearWarmupDecay({ peak: 1, warmupSteps: 0, totalSteps: 10, end: 0.1 });
    assert.equal(e(0), 1);
    assert.ok(Math.abs(e(5) - 0.55) < 1e-12);
    assert.ok(Math.abs(e(10) - 0.1) < 1e-12);
  });

  test("cosine with warm-up (get_cosine_schedule_with_warmup)", () => {
    const s = cosineWarmup({ peak: 2, warmupSteps: 2, totalSteps: 10 });
    assert.equal(s(0), 0);
    assert.equal(s(1), 1);
    assert.equal(s(2), 2);
    assert.ok(Math.abs(s(6) - 1) < 1e-12); // half-way: cos(π/2)
    assert.ok(Math.abs(s(4) - (1 + Math.cos(Math.PI / 4))) < 1e-12);
    assert.ok(Math.abs(s(10)) < 1e-12);
    assert.ok(Math.abs(s(20)) < 1e-12);
    const m = cosineWarmup({ peak: 1, warmupSteps: 0, totalSteps: 4, minRatio: 0.2 });
    assert.ok(Math.abs(m(4) - 0.2) < 1e-12);
    assert.ok(Math.abs(m(2) - 0.6) < 1e-12);
    assert.equal(constantSchedule(3e-4)(123), 3e-4);
  });
});
