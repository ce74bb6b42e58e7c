/**
 * The DPO family beyond the pairwise sigmoid: SimPO, ORPO, KTO and listwise
 * (Plackett–Luce) DPO. Each against an independent float64 reference written
 * from the paper (values), central differences of that reference (gradients),
 * and its known optimum on a discrete outcome space with exact population
 * weights (no sampling noise): SimPO → softmax(r/β), listwise DPO → π*,
 * ORPO with λ = 0 → the frequency of being chosen.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { grad, jit, nn, numpy as np, valueAndGrad } from "../src/engine/jax.js";
import { dpoLoss } from "../src/objectives/dpo.js";
import { ktoLoss } from "../src/objectives/kto.js";
import { listwiseDpoLoss } from "../src/objectives/listwise-dpo.js";
import { klOptimum } from "../src/objectives/optimum.js";
import { orpoLoss } from "../src/objectives/orpo.js";
import { simpoLoss } from "../src/objectives/simpo.js";
import { adamw } from "../src/train/optimizer.js";
import { arr, assertClose, read, scalar, setup } from "./helpers.js";

const logSigmoid = (z: number) =>
  z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z));
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const lse = (xs: number[]) => {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((a, x) => a + Math.exp(x - m), 0));
};
/** central differences of a float64 function of a vector */
function fdGrad(f: (x: number[]) => number, x: number[], h = 1e-5): number[] {
  return x.map((_, i) => {
    const p = x.slice();
    const m = x.slice();
    p[i] += h;
    m[i] -= h;
    return (f(p) - f(m)) / (2 * h);
  });
}

// four pairs: summed log-probs and token counts
const pc = [-10.2, -20.5, -5.1, -7.7];
const pr = [-12.0, -19.0, -9.3, -7.7];
const lc = [5, 9, 3, 4];
const lr = [6, 7, 5, 4];

function simpoRef(x: number[], beta: number, gamma: number): number {
  let s = 0;
  for (let i = 0; i < 4; i++) s += -logSigmoid(beta * (x[i] / lc[i] - x[i + 4] / lr[i]) - gamma);
  return s / 4;
}
function orpoRef(x: number[], lambda: number): number {
  let s = 0;
  for (let i = 0; i < 4; i++) {
    const w = x[i] / lc[i];
    const l = x[i + 4] / lr[i];
    const logOdds = w - l - (Math.log(1 - Math.exp(w)) - Math.log(1 - Math.exp(l)));
    s += -w - lambda * logSigmoid(logOdds);
  }
  return s / 4;
}

describe("simpoLoss", () => {
  before(setup);
  const run = (x: np.Array, beta: number, gamma: number) =>
    simpoLoss(
      {
        policyChosenLogps: x.ref.slice([0, 4]),
        policyRejectedLogps: x.slice([4, 8]),
        chosenLengths: arr(lc),
        rejectedLengths: arr(lr),
      },
      { beta, gamma },
    );

  it("matches −log σ(β(ℓ_w/|y_w| − ℓ_l/|y_l|) − γ), its rewards and its gradient", () => {
    for (const [beta, gamma] of [
      [2, 0.5],
      [0.1, 0],
      [2.5, 1.4],
    ]) {
      const x = [...pc, ...pr];
      const out = run(arr(x), beta, gamma);
      assertClose(scalar(out.loss), simpoRef(x, beta, gamma), 5e-5, "loss");
      assertClose(
        read(out.chosenRewards),
        pc.map((v, i) => (beta * v) / lc[i]),
      );
      assertClose(
        read(out.rejectedRewards),
        pr.map((v, i) => (beta * v) / lr[i]),
      );
      const acc = pc.filter((v, i) => v / lc[i] > pr[i] / lr[i]).length / 4;
      assertClose(scalar(out.accuracy), acc);
      out.losses.dispose();
      out.margins.dispose();
      const g = read(grad((a: np.Array) => run(a, beta, gamma).loss)(arr(x)));
      assertClose(
        g,
        fdGrad((v) => simpoRef(v, beta, gamma), x),
        1e-4,
        `grad β=${beta}`,
      );
    }
  });

  it("rejects a non-positive β", () => {
    assert.throws(() => run(arr([...pc, ...pr]), 0, 0.5), /beta/);
  });
});

