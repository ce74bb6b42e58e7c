// The DPO family's parameter guards: KTO's and listwise DPO's β > 0, ORPO's λ ≥ 0 (0 allowed: plain
// SFT) and listwise DPO's [N, K] shape (issue 20: `npm run mutate -- family` found them untested).
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { ktoLoss } from "../src/objectives/kto.js";
import { listwiseDpoLoss } from "../src/objectives/listwise-dpo.js";
import { orpoLoss } from "../src/objectives/orpo.js";
import { arr, read, scalar, setup } from "./helpers.js";

describe("DPO family guards", () => {
  before(setup);

  it("KTO and listwise DPO refuse β ≤ 0 and accept a small β > 0", () => {
    const kto = (beta: number) =>
      ktoLoss(
        { policyLogps: arr([-1, -2]), refLogps: arr([-1.5, -1]), desirable: arr([1, 0]) },
        { beta, kl: 0 },
      );
    const lw = (beta: number) =>
      listwiseDpoLoss({ policyLogps: arr([[-1, -2]]), refLogps: arr([[-1.5, -1]]) }, { beta });
    for (const beta of [0, -0.1]) {
      assert.throws(() => kto(beta), RangeError, `kto β ${beta}`);
      assert.throws(() => lw(beta), RangeError, `listwise β ${beta}`);
    }
    assert.ok(Number.isFinite(scalar(kto(1e-3).loss)));
    assert.ok(Number.isFinite(scalar(lw(1e-3).loss)));
  });

  it("ORPO refuses λ < 0 and takes λ = 0 (the NLL alone)", () => {
    const run = (lambda: number) =>
      orpoLoss(
        {
          policyChosenLogps: arr([-2, -3]),
          policyRejectedLogps: arr([-4, -1]),
          chosenLengths: arr([2, 3]),
          rejectedLengths: arr([2, 1]),
        },
        { lambda },
      );
    assert.throws(() => run(-0.1), RangeError);
    // λ = 0: the loss is −mean ℓ_w = (1 + 1)/2
    assert.ok(Math.abs(scalar(run(0).loss) - 1) < 1e-6);
  });

  it("ORPO caps ℓ at −1e-6: a certain answer (log π = 0) has the finite log odds of P = e^(−1e-6)", () => {
    const out = orpoLoss(
      {
        policyChosenLogps: arr([0]),
        policyRejectedLogps: arr([-2]),
        chosenLengths: arr([1]),
        rejectedLengths: arr([1]),
      },
      { lambda: 0.5 },
    );
    // log OR = (ℓ_w − ℓ_l) − (log(1 − e^ℓ_w) − log(1 − e^ℓ_l)) with ℓ_w = −1e-6
    const w = -1e-6;
    const want = w + 2 - (Math.log(-Math.expm1(w)) - Math.log(-Math.expm1(-2)));
    const got = read(out.logOdds)[0];
    assert.ok(Math.abs(got - want) < 1e-4 * Math.abs(want), `log OR ${got} vs ${want}`);
    out.loss.dispose();
  });

  it("listwise DPO refuses log-probs that are not [N, K ≥ 2]", () => {
    assert.throws(
      () => listwiseDpoLoss({ policyLogps: arr([-1, -2]), refLogps: arr([-1, -2]) }, { beta: 1 }),
      /\[N, K ≥ 2\], got \[2\]/,
    );
  });
});
