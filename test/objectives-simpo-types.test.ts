// SimPO's loss type reaches the loss: with hinge, L = max(0, 1 − β·(Δ̄ − γ/β)) = max(0, 1 + γ − β·Δ̄),
// written out by hand on length-normalised log-probs Δ̄ = log π(y_w)/|y_w| − log π(y_l)/|y_l|;
// the default is the sigmoid loss softplus(γ − β·Δ̄) (issue 20: the family's last surviving mutant
// dropped the type, so no test ran SimPO with anything but the default).
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { simpoLoss } from "../src/objectives/simpo.js";
import { arr, assertClose, read, setup } from "./helpers.js";

const chosen = [-6, -2, -9];
const rejected = [-4, -12, -2];
const lc = [3, 2, 4];
const lr = [2, 4, 1];
const beta = 2;
const gamma = 0.5;
const avgDiff = chosen.map((c, i) => c / lc[i] - rejected[i] / lr[i]);

function run(type?: "sigmoid" | "hinge"): number[] {
  const out = simpoLoss(
    {
      policyChosenLogps: arr(chosen),
      policyRejectedLogps: arr(rejected),
      chosenLengths: arr(lc),
      rejectedLengths: arr(lr),
    },
    { beta, gamma, type },
  );
  return read(out.losses);
}

describe("SimPO loss types", () => {
  before(setup);

  it("hinge gives max(0, 1 + γ − β·Δ̄), not the sigmoid loss", () => {
    const expected = avgDiff.map((d) => Math.max(0, 1 + gamma - beta * d));
    // Δ̄ = 0, 2, −0.25: a tie, a pair past the margin (hinge 0) and a losing pair
    assert.deepEqual(
      expected.map((x) => x === 0),
      [false, true, false],
    );
    assertClose(run("hinge"), expected, 1e-6, "hinge");
  });

  it("the default is the sigmoid loss softplus(γ − β·Δ̄)", () => {
    const expected = avgDiff.map((d) => Math.log1p(Math.exp(gamma - beta * d)));
    assertClose(run(), expected, 1e-6, "default");
    assertClose(run("sigmoid"), expected, 1e-6, "sigmoid");
  });
});
