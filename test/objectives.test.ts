import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { grad, numpy as np } from "../src/engine/jax.js";
import { bradleyTerryLoss } from "../src/objectives/bradley-terry.js";
import {
  denoisingErrors,
  denoisingLoss,
  weightedDenoisingLoss,
} from "../src/objectives/denoising.js";
import { diffusionDpoLoss } from "../src/objectives/diffusion-dpo.js";
import { dpoLoss } from "../src/objectives/dpo.js";
import { duoLoss, outputPreservationLoss } from "../src/objectives/duo.js";
import { esdTarget } from "../src/objectives/esd.js";
import { minSnrWeights, snr } from "../src/objectives/min-snr.js";
import { klDivergence, klOptimum } from "../src/objectives/optimum.js";
import { type PreferenceLossType, preferenceLoss } from "../src/objectives/preference-loss.js";
import { arr, assertClose, read, scalar, setup } from "./helpers.js";

// Independent float64 references written from the papers' formulas.
const logSigmoid = (z: number) =>
  z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z));
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
function refLoss(m: number, type: PreferenceLossType, beta: number, eps: number): number {
  const z = beta * m;
  switch (type) {
    case "sigmoid":
      return -(1 - eps) * logSigmoid(z) - eps * logSigmoid(-z);
    case "robust":
      return (-(1 - eps) * logSigmoid(z) + eps * logSigmoid(-z)) / (1 - 2 * eps);
    case "hinge":
      return Math.max(0, 1 - z);
    case "ipo":
      return (m - 1 / (2 * beta)) ** 2;
  }
}
// analytic d loss / d margin
function refGrad(m: number, type: PreferenceLossType, beta: number, eps: number): number {
  const z = beta * m;
  switch (type) {
    case "sigmoid":
      return beta * (-(1 - eps) * sigmoid(-z) + eps * sigmoid(z));
    case "robust":
      return (beta * (-(1 - eps) * sigmoid(-z) - eps * sigmoid(z))) / (1 - 2 * eps);
    case "hinge":
      return z < 1 ? -beta : 0;
    case "ipo":
      return 2 * (m - 1 / (2 * beta));
  }
}

const margins = [-3.1, -0.7, -0.05, 0.2, 1.3, 4.2, 12.0];

describe("preferenceLoss", () => {
  before(setup);

  for (const type of ["sigmoid", "hinge", "ipo", "robust"] as const) {
    for (const [beta, eps] of [
      [0.1, 0],
      [0.5, 0],
      [2, 0.1],
      [0.3, 0.25],
    ]) {
      if (type !== "sigmoid" && type !== "robust" && eps !== 0) continue;
      it(`${type} β=${beta} ε=${eps} matches the closed form and its gradient`, () => {
        const got = read(preferenceLoss(arr(margins), { type, beta, labelSmoothing: eps }));
        assertClose(
          got,
          margins.map((m) => refLoss(m, type, beta, eps)),
          5e-5, // the engine's exp/log are float32 approximations (~2e-5 relative)
          type,
        );
        const g = read(
          grad((m: np.Array) => np.sum(preferenceLoss(m, { type, beta, labelSmoothing: eps })))(
            arr(margins),
          ),
        );
        assertClose(
          g,
          margins.map((m) => refGrad(m, type, beta, eps)),
          1e-4,
          `${type} grad`,
        );
        // and the analytic gradient agrees with central differences of the reference
        for (const m of margins) {
          if (type === "hinge" && Math.abs(beta * m - 1) < 0.05) continue;
          const h = 1e-5;
          const fd = (refLoss(m + h, type, beta, eps) - refLoss(m - h, type, beta, eps)) / (2 * h);
          assertClose(refGrad(m, type, beta, eps), fd, 1e-5, `fd ${type} m=${m}`);
        }
      });
    }
  }

  it("sigmoid at margin 0 is log 2 whatever β and ε", () => {
    for (const [beta, eps] of [
      [0.1, 0],
      [5, 0.3],
    ]) {
      assertClose(read(preferenceLoss(arr([0]), { beta, labelSmoothing: eps })), [Math.LN2]);
    }
  });

  it("sigmoid is stable for huge margins (softplus, not log(σ))", () => {
    const got = read(preferenceLoss(arr([-1000, 1000]), { beta: 1 }));
    assertClose(got, [1000, 0], 1e-6);
  });

  it("label smoothing changes the loss and robust differs from cDPO", () => {
    const plain = read(preferenceLoss(arr([1]), { beta: 1 }))[0];
    const cdpo = read(preferenceLoss(arr([1]), { beta: 1, labelSmoothing: 0.2 }))[0];
    const robust = read(
      preferenceLoss(arr([1]), { type: "robust", beta: 1, labelSmoothing: 0.2 }),
    )[0];
    assert.ok(cdpo > plain && Math.abs(robust - cdpo) > 1e-3);
  });

  it("rejects bad label smoothing", () => {
    assert.throws(
      () => preferenceLoss(arr([1]), { beta: 1, labelSmoothing: 0.5 }),
      /labelSmoothing/,
    );
  });
});

