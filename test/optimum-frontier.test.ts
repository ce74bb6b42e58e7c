/**
 * The importance-reweighted π* estimator against the exact optimum of a
 * discrete world (float64, written here from π* = π_ref·e^{r/β}/Z): exact
 * when the samples reproduce π_ref, consistent as samples grow, biased low
 * in KL at small n (Jensen), and the bias removed to first order by Richardson.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { frontierPlot } from "../src/eval/frontier.js";
import {
  efficiency,
  efficiencyInterval,
  efficiencyUpperBound,
  frontierConvergence,
  optimumAtKl,
  optimumPoint,
  referenceReward,
  richardson,
} from "../src/eval/optimum-frontier.js";
import { assertClose } from "./helpers.js";

const refProbs = [0.5, 0.25, 0.125, 0.125];
const rewards = [0, 2, -1, 4];
function exact(beta: number): { kl: number; reward: number } {
  const u = refProbs.map((p, i) => p * Math.exp(rewards[i] / beta));
  const z = u.reduce((a, b) => a + b, 0);
  const pi = u.map((x) => x / z);
  return {
    kl: pi.reduce((a, p, i) => a + p * Math.log(p / refProbs[i]), 0),
    reward: pi.reduce((a, p, i) => a + p * rewards[i], 0),
  };
}
/** seeded uniform draws (LCG) */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}
function draw(n: number, u: () => number): number[] {
  return Array.from({ length: n }, () => {
    let x = u();
    for (let k = 0; k < refProbs.length; k++) {
      if (x < refProbs[k]) return rewards[k];
      x -= refProbs[k];
    }
    return rewards[refProbs.length - 1];
  });
}
// 8 samples in exactly π_ref's proportions
const proportional = [0, 0, 0, 0, 2, 2, -1, 4];

