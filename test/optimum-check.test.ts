import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { sampleBradleyTerryPairs } from "../src/data/bradley-terry-pairs.js";
import { HostRng } from "../src/engine/random.js";
import { runOptimumCheck } from "../src/pipelines/optimum-check.js";
import { setup } from "./helpers.js";

describe("Bradley–Terry pair sampling", () => {
  it("wins follow σ(r_a − r_b)", () => {
    const pairs = sampleBradleyTerryPairs([0.5, 0.5], [1, 0], 40_000, new HostRng(3));
    const wins = pairs.chosen.reduce((n, c) => n + (c === 0 ? 1 : 0), 0) / 40_000;
    const expected = 1 / (1 + Math.exp(-1));
    assert.ok(Math.abs(wins - expected) < 0.01, `${wins} vs ${expected}`);
  });
});

describe("the KL-regularised optimum, two routes", () => {
  before(setup);

  it("DPO on sampled preferences and BT-reward + closed form both reach π*", async () => {
    const r = await runOptimumCheck({ pairs: 60_000, steps: 300, seed: 1 });
    // the policy moved a long way from π_ref …
    assert.ok(r.klRef > 0.1, `KL(π*‖π_ref) = ${r.klRef}`);
    // … and landed on the optimum, up to the sampling noise of 60k preferences
    assert.ok(r.klDpo < 5e-3, `KL(π*‖π_DPO) = ${r.klDpo}`);
    assert.ok(r.klRewardModel < 5e-3, `KL(π*‖π_RM) = ${r.klRewardModel}`);
    // on the same data the two routes solve the same likelihood (r = β log π/π_ref), so they agree
    // far more closely than either agrees with π*
    for (let i = 0; i < r.optimum.length; i++) {
      assert.ok(Math.abs(r.dpoPolicy[i] - r.rewardModelPolicy[i]) < 1e-3, `x=${i}`);
    }
    // the reward model recovers r up to a constant
    const shift = r.fittedRewards[0] - r.rewards[0];
    for (let i = 0; i < r.rewards.length; i++) {
      assert.ok(Math.abs(r.fittedRewards[i] - shift - r.rewards[i]) < 0.15, `r_φ[${i}]`);
    }
  });

  it("with a different β the optimum moves, and DPO follows it", async () => {
    const a = await runOptimumCheck({ beta: 2, pairs: 60_000, steps: 300, seed: 2 });
    const b = await runOptimumCheck({ beta: 0.25, pairs: 60_000, steps: 300, seed: 2 });
    assert.ok(a.klDpo < 5e-3 && b.klDpo < 5e-3, `${a.klDpo} ${b.klDpo}`);
    // smaller β: more mass on the best outcome (index 4, r = 2)
    assert.ok(b.dpoPolicy[4] > a.dpoPolicy[4] + 0.2);
  });
});