describe("dpoLoss", () => {
  before(setup);
  const pc = [-10.2, -20.5, -5.1, -7.7];
  const pr = [-12.0, -19.0, -9.3, -7.7];
  const rc = [-11.0, -20.0, -6.0, -8.0];
  const rr = [-11.5, -20.1, -8.0, -7.0];

  it("matches −log σ(β[(π_w−ref_w)−(π_l−ref_l)]) with mean, rewards, margins and accuracy", () => {
    const beta = 0.1;
    const out = dpoLoss(
      {
        policyChosenLogps: arr(pc),
        policyRejectedLogps: arr(pr),
        refChosenLogps: arr(rc),
        refRejectedLogps: arr(rr),
      },
      { beta },
    );
    const expLosses = pc.map((_, i) => -logSigmoid(beta * (pc[i] - rc[i] - (pr[i] - rr[i]))));
    const expChosen = pc.map((v, i) => beta * (v - rc[i]));
    const expRejected = pr.map((v, i) => beta * (v - rr[i]));
    assertClose(read(out.losses), expLosses);
    assertClose(scalar(out.loss), expLosses.reduce((a, b) => a + b) / expLosses.length);
    assertClose(read(out.chosenRewards), expChosen);
    assertClose(read(out.rejectedRewards), expRejected);
    assertClose(
      read(out.margins),
      expChosen.map((c, i) => c - expRejected[i]),
    );
    const acc = expChosen.filter((c, i) => c > expRejected[i]).length / pc.length;
    assertClose(scalar(out.accuracy), acc);
  });

  it("ipo uses the log-ratio margin as given with target 1/(2β)", () => {
    const beta = 0.5;
    const out = dpoLoss(
      {
        policyChosenLogps: arr(pc),
        policyRejectedLogps: arr(pr),
        refChosenLogps: arr(rc),
        refRejectedLogps: arr(rr),
      },
      { beta, type: "ipo" },
    );
    const exp = pc.map((_, i) => (pc[i] - rc[i] - (pr[i] - rr[i]) - 1 / (2 * beta)) ** 2);
    assertClose(read(out.losses), exp);
    out.loss.dispose();
    out.chosenRewards.dispose();
    out.rejectedRewards.dispose();
    out.margins.dispose();
    out.accuracy.dispose();
  });

  it("the gradient raises the chosen log-prob and lowers the rejected one with weight β·σ(−z)", () => {
    const beta = 0.2;
    const g = grad((p: np.Array) => {
      const [c, r] = [p.ref.slice([0, 2]), p.slice([2, 4])];
      return dpoLoss(
        {
          policyChosenLogps: c,
          policyRejectedLogps: r,
          refChosenLogps: arr([-3, -4]),
          refRejectedLogps: arr([-2, -5]),
        },
        { beta },
      ).loss;
    })(arr([-2.5, -4.5, -2.2, -4.0]));
    const z = [beta * (-2.5 + 3 - (-2.2 + 2)), beta * (-4.5 + 4 - (-4.0 + 5))];
    const w = z.map((zi) => (beta * sigmoid(-zi)) / 2);
    assertClose(read(g), [-w[0], -w[1], w[0], w[1]], 1e-5);
  });
});

