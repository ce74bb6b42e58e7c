// Closed-form checks of the objectives that the broad tests in objectives.test.ts leave open
// (issue 20: each would fail if the code were wrong in the way named).
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { bradleyTerryLoss } from "../src/objectives/bradley-terry.js";
import { diffusionDpoLoss } from "../src/objectives/diffusion-dpo.js";
import { dpoLoss } from "../src/objectives/dpo.js";
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
