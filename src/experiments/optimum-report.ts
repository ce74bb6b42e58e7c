/**
 * The exact optimum beside every method of the sentiment experiment: π*'s
 * curve under the true reward, estimated by reweighting reference samples
 * (src/eval/optimum-frontier.ts), each method's efficiency against it, and
 * the estimate's own credentials (sample count, effective sample size, how it
 * moves as the samples double, the Richardson-extrapolated bias).
 */
import { type FrontierPoint, OPTIMUM_METHOD } from "../eval/frontier.js";
import {
  efficiencyInterval,
  efficiencyUpperBound,
  frontierConvergence,
  optimumFrontier,
  type PerPromptMeasure,
  type ReferenceRewards,
  referenceReward,
  richardson,
} from "../eval/optimum-frontier.js";

/** β grid of the drawn π* curve: from nearly π_ref to KL ≈ 4. */
export const OPTIMUM_BETAS = [16, 8, 4, 2.8, 2, 1.4, 1, 0.8, 0.65, 0.5, 0.4];

export type OptimumReport = {
  /** π*'s points (method OPTIMUM_METHOD), for the plot and the table */
  points: FrontierPoint[];
  /** E_π_ref[r] on the reference samples */
  refReward: number;
  markdown: string;
};

/**
 * Adds `efficiency` (and its 95% interval) to every method point that has a
 * KL (π_ref itself and π* excluded) and returns π*'s curve and a Markdown
 * section on the estimate. With `perPrompt` (the method's per-prompt means on
 * the reference prompts) the interval is paired by prompt; otherwise
 * `rewardSE` and `klSE` set its width.
 */
export function optimumReport(
  rr: ReferenceRewards,
  methods: (FrontierPoint & { klSE?: number; perPrompt?: PerPromptMeasure })[],
  o: { seconds?: number; draws?: number } = {},
): OptimumReport {
  const refReward = referenceReward(rr);
  const n = Math.min(...rr.map((r) => r.length));
  const star = optimumFrontier(rr, OPTIMUM_BETAS);
  const points: FrontierPoint[] = star.map((p) => ({
    method: OPTIMUM_METHOD,
    setting: `β=${p.beta}`,
    kl: p.kl,
    reward: p.reward,
  }));
  for (const m of methods) {
    if (!(m.kl > 0.02)) continue;
    const iv = efficiencyInterval(
      rr,
      { kl: m.kl, reward: m.reward, rewardSE: m.rewardSE, klSE: m.klSE, perPrompt: m.perPrompt },
      { draws: o.draws ?? 100 },
    );
    if (iv.value === null) {
      // beyond what reweighting these samples can express: an upper bound only
      m.efficiencyHi = efficiencyUpperBound(rr, m, refReward).bound;
      continue;
    }
    m.efficiency = iv.value;
    m.efficiencyLo = iv.lo;
    m.efficiencyHi = iv.hi;
  }
  const f = (x: number | null | undefined, d = 2) =>
    x === null || x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(d);
  const conv = frontierConvergence(rr, [2, 1, 0.7], 3, [1, 2]);
  const lines = [
    `π* = π_ref·e^{r/β}/Z estimated from ${n} reference samples on each of ${rr.length} held-out prompts${o.seconds ? ` (sampled in ${o.seconds.toFixed(0)} s)` : ""}; reference mean reward ${f(refReward)}.`,
    "",
    "| samples per prompt | E_π*[r] at KL 1 | at KL 2 | β=2: KL, E[r], ESS | β=1: KL, E[r], ESS | β=0.7: KL, E[r], ESS |",
    "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ...conv.map(
      (row) =>
        `| ${row.samples} | ${f(row.rewardAtKl[0])} | ${f(row.rewardAtKl[1])} | ${row.points
          .map((p) => `${f(p.kl)}, ${f(p.reward)}, ${f(p.ess, 0)}`)
          .join(" | ")} |`,
    ),
    "",
    `Bias: the estimate is consistent but understates KL and reward at finite n (self-normalised weights, Jensen in log Z); Richardson 2·f(n) − f(n/2) at β=1 gives KL ${f(richardson(rr, 1).kl)}, E[r] ${f(richardson(rr, 1).reward)} against ${f(star.find((p) => p.beta === 1)?.kl)}, ${f(star.find((p) => p.beta === 1)?.reward)}. Efficiency compares at equal KL, where the curve moves less as samples double (rows above).`,
  ];
  return { points, refReward, markdown: lines.join("\n") };
}
