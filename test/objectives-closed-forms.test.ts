// Closed-form checks of the objectives that the broad tests in objectives.test.ts leave open
// (issue 20: each would fail if the code were wrong in the way named).
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { bradleyTerryLoss } from "../src/objectives/bradley-terry.js";
import { denoisingErrors } from "../src/objectives/denoising.js";
import { diffusionDpoLoss } from "../src/objectives/diffusion-dpo.js";
import { dpoLoss } from "../src/objectives/dpo.js";
import { listwiseDpoLoss } from "../src/objectives/listwise-dpo.js";
import { klDivergence, klOptimum, klRegularisedObjective } from "../src/objectives/optimum.js";
import { orpoLoss } from "../src/objectives/orpo.js";
import { type PreferenceLossType, preferenceLoss } from "../src/objectives/preference-loss.js";
import { rlooAdvantages } from "../src/objectives/rloo.js";
import { simpoLoss } from "../src/objectives/simpo.js";
import { arr, assertClose, read, scalar, setup } from "./helpers.js";

describe("objectives: accuracy counts strict wins", () => {
  before(setup);

  it("DPO accuracy is 0 when the policy equals the reference (every margin 0, not ≥ 0)", () => {
    const logps = [-3.5, -7.25, -1.0];
    const out = dpoLoss(
      {
        policyChosenLogps: arr(logps),
        policyRejectedLogps: arr([-4.0, -2.0, -9.5]),
        refChosenLogps: arr(logps),
        refRejectedLogps: arr([-4.0, -2.0, -9.5]),
      },
      { beta: 0.1 },
    );
    assert.deepEqual(read(out.margins), [0, 0, 0]);
    assert.equal(scalar(out.accuracy), 0);
    assertClose(scalar(out.loss), Math.LN2);
    out.losses.dispose();
    out.chosenRewards.dispose();
    out.rejectedRewards.dispose();
  });

  it("Bradley–Terry accuracy is 0 for tied rewards", () => {
    const out = bradleyTerryLoss(arr([0.5, -1]), arr([0.5, -1]));
    assert.equal(scalar(out.accuracy), 0);
    assertClose(scalar(out.loss), Math.LN2);
  });

  it("Diffusion-DPO implicit accuracy is 0 when policy errors equal the reference's", () => {
    const e = [0.2, 0.4];
    const out = diffusionDpoLoss(
      {
        modelErrChosen: arr(e),
        modelErrRejected: arr([0.3, 0.1]),
        refErrChosen: arr(e),
        refErrRejected: arr([0.3, 0.1]),
      },
      { beta: 1000 },
    );
    assert.equal(scalar(out.implicitAccuracy), 0);
    assertClose(scalar(out.loss), Math.LN2);
    out.losses.dispose();
    out.inside.dispose();
  });
});

const logSigmoid = (z: number) =>
  z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z));