describe("bradleyTerryLoss", () => {
  before(setup);
  const c = [1.5, -0.2, 0.3, 2.0];
  const r = [0.5, 0.1, 0.3, -1.0];
  it("is −mean log σ(r_w − r_l) with accuracy", () => {
    const out = bradleyTerryLoss(arr(c), arr(r));
    assertClose(
      scalar(out.loss),
      c.map((v, i) => -logSigmoid(v - r[i])).reduce((a, b) => a + b) / 4,
    );
    assertClose(scalar(out.accuracy), 0.5);
  });
  it("subtracts a per-pair margin and adds γ·mean((r_w + r_l)²)", () => {
    const m = [1, 0, 0.5, 2];
    const gamma = 0.01;
    const out = bradleyTerryLoss(arr(c), arr(r), {
      margin: arr(m),
      centerRewardsCoefficient: gamma,
    });
    const bt = c.map((v, i) => -logSigmoid(v - r[i] - m[i])).reduce((a, b) => a + b) / 4;
    const center = c.map((v, i) => (v + r[i]) ** 2).reduce((a, b) => a + b) / 4;
    assertClose(scalar(out.loss), bt + gamma * center);
    out.accuracy.dispose();
  });
});

describe("denoising, Diffusion-DPO, DUO, ESD", () => {
  before(setup);
  it("denoising errors are per-example means over pixels", () => {
    const pred = [
      [
        [1, 2],
        [3, 4],
      ],
      [
        [0, 0],
        [0, 1],
      ],
    ];
    const target = [
      [
        [0, 2],
        [3, 2],
      ],
      [
        [0, 0],
        [0, 0],
      ],
    ];
    const p = np.array(pred as unknown as number[]);
    const t = np.array(target as unknown as number[]);
    assertClose(read(denoisingErrors(p.ref, t.ref)), [(1 + 4) / 4, 1 / 4]);
    assertClose(scalar(denoisingLoss(p, t)), (5 / 4 + 1 / 4) / 2);
    const w = np.array([0.5, 2]);
    const p2 = np.array(pred as unknown as number[]);
    const t2 = np.array(target as unknown as number[]);
    assertClose(scalar(weightedDenoisingLoss(p2, t2, w)), (0.5 * (5 / 4) + 2 * (1 / 4)) / 2);
  });

  it("Min-SNR-γ weights: min(SNR, γ)/SNR with SNR = ᾱ/(1−ᾱ); γ = ∞ is the plain loss", () => {
    // ᾱ = 0.9 → SNR 9 (capped at 5: w = 5/9); ᾱ = 0.5 → SNR 1 (w = 1); ᾱ = 0.01 → w = 1
    assertClose(snr(0.9), 9, 1e-12);
    assertClose(Array.from(minSnrWeights([0.9, 0.5, 0.01], 5)), [5 / 9, 1, 1], 1e-6);
    assertClose(Array.from(minSnrWeights([0.9, 0.999], Number.POSITIVE_INFINITY)), [1, 1]);
    // the weighted ε loss is the x_0 loss capped at γ: w·SNR = min(SNR, γ)
    const ab = 0.99;
    assertClose(minSnrWeights([ab], 5)[0] * snr(ab), 5, 1e-5);
  });

  it("diffusionDpoLoss is −log σ(−β[(θ_w−ref_w)−(θ_l−ref_l)]) without a ½, with implicit accuracy", () => {
    const mw = [0.1, 0.3, 0.2];
    const ml = [0.2, 0.25, 0.2];
    const rw = [0.12, 0.28, 0.2];
    const rl = [0.18, 0.27, 0.1];
    const beta = 2000;
    const out = diffusionDpoLoss(
      {
        modelErrChosen: arr(mw),
        modelErrRejected: arr(ml),
        refErrChosen: arr(rw),
        refErrRejected: arr(rl),
      },
      { beta },
    );
    const inside = mw.map((_, i) => -beta * (mw[i] - rw[i] - (ml[i] - rl[i])));
    assertClose(read(out.inside), inside, 1e-3);
    assertClose(
      read(out.losses),
      inside.map((z) => -logSigmoid(z)),
      1e-3,
    );
    assertClose(
      scalar(out.loss),
      inside.map((z) => -logSigmoid(z)).reduce((a, b) => a + b) / 3,
      1e-3,
    );
    assertClose(scalar(out.implicitAccuracy), inside.filter((z) => z > 0).length / 3);
  });

  it("Diffusion-DPO's gradient lowers the winner's error and raises the loser's", () => {
    const beta = 10;
    const g = grad(
      (e: np.Array) =>
        diffusionDpoLoss(
          {
            modelErrChosen: e.ref.slice([0, 1]),
            modelErrRejected: e.slice([1, 2]),
            refErrChosen: arr([0.5]),
            refErrRejected: arr([0.5]),
          },
          { beta },
        ).loss,
    )(arr([0.5, 0.5]));
    // at equality inside = 0: dL/d err_w = β·σ(0) = β/2, dL/d err_l = −β/2
    assertClose(read(g), [beta / 2, -beta / 2], 1e-5);
  });

  it("DUO adds λ·‖ε_θ − ε_ref‖² on pure noise to Diffusion-DPO", () => {
    const lambda = 3;
    const me = np.array([
      [1, 2, 3, 4],
      [0, 0, 0, 0],
    ]);
    const re = np.array([
      [1, 2, 3, 2],
      [1, 1, 1, 1],
    ]);
    const pres = (4 / 4 + 4 / 4) / 2;
    assertClose(scalar(outputPreservationLoss(me.ref, re.ref, lambda)), lambda * pres);
    const out = duoLoss(
      {
        modelErrChosen: arr([0.1]),
        modelErrRejected: arr([0.3]),
        refErrChosen: arr([0.2]),
        refErrRejected: arr([0.2]),
        modelEpsNoise: me,
        refEpsNoise: re,
      },
      { beta: 5, lambda },
    );
    const dpo = -logSigmoid(-5 * (0.1 - 0.2 - (0.3 - 0.2)));
    assertClose(scalar(out.dpoLoss), dpo, 1e-5);
    assertClose(scalar(out.preservationLoss), lambda * pres);
    assertClose(scalar(out.loss), dpo + lambda * pres, 1e-5);
    assertClose(scalar(out.implicitAccuracy), 1);
  });

  it("esdTarget is ε_u − η(ε_c − ε_u)", () => {
    assertClose(read(esdTarget(arr([1, 2]), arr([3, 1]), 2)), [1 - 2 * 2, 2 - 2 * -1]);
  });
});