describe("orpoLoss", () => {
  before(setup);
  // average log-probs must be < 0 for odds to exist: these are
  const run = (x: np.Array, lambda: number) =>
    orpoLoss(
      {
        policyChosenLogps: x.ref.slice([0, 4]),
        policyRejectedLogps: x.slice([4, 8]),
        chosenLengths: arr(lc),
        rejectedLengths: arr(lr),
      },
      { lambda },
    );

  it("matches NLL − λ·log σ(log odds ratio), log OR and its gradient", () => {
    const x = [...pc, ...pr];
    for (const lambda of [0.1, 1, 0]) {
      const out = run(arr(x), lambda);
      assertClose(scalar(out.loss), orpoRef(x, lambda), 5e-5, "loss");
      assertClose(scalar(out.nll), -pc.reduce((a, v, i) => a + v / lc[i], 0) / 4, 1e-5);
      const lo = pc.map((v, i) => {
        const w = v / lc[i];
        const l = pr[i] / lr[i];
        return w - l - (Math.log(1 - Math.exp(w)) - Math.log(1 - Math.exp(l)));
      });
      assertClose(read(out.logOdds), lo, 5e-5, "log odds");
      assertClose(scalar(out.accuracy), lo.filter((v) => v > 0).length / 4);
      out.losses.dispose();
      out.chosenRewards.dispose();
      out.rejectedRewards.dispose();
      const g = read(grad((a: np.Array) => run(a, lambda).loss)(arr(x)));
      assertClose(
        g,
        fdGrad((v) => orpoRef(v, lambda), x),
        1e-4,
        `grad λ=${lambda}`,
      );
    }
  });

  it("stays finite when a sequence is nearly certain (P → 1)", () => {
    const out = orpoLoss(
      {
        policyChosenLogps: arr([-1e-9, -3]),
        policyRejectedLogps: arr([-2, -1e-12]),
        chosenLengths: arr([1, 1]),
        rejectedLengths: arr([1, 1]),
      },
      { lambda: 0.5 },
    );
    const v = read(out.losses);
    assert.ok(v.every(Number.isFinite), `losses ${v}`);
    out.loss.dispose();
  });
});

describe("ktoLoss", () => {
  before(setup);
  const pol = [-10.2, -20.5, -5.1, -7.7, -3.0];
  const ref = [-11.0, -20.0, -6.0, -8.0, -2.2];
  const lab = [1, 0, 1, 0, 0];
  function ktoRef(x: number[], beta: number, wD: number, wU: number, z0: number): number {
    let s = 0;
    for (let i = 0; i < x.length; i++) {
      const h = x[i] - ref[i];
      s += lab[i] ? wD * (1 - sigmoid(beta * (h - z0))) : wU * (1 - sigmoid(beta * (z0 - h)));
    }
    return s / x.length;
  }

  it("matches λ_D(1 − σ(β(h − z₀))) and λ_U(1 − σ(β(z₀ − h))) with a given z₀, and its gradient", () => {
    for (const [beta, wD, wU, z0] of [
      [0.1, 1, 1, 0.3],
      [2, 1.33, 1, 0],
    ]) {
      const run = (a: np.Array) =>
        ktoLoss(
          { policyLogps: a, refLogps: arr(ref), desirable: arr(lab) },
          { beta, desirableWeight: wD, undesirableWeight: wU, kl: z0 },
        );
      const out = run(arr(pol));
      assertClose(scalar(out.loss), ktoRef(pol, beta, wD, wU, z0), 1e-5);
      assertClose(
        read(out.rewards),
        pol.map((v, i) => beta * (v - ref[i])),
      );
      assertClose(scalar(out.kl), z0);
      out.losses.dispose();
      const g = read(grad((a: np.Array) => run(a).loss)(arr(pol)));
      assertClose(
        g,
        fdGrad((v) => ktoRef(v, beta, wD, wU, z0), pol),
        1e-5,
        "grad",
      );
    }
  });

  it("z₀ from log-ratios is their mean clamped at 0 and carries no gradient", () => {
    const kl = [0.5, 1.5, -0.2];
    const z0 = (0.5 + 1.5 - 0.2) / 3;
    const run = (a: np.Array, k: np.Array) =>
      ktoLoss({ policyLogps: a, refLogps: arr(ref), desirable: arr(lab) }, { beta: 0.5, kl: k });
    const out = run(arr(pol), arr(kl));
    assertClose(scalar(out.kl), z0, 1e-6);
    assertClose(scalar(out.loss), ktoRef(pol, 0.5, 1, 1, z0), 1e-5);
    out.losses.dispose();
    out.rewards.dispose();
    const gk = read(grad((k: np.Array) => run(arr(pol), k).loss)(arr(kl)));
    assertClose(gk, [0, 0, 0]);
    const neg = run(arr(pol), arr([-1, -2]));
    assertClose(scalar(neg.kl), 0);
    // default: the inputs' own log-ratios, still without gradient through z₀
    const own = ktoLoss(
      { policyLogps: arr(pol), refLogps: arr(ref), desirable: arr(lab) },
      { beta: 0.5 },
    );
    const hMean = pol.reduce((a, v, i) => a + v - ref[i], 0) / pol.length;
    assertClose(scalar(own.kl), Math.max(0, hMean), 1e-6);
    const g = read(
      grad(
        (a: np.Array) =>
          ktoLoss({ policyLogps: a, refLogps: arr(ref), desirable: arr(lab) }, { beta: 0.5 }).loss,
      )(arr(pol)),
    );
    assertClose(
      g,
      fdGrad((v) => ktoRef(v, 0.5, 1, 1, Math.max(0, hMean)), pol),
      1e-5,
    );
  });
});