describe("preferenceLoss: per-example β, variants reached through every objective", () => {
  before(setup);
  const m = [-1.5, 0.25, 2];
  const betas = [0.1, 1, 3];

  it("an array β applies per example (sigmoid, robust, hinge, ipo)", () => {
    const eps = 0.2;
    const want = {
      sigmoid: m.map((x, i) => -logSigmoid(betas[i] * x)),
      robust: m.map(
        (x, i) =>
          (-(1 - eps) * logSigmoid(betas[i] * x) + eps * logSigmoid(-betas[i] * x)) / (1 - 2 * eps),
      ),
      hinge: m.map((x, i) => Math.max(0, 1 - betas[i] * x)),
      ipo: m.map((x, i) => (x - 1 / (2 * betas[i])) ** 2),
    };
    for (const type of ["sigmoid", "robust", "hinge", "ipo"] as const) {
      const got = read(
        preferenceLoss(arr(m), {
          type,
          beta: arr(betas),
          labelSmoothing: type === "robust" ? eps : 0,
        }),
      );
      assertClose(got, want[type], 5e-5, type);
    }
  });

  it("label smoothing must lie in [0, 0.5); an unknown type is refused", () => {
    assert.throws(() => preferenceLoss(arr([1]), { beta: 1, labelSmoothing: -0.01 }), RangeError);
    assert.throws(() => preferenceLoss(arr([1]), { beta: 1, labelSmoothing: 0.5 }), RangeError);
    assertClose(read(preferenceLoss(arr([1]), { beta: 1, labelSmoothing: 0.49 })), [
      -(0.51 * logSigmoid(1)) - 0.49 * logSigmoid(-1),
    ]);
    assert.throws(
      () => preferenceLoss(arr([1]), { beta: 1, type: "nope" as PreferenceLossType }),
      RangeError,
    );
  });

  it("hinge is 0 from βm = 1 on and 1 − βm below", () => {
    assertClose(
      read(preferenceLoss(arr([2, 1.9, 2.5]), { type: "hinge", beta: 0.5 })),
      [0, 0.05, 0],
    );
  });

  it("DPO and Diffusion-DPO pass the loss type and label smoothing on", () => {
    const beta = 0.5;
    const eps = 0.1;
    const dpo = dpoLoss(
      {
        policyChosenLogps: arr([-1, -2]),
        policyRejectedLogps: arr([-3, -1]),
        refChosenLogps: arr([-2, -2]),
        refRejectedLogps: arr([-2, -2]),
      },
      { beta, type: "robust", labelSmoothing: eps },
    );
    // log-ratio margins: (−1+2) − (−3+2) = 2, (0) − (1) = −1
    const robust = (x: number) =>
      (-(1 - eps) * logSigmoid(beta * x) + eps * logSigmoid(-beta * x)) / (1 - 2 * eps);
    assertClose(read(dpo.losses), [robust(2), robust(-1)], 5e-5);
    const hinge = dpoLoss(
      {
        policyChosenLogps: arr([-1]),
        policyRejectedLogps: arr([-3]),
        refChosenLogps: arr([-2]),
        refRejectedLogps: arr([-2]),
      },
      { beta, type: "hinge" },
    );
    assertClose(scalar(hinge.loss), 0); // β·m = 1
    const d = diffusionDpoLoss(
      {
        modelErrChosen: arr([0.1]),
        modelErrRejected: arr([0.3]),
        refErrChosen: arr([0.2]),
        refErrRejected: arr([0.2]),
      },
      { beta: 4, labelSmoothing: eps },
    );
    // margin −[(0.1 − 0.2) − (0.3 − 0.2)] = 0.2, z = 0.8
    assertClose(scalar(d.loss), -(1 - eps) * logSigmoid(0.8) - eps * logSigmoid(-0.8), 5e-5);
    const di = diffusionDpoLoss(
      {
        modelErrChosen: arr([0.1]),
        modelErrRejected: arr([0.3]),
        refErrChosen: arr([0.2]),
        refErrRejected: arr([0.2]),
      },
      { beta: 4, type: "ipo" },
    );
    assertClose(scalar(di.loss), (0.2 - 1 / 8) ** 2, 1e-5);
  });
});

describe("Bradley–Terry: margins and accuracy", () => {
  before(setup);
  it("a constant margin shifts the loss, not the accuracy", () => {
    const out = bradleyTerryLoss(arr([1, 0]), arr([0.5, 0.25]), { margin: 1 });
    assertClose(scalar(out.loss), (-logSigmoid(0.5 - 1) - logSigmoid(-0.25 - 1)) / 2, 1e-5);
    assert.equal(scalar(out.accuracy), 0.5);
  });
  it("a zero centring coefficient adds nothing", () => {
    const out = bradleyTerryLoss(arr([3]), arr([1]), { centerRewardsCoefficient: 0 });
    assertClose(scalar(out.loss), -logSigmoid(2), 1e-5);
    out.accuracy.dispose();
  });
});

describe("denoising errors of flat arrays", () => {
  before(setup);
  it("one number per example: the squared error itself", () => {
    assertClose(read(denoisingErrors(arr([1, -2, 0.5]), arr([0, 1, 0.5]))), [1, 9, 0]);
  });
});