describe("optimum frontier estimator", () => {
  it("is exact when the samples reproduce π_ref", () => {
    for (const beta of [0.3, 1, 5]) {
      const p = optimumPoint([proportional, proportional], beta);
      const e = exact(beta);
      assertClose(p.kl, e.kl, 1e-12, `KL β=${beta}`);
      assertClose(p.reward, e.reward, 1e-12, `reward β=${beta}`);
    }
    assertClose(referenceReward([proportional]), 0.5 * 0 + 0.25 * 2 - 0.125 + 0.5, 1e-12);
  });

  it("averages prompts and reports the effective sample size", () => {
    const a = [1, 1, 1, 1];
    const p = optimumPoint([a, proportional], 1);
    assertClose(p.kl, exact(1).kl / 2, 1e-12);
    assertClose(p.reward, (1 + exact(1).reward) / 2, 1e-12);
    // equal rewards: all 4 samples count; very small β: one sample counts
    assertClose(optimumPoint([a], 0.5).ess, 4, 1e-12);
    assertClose(optimumPoint([[0, 1, 2, 10]], 0.01).ess, 1, 1e-9);
  });

  it("converges to π* as samples grow, understating KL at small n; Richardson removes most of the bias", () => {
    const beta = 0.7;
    const e = exact(beta);
    const u = lcg(7);
    const big = optimumPoint(
      Array.from({ length: 16 }, () => draw(4096, u)),
      beta,
    );
    assert.ok(Math.abs(big.kl - e.kl) < 0.03, `KL ${big.kl} vs ${e.kl}`);
    assert.ok(Math.abs(big.reward - e.reward) < 0.03, `reward ${big.reward} vs ${e.reward}`);
    // 400 prompts of 8 samples: the bias is visible above the noise
    const small = Array.from({ length: 400 }, () => draw(8, u));
    const p8 = optimumPoint(small, beta);
    assert.ok(p8.kl < e.kl - 0.05, `small-n KL ${p8.kl} should be below ${e.kl}`);
    const rich = richardson(small, beta);
    assert.ok(
      Math.abs(rich.kl - e.kl) < Math.abs(p8.kl - e.kl) / 2,
      `Richardson ${rich.kl} vs plain ${p8.kl}, exact ${e.kl}`,
    );
    // the convergence rows move toward the exact value as samples double
    const rows = frontierConvergence(small, [beta], 2, [0.5]);
    assert.deepEqual(
      rows.map((r) => r.samples),
      [2, 4, 8],
    );
    const errs = rows.map((r) => Math.abs(r.points[0].kl - e.kl));
    assert.ok(errs[0] > errs[1] && errs[1] > errs[2], `errors ${errs}`);
    assert.equal(rows[2].rewardAtKl.length, 1);
  });

  it("optimumAtKl inverts the frontier; π* itself has efficiency 1 and π_ref 0", () => {
    const rr = [proportional, [1, 3, 0, 0, -2, 5, 1, 1]];
    for (const beta of [0.4, 1.3, 6]) {
      const p = optimumPoint(rr, beta);
      const q = optimumAtKl(rr, p.kl);
      assert.ok(q);
      assertClose(q.beta, beta, 1e-6, "β");
      assertClose(q.reward, p.reward, 1e-6, "reward");
      assertClose(efficiency(rr, p) ?? Number.NaN, 1, 1e-6, "efficiency of π*");
    }
    assertClose(efficiency(rr, { kl: 0.5, reward: referenceReward(rr) }) ?? Number.NaN, 0, 1e-12);
    // beyond log n per prompt no reweighting of these samples reaches
    assert.equal(optimumAtKl(rr, Math.log(8) + 0.1), null);
    assert.equal(efficiency(rr, { kl: 10, reward: 3 }), null);
    // beyond reach: bounded by the gain at the largest expressible KL, here each prompt's best sample
    const ub = efficiencyUpperBound(rr, { reward: 3 });
    const best = (4 + 5) / 2;
    assertClose(ub.bound, (3 - referenceReward(rr)) / (best - referenceReward(rr)), 1e-6);
    assertClose(ub.klMax, Math.log(8), 1e-6);
  });

  it("the efficiency interval contains the estimate and widens with the method's standard error", () => {
    const u = lcg(3);
    const rr = Array.from({ length: 24 }, () => draw(64, u));
    const star = optimumPoint(rr, 1);
    const point = { kl: star.kl, reward: (star.reward + referenceReward(rr)) / 2 };
    const tight = efficiencyInterval(rr, { ...point, rewardSE: 0.01 }, { seed: 5, draws: 100 });
    const wide = efficiencyInterval(rr, { ...point, rewardSE: 0.5 }, { seed: 5, draws: 100 });
    assert.ok(tight.value !== null);
    assertClose(tight.value, 0.5, 1e-9);
    for (const iv of [tight, wide]) {
      assert.ok(iv.lo <= 0.5 && 0.5 <= iv.hi, `[${iv.lo}, ${iv.hi}]`);
      assert.equal(iv.draws, 100);
    }
    assert.ok(wide.hi - wide.lo > tight.hi - tight.lo);
    // paired: a method that gains exactly half of π*'s gain on every prompt, whatever the
    // prompt's own reward, has a narrow interval around 0.5 (the prompt effects cancel)
    const half = rr.map((r) => {
      const one = optimumPoint([r], 1);
      const base = referenceReward([r]);
      return { reward: base + (one.reward - base) / 2, kl: star.kl };
    });
    const paired = efficiencyInterval(
      rr,
      { ...point, perPrompt: { reward: half.map((h) => h.reward), kl: half.map((h) => h.kl) } },
      { seed: 5, draws: 100 },
    );
    assert.ok(paired.lo > 0.35 && paired.hi < 0.65, `paired [${paired.lo}, ${paired.hi}]`);
    assert.throws(
      () => efficiencyInterval(rr, { ...point, perPrompt: { reward: [1], kl: [1] } }),
      /per-prompt/,
    );
  });

  it("rejects bad input", () => {
    assert.throws(() => optimumPoint([], 1), /no prompts/);
    assert.throws(() => optimumPoint([[1]], 1), /1 samples/);
    assert.throws(() => optimumPoint([[1, Number.NaN]], 1), /non-finite/);
    assert.throws(() => optimumPoint([[1, 2]], 0), /beta/);
  });

  it("the frontier plot names a point past twice π*'s largest KL in the legend instead of plotting it", () => {
    const star = [0.5, 1, 2].map((kl) => ({
      method: "π* (true reward)",
      setting: "",
      kl,
      reward: kl,
    }));
    const pts = [
      ...star,
      { method: "DPO", setting: "β=1", kl: 3.9, reward: 2 },
      { method: "SimPO", setting: "β=2", kl: 44.45, reward: 4 },
    ];
    const svg = frontierPlot(pts);
    assert.ok(svg.includes("SimPO (off the plot: β=2 at KL 44.5)"));
    assert.ok(!svg.includes("DPO (off the plot"));
    // the axis ends near π*'s range, not at 44
    assert.ok(!/>\s*40\s*</.test(svg));
    assert.ok(frontierPlot(pts.filter((p) => p.method !== "π* (true reward)")).includes(">SimPO<"));
  });
});