describe("listwiseDpoLoss", () => {
  before(setup);
  const K = 3;
  const pol = [
    [-3.0, -4.5, -2.0],
    [-7.1, -6.0, -9.9],
  ];
  const refl = [
    [-3.5, -4.0, -2.5],
    [-7.0, -6.5, -9.0],
  ];
  function plRef(x: number[], beta: number, ranked: boolean): number {
    let total = 0;
    for (let n = 0; n < 2; n++) {
      const s = [0, 1, 2].map((k) => beta * (x[n * K + k] - refl[n][k]));
      if (ranked) for (let k = 0; k < K - 1; k++) total += lse(s.slice(k)) - s[k];
      else total += lse(s) - s[0];
    }
    return total / 2;
  }
  const run = (a: np.Array, beta: number, ranked: boolean) =>
    listwiseDpoLoss({ policyLogps: a.reshape([2, K]), refLogps: arr(refl) }, { beta, ranked });

  for (const ranked of [true, false]) {
    it(`${ranked ? "ranked" : "best-of"} Plackett–Luce matches the closed form and its gradient`, () => {
      const x = pol.flat();
      const out = run(arr(x), 0.7, ranked);
      assertClose(scalar(out.loss), plRef(x, 0.7, ranked), 5e-5);
      assertClose(
        read(out.rewards),
        x.map((v, i) => 0.7 * (v - refl[Math.floor(i / K)][i % K])),
      );
      // prompt 0: s = [0.35, -0.35, 0.35] → first only ties the maximum, which is not a win (as in
      // DPO, where policy = reference must read 0); prompt 1: [-0.07, 0.35, -0.63] → not
      assertClose(scalar(out.accuracy), 0);
      out.losses.dispose();
      const g = read(grad((a: np.Array) => run(a, 0.7, ranked).loss)(arr(x)));
      assertClose(
        g,
        fdGrad((v) => plRef(v, 0.7, ranked), x),
        1e-4,
        "grad",
      );
    });
  }

  it("is the DPO loss when K = 2", () => {
    const c = [-3, -7.1];
    const r = [-4.5, -6];
    const qc = [-3.5, -7];
    const qr = [-4, -6.5];
    const pl = listwiseDpoLoss(
      {
        policyLogps: arr([
          [c[0], r[0]],
          [c[1], r[1]],
        ]),
        refLogps: arr([
          [qc[0], qr[0]],
          [qc[1], qr[1]],
        ]),
      },
      { beta: 0.4 },
    );
    const dpo = dpoLoss(
      {
        policyChosenLogps: arr(c),
        policyRejectedLogps: arr(r),
        refChosenLogps: arr(qc),
        refRejectedLogps: arr(qr),
      },
      { beta: 0.4 },
    );
    assertClose(read(pl.losses), read(dpo.losses), 1e-5);
  });

  it("rejects a single column", () => {
    assert.throws(
      () =>
        listwiseDpoLoss({ policyLogps: arr([[1], [2]]), refLogps: arr([[1], [2]]) }, { beta: 1 }),
      /K ≥ 2/,
    );
  });
});

// ---- known optima on a discrete outcome space, exact population weights ----

const refProbs = [0.4, 0.3, 0.2, 0.1];
const rewards = [0.0, 1.0, -0.5, 2.0];
const O = refProbs.length;

/**
 * Every ordered pair a ≠ b as "a chosen over b", with its probability when two
 * different outcomes are drawn from π_ref and labelled by Bradley–Terry:
 * 2·π_ref(a)·π_ref(b)·σ(r_a − r_b)/P(draws differ) (either draw order). Sums to 1.
 */