describe("the KL-regularised optimum", () => {
  before(setup);
  it("β must be positive", () => {
    assert.throws(() => klOptimum(arr([0.5, 0.5]), arr([1, 0]), 0), RangeError);
    assert.throws(() => klOptimum(arr([0.5, 0.5]), arr([1, 0]), -1), RangeError);
  });
  it("the objective E_π[r] − β·KL(π‖π_ref) is β·log Z at π* and lower elsewhere", () => {
    const ref = [0.5, 0.3, 0.2];
    const r = [1, -0.5, 2];
    const beta = 0.8;
    const z = ref.reduce((s, p, i) => s + p * Math.exp(r[i] / beta), 0);
    const opt = read(klOptimum(arr(ref), arr(r), beta));
    assertClose(
      scalar(klRegularisedObjective(arr(opt), arr(ref), arr(r), beta)),
      beta * Math.log(z),
      1e-5,
    );
    // at π_ref the KL is 0: the objective is E_ref[r]
    const eRef = ref.reduce((s, p, i) => s + p * r[i], 0);
    assertClose(scalar(klRegularisedObjective(arr(ref), arr(ref), arr(r), beta)), eRef, 1e-6);
    assert.ok(eRef < beta * Math.log(z));
    // a point mass on the best outcome: r_max − β·log(1/π_ref(x))
    assertClose(
      scalar(klRegularisedObjective(arr([0, 0, 1]), arr(ref), arr(r), beta)),
      2 - beta * Math.log(1 / 0.2),
      1e-5,
    );
  });
  it("KL is finite where q = 0 < p (floored at 1e-30) and 0·log 0 counts 0", () => {
    assertClose(scalar(klDivergence(arr([1, 0]), arr([0, 1]))), -Math.log(1e-30), 1e-4);
    assertClose(scalar(klDivergence(arr([0, 1]), arr([0, 1]))), 0, 1e-7);
    // rows: one KL per row of the last axis
    assertClose(
      read(
        klDivergence(
          arr([
            [0.5, 0.5],
            [1, 0],
          ]),
          arr([
            [0.25, 0.75],
            [0.5, 0.5],
          ]),
        ),
      ),
      [0.5 * Math.log(2) + 0.5 * Math.log(2 / 3), Math.log(2)],
      1e-5,
    );
  });
});

describe("listwise DPO, SimPO and ORPO: accuracy counts strict wins too", () => {
  before(setup);
  it("listwise accuracy is 0 at policy = reference and counts a first answer strictly above the rest", () => {
    const lp = [
      [-1, -2, -3],
      [-2, -2, -2],
    ];
    const tied = listwiseDpoLoss({ policyLogps: arr(lp), refLogps: arr(lp) }, { beta: 0.1 });
    assert.equal(scalar(tied.accuracy), 0);
    tied.loss.dispose();
    tied.losses.dispose();
    tied.rewards.dispose();
    // rewards β·(π − ref): row 0 [0.3, 0.1, 0.3] ties with the third answer; row 1 [0.2, 0.1, −0.1] wins
    const out = listwiseDpoLoss(
      {
        policyLogps: arr([
          [2, 1, 3],
          [1, 0, -2],
        ]),
        refLogps: arr([
          [-1, 0, 0],
          [-1, -1, -1],
        ]),
      },
      { beta: 0.1, ranked: false },
    );
    assert.equal(scalar(out.accuracy), 0.5);
    out.loss.dispose();
    out.losses.dispose();
    out.rewards.dispose();
  });

  it("SimPO and ORPO accuracy is 0 for equal per-token log-probs", () => {
    const inputs = () => ({
      policyChosenLogps: arr([-2, -6]),
      policyRejectedLogps: arr([-4, -3]),
      chosenLengths: arr([2, 3]),
      rejectedLengths: arr([4, 1.5]),
    });
    const s = simpoLoss(inputs(), { beta: 2 });
    assert.equal(scalar(s.accuracy), 0);
    const o = orpoLoss(inputs(), { lambda: 0.1 });
    assert.equal(scalar(o.accuracy), 0);
  });
});

describe("edges: infinite margins and tiny advantage spreads", () => {
  before(setup);
  it("sigmoid DPO loss of an infinite margin is 0 (a rejected log-prob of −∞), not NaN", () => {
    assert.deepEqual(read(preferenceLoss(arr([Number.POSITIVE_INFINITY]), { beta: 0.1 })), [0]);
    assert.deepEqual(read(preferenceLoss(arr([Number.NEGATIVE_INFINITY]), { beta: 0.1 })), [
      Number.POSITIVE_INFINITY,
    ]);
  });

  it("normalised RLOO advantages keep their sign when the spread is below the 1e-8 guard", () => {
    // k = 2, rewards 0 and 1e-9: advantages ∓1e-9, mean 0, sd 1e-9 → ±1e-9/(1e-9 + 1e-8)
    const a = rlooAdvantages([0, 1e-9], 2, { normalize: true });
    assertClose(a, [-1e-9 / 1.1e-8, 1e-9 / 1.1e-8], 1e-9);
    assert.ok(a[1] > 0);
    // equal rewards: advantages exactly 0, no division by zero
    assert.deepEqual(rlooAdvantages([3, 3, 3, 3], 2, { normalize: true }), [0, 0, 0, 0]);
  });
});