describe("klOptimum", () => {
  before(setup);
  it("is π_ref·exp(r/β)/Z, stable for large r/β", () => {
    const ref = [0.5, 0.3, 0.2];
    const r = [1, 2, 0];
    const beta = 0.5;
    const w = ref.map((p, i) => p * Math.exp(r[i] / beta));
    const z = w.reduce((a, b) => a + b);
    assertClose(
      read(klOptimum(arr(ref), arr(r), beta)),
      w.map((x) => x / z),
      1e-6,
    );
    const big = read(klOptimum(arr(ref), arr([1000, 0, 0]), 0.01));
    assertClose(big, [1, 0, 0], 1e-6);
  });
  it("maximises E[r] − β KL among nearby distributions", () => {
    const ref = [0.4, 0.4, 0.2];
    const r = [0.3, -0.2, 1.0];
    const beta = 0.7;
    const opt = read(klOptimum(arr(ref), arr(r), beta));
    const obj = (p: number[]) =>
      p.reduce((s, pi, i) => s + pi * r[i] - beta * (pi > 0 ? pi * Math.log(pi / ref[i]) : 0), 0);
    const best = obj(opt);
    for (const d of [
      [0.01, -0.01, 0],
      [0, 0.01, -0.01],
      [-0.02, 0, 0.02],
    ]) {
      assert.ok(obj(opt.map((p, i) => p + d[i])) < best);
    }
  });
  it("klDivergence matches Σ p log p/q and is 0 for equal inputs", () => {
    const p = [0.2, 0.8, 0];
    const q = [0.5, 0.25, 0.25];
    assertClose(
      scalar(klDivergence(arr(p), arr(q))),
      0.2 * Math.log(0.4) + 0.8 * Math.log(3.2),
      1e-5,
    );
    assertClose(scalar(klDivergence(arr(q), arr(q))), 0, 1e-7);
  });
});