function pairRows(): { chosen: number[]; rejected: number[]; w: number[] } {
  const chosen: number[] = [];
  const rejected: number[] = [];
  const w: number[] = [];
  let z = 0;
  for (let a = 0; a < O; a++)
    for (let b = 0; b < O; b++) if (a !== b) z += refProbs[a] * refProbs[b];
  for (let a = 0; a < O; a++)
    for (let b = 0; b < O; b++) {
      if (a === b) continue;
      chosen.push(a);
      rejected.push(b);
      w.push((2 * refProbs[a] * refProbs[b] * sigmoid(rewards[a] - rewards[b])) / z);
    }
  return { chosen, rejected, w };
}
function oneHot(idx: number[]): np.Array {
  const m = new Float32Array(idx.length * O);
  idx.forEach((k, i) => {
    m[i * O + k] = 1;
  });
  return np.array(m).reshape([idx.length, O]);
}
/** Full-batch AdamW over the logits θ of a categorical policy; returns softmax(θ). */
function fitPolicy(
  objective: (logPi: np.Array) => np.Array,
  init: number[],
  steps = 1500,
  lr = 0.05,
): number[] {
  const opt = adamw({ learningRate: lr, weightDecay: 0 });
  let theta = arr(init);
  let state = opt.init(theta.ref);
  const step = jit((th: np.Array, st: typeof state) => {
    const [loss, g] = valueAndGrad((t: np.Array) => objective(nn.logSoftmax(t)))(th.ref);
    const next = opt.step(th, g, st, lr);
    next.gradNorm.dispose();
    return { loss, theta: next.params, state: next.state };
  });
  for (let i = 0; i < steps; i++) {
    const out = step(theta, state);
    theta = out.theta;
    state = out.state;
    // force the step (the engine is lazy) and stop on a broken objective
    const l = scalar(out.loss);
    if (!Number.isFinite(l)) throw new Error(`loss ${l} at step ${i}`);
  }
  step.dispose();
  return read(nn.softmax(theta));
}
const logRefInit = refProbs.map(Math.log);

describe("known optima on a discrete outcome space", () => {
  before(setup);

  it("SimPO (γ = 0, one-token answers) lands on softmax(r/β), whatever π_ref weighted the pairs", () => {
    const beta = 0.8;
    const rows = pairRows();
    const C = oneHot(rows.chosen);
    const R = oneHot(rows.rejected);
    const W = arr(rows.w);
    const ones = arr(rows.w.map(() => 1));
    const got = fitPolicy((logPi) => {
      const out = simpoLoss(
        {
          policyChosenLogps: np.matmul(C.ref, logPi.ref),
          policyRejectedLogps: np.matmul(R.ref, logPi),
          chosenLengths: ones.ref,
          rejectedLengths: ones.ref,
        },
        { beta, gamma: 0 },
      );
      out.loss.dispose();
      for (const a of [out.chosenRewards, out.rejectedRewards, out.margins, out.accuracy])
        a.dispose();
      return np.sum(out.losses.mul(W.ref));
    }, logRefInit);
    const want = read(klOptimum(arr([0.25, 0.25, 0.25, 0.25]), arr(rewards), beta));
    assertClose(got, want, 2e-3, "SimPO optimum");
  });

  it("listwise DPO on Plackett–Luce rankings of 3 draws lands on π* = π_ref·e^{r/β}/Z (ranked and best-of)", () => {
    const beta = 0.5;
    // every ordered draw (y1, y2, y3) ∼ π_ref³ and every ranking σ of it, weighted by P(draw)·PL(σ | r)
    const rows: number[][] = [];
    const w: number[] = [];
    const perms = [
      [0, 1, 2],
      [0, 2, 1],
      [1, 0, 2],
      [1, 2, 0],
      [2, 0, 1],
      [2, 1, 0],
    ];
    for (let a = 0; a < O; a++)
      for (let b = 0; b < O; b++)
        for (let c = 0; c < O; c++) {
          const y = [a, b, c];
          const pDraw = refProbs[a] * refProbs[b] * refProbs[c];
          for (const p of perms) {
            const ranked = p.map((i) => y[i]);
            const r = ranked.map((k) => rewards[k]);
            let pl = 1;
            for (let k = 0; k < 2; k++) pl *= Math.exp(r[k] - lse(r.slice(k)));
            rows.push(ranked);
            w.push(pDraw * pl);
          }
        }
    const n = rows.length;
    const sel = oneHot(rows.flat()); // [n·3, O]
    const W = arr(w);
    const logRef = arr(logRefInit);
    const want = read(klOptimum(arr(refProbs), arr(rewards), beta));
    for (const ranked of [true, false]) {
      const got = fitPolicy((logPi) => {
        const out = listwiseDpoLoss(
          {
            policyLogps: np.matmul(sel.ref, logPi).reshape([n, 3]),
            refLogps: np.matmul(sel.ref, logRef.ref).reshape([n, 3]),
          },
          { beta, ranked },
        );
        out.loss.dispose();
        out.rewards.dispose();
        out.accuracy.dispose();
        return np.sum(out.losses.mul(W.ref));
      }, logRefInit);
      assertClose(got, want, 2e-3, `listwise ${ranked ? "ranked" : "best-of"}`);
    }
  });

  it("ORPO with λ = 0 is SFT on the chosen answers: π(x) = P(x is chosen); λ > 0 moves mass up the reward", () => {
    const rows = pairRows();
    const C = oneHot(rows.chosen);
    const R = oneHot(rows.rejected);
    const W = arr(rows.w);
    const ones = arr(rows.w.map(() => 1));
    const fit = (lambda: number) =>
      fitPolicy((logPi) => {
        const out = orpoLoss(
          {
            policyChosenLogps: np.matmul(C.ref, logPi.ref),
            policyRejectedLogps: np.matmul(R.ref, logPi),
            chosenLengths: ones.ref,
            rejectedLengths: ones.ref,
          },
          { lambda },
        );
        for (const a of [out.loss, out.nll, out.logOdds, out.chosenRewards, out.rejectedRewards])
          a.dispose();
        out.accuracy.dispose();
        return np.sum(out.losses.mul(W.ref));
      }, logRefInit);
    const pChosen = new Array(O).fill(0);
    rows.chosen.forEach((k, i) => {
      pChosen[k] += rows.w[i];
    });
    assertClose(fit(0), pChosen, 2e-3, "ORPO λ=0");
    // λ > 0: the fitted policy is a local minimum of the float64 population objective
    const lambda = 1;
    const got = fit(lambda);
    const pop = (theta: number[]) => {
      const lz = lse(theta);
      const lp = theta.map((t) => t - lz);
      let s = 0;
      rows.w.forEach((wi, i) => {
        const w = lp[rows.chosen[i]];
        const l = lp[rows.rejected[i]];
        const lo = w - l - (Math.log(1 - Math.exp(w)) - Math.log(1 - Math.exp(l)));
        s += wi * (-w - lambda * logSigmoid(lo));
      });
      return s;
    };
    const theta = got.map(Math.log);
    assertClose(fdGrad(pop, theta), [0, 0, 0, 0], 2e-3, "stationary");
    const mean = (p: number[]) => p.reduce((a, v, i) => a + v * rewards[i], 0);
    assert.ok(mean(got) > mean(pChosen) + 0.05, `E[r] ${mean(got)} vs ${mean(pChosen)}`);
  });

  it("KTO raises exactly the outcomes labelled desirable more often than not, and the expected reward", () => {
    // x ∼ π_ref, desirable with probability σ(r(x) − 0.75): outcomes 1 and 3 are mostly desirable
    const pD = rewards.map((r) => sigmoid(r - 0.75));
    const idx: number[] = [];
    const lab: number[] = [];
    const w: number[] = [];
    for (let x = 0; x < O; x++) {
      idx.push(x, x);
      lab.push(1, 0);
      w.push(refProbs[x] * pD[x], refProbs[x] * (1 - pD[x]));
    }
    const S = oneHot(idx);
    const W = arr(w);
    const logRef = arr(logRefInit);
    const got = fitPolicy(
      (logPi) => {
        const out = ktoLoss(
          {
            policyLogps: np.matmul(S.ref, logPi),
            refLogps: np.matmul(S.ref, logRef.ref),
            desirable: arr(lab),
          },
          { beta: 1, kl: 0 },
        );
        out.loss.dispose();
        out.rewards.dispose();
        out.kl.dispose();
        return np.sum(out.losses.mul(W.ref));
      },
      logRefInit,
      200,
      0.02,
    );
    const h = got.map((p, i) => Math.log(p / refProbs[i]));
    for (let x = 0; x < O; x++) assert.equal(h[x] > 0, pD[x] > 0.5, `h ${h}`);
    // (no finite optimum: each term saturates, so KTO is checked by direction, not by a point)
    const mean = (p: number[]) => p.reduce((a, v, i) => a + v * rewards[i], 0);
    assert.ok(mean(got) > mean(refProbs) + 0.1, `E[r] ${mean(got)} vs ${mean(refProbs)}`);
  });
});
