/**
 * The lecture's central claim, checked end to end on a discrete world where
 * everything is known exactly. A categorical π_ref over K outcomes and a
 * reward r give the exact optimum π* = π_ref·exp(r/β)/Z. Preferences are
 * sampled from the Bradley–Terry model of r; then
 *  1. DPO trains a categorical policy directly on the preferences, and
 *  2. the "common strategy" fits a Bradley–Terry reward model r_φ and takes
 *     the closed-form optimum klOptimum(π_ref, r_φ, β);
 * both must land on π*, up to the sampling noise of the preferences.
 */

import { type IndexPairs, sampleBradleyTerryPairs } from "../data/bradley-terry-pairs.js";
import { jit, nn, numpy as np, valueAndGrad } from "../engine/jax.js";
import { HostRng } from "../engine/random.js";
import { bradleyTerryLoss } from "../objectives/bradley-terry.js";
import { dpoLoss } from "../objectives/dpo.js";
import { klDivergence, klOptimum } from "../objectives/optimum.js";
import { adamw } from "../train/optimizer.js";

export type OptimumCheckOptions = {
  refProbs?: number[];
  rewards?: number[];
  beta?: number;
  pairs?: number;
  steps?: number;
  learningRate?: number;
  seed?: number;
  onProgress?: (phase: "dpo" | "reward-model", step: number, loss: number) => void;
};

export type OptimumCheckResult = {
  refProbs: number[];
  rewards: number[];
  beta: number;
  pairs: number;
  optimum: number[];
  dpoPolicy: number[];
  rewardModelPolicy: number[];
  fittedRewards: number[];
  /** KL(π* ‖ π_DPO) */
  klDpo: number;
  /** KL(π* ‖ klOptimum(π_ref, r_φ, β)) */
  klRewardModel: number;
  /** KL(π* ‖ π_ref), the distance DPO had to travel */
  klRef: number;
  finalDpoLoss: number;
  finalRewardModelLoss: number;
};

export const DEFAULT_CHECK = {
  refProbs: [0.3, 0.25, 0.2, 0.12, 0.08, 0.05],
  rewards: [0.0, 0.5, -0.5, 1.2, 2.0, -1.0],
  beta: 0.5,
  pairs: 100_000,
  steps: 600,
  learningRate: 0.05,
  seed: 0,
};

/** One-hot rows [N, K] for outcome indices: gathers by matrix product (DESIGN §4). */
function oneHot(idx: Int32Array, k: number): np.Array {
  const m = new Float32Array(idx.length * k);
  for (let i = 0; i < idx.length; i++) m[i * k + idx[i]] = 1;
  return np.array(m).reshape([idx.length, k]);
}

type Objective = (theta: np.Array, chosen: np.Array, rejected: np.Array) => np.Array;

/** Full-batch AdamW on a single parameter vector; returns the final θ and loss. */
async function fit(
  objective: Objective,
  k: number,
  pairs: IndexPairs,
  steps: number,
  learningRate: number,
  report: (step: number, loss: number) => void,
): Promise<{ theta: number[]; loss: number }> {
  const chosen = oneHot(pairs.chosen, k);
  const rejected = oneHot(pairs.rejected, k);
  const opt = adamw({ learningRate, weightDecay: 0 });
  let theta = np.zeros([k]);
  let state = opt.init(theta.ref);
  const step = jit((th: np.Array, st: typeof state, c: np.Array, r: np.Array) => {
    const [loss, g] = valueAndGrad((t: np.Array) => objective(t, c, r))(th.ref);
    const next = opt.step(th, g, st, learningRate);
    next.gradNorm.dispose();
    return { loss, theta: next.params, state: next.state };
  });
  let last = Number.NaN;
  for (let i = 0; i < steps; i++) {
    const out = step(theta, state, chosen.ref, rejected.ref);
    theta = out.theta;
    state = out.state;
    last = (await out.loss.data())[0];
    if (!Number.isFinite(last)) throw new Error(`optimum check: loss became ${last} at step ${i}`);
    if (i % 50 === 0 || i === steps - 1) report(i, last);
  }
  chosen.dispose();
  rejected.dispose();
  const result = Array.from(await theta.data());
  return { theta: result, loss: last };
}

export async function runOptimumCheck(
  options: OptimumCheckOptions = {},
): Promise<OptimumCheckResult> {
  const o = { ...DEFAULT_CHECK, ...options };
  const k = o.refProbs.length;
  const total = o.refProbs.reduce((a, b) => a + b, 0);
  const refProbs = o.refProbs.map((p) => p / total);
  const rng = new HostRng(o.seed);
  const pairs = sampleBradleyTerryPairs(refProbs, o.rewards, o.pairs, rng);
  const logRef = np.log(np.array(new Float32Array(refProbs)));
  const progress = o.onProgress ?? (() => {});

  // 1. DPO: the policy is softmax(θ); log π of each sampled outcome by one-hot product.
  const dpoObjective: Objective = (theta, c, r) => {
    const logPi = nn.logSoftmax(theta);
    const lr = logRef.ref;
    const out = dpoLoss(
      {
        policyChosenLogps: np.matmul(c.ref, logPi.ref),
        policyRejectedLogps: np.matmul(r.ref, logPi),
        refChosenLogps: np.matmul(c, lr.ref),
        refRejectedLogps: np.matmul(r, lr),
      },
      { beta: o.beta },
    );
    for (const a of [out.losses, out.chosenRewards, out.rejectedRewards, out.margins, out.accuracy])
      a.dispose();
    return out.loss;
  };
  // start DPO at π_ref, as DPO starts from the reference model
  const dpoFit = await fit(
    (theta, c, r) => dpoObjective(theta.add(logRef.ref), c, r),
    k,
    pairs,
    o.steps,
    o.learningRate,
    (s, l) => progress("dpo", s, l),
  );
  const dpoTheta = dpoFit.theta.map((t, i) => t + Math.log(refProbs[i]));
  const dpoPolicy = Array.from(await nn.softmax(np.array(new Float32Array(dpoTheta))).data());

  // 2. Reward model r_φ (a table) by Bradley–Terry, then the closed-form optimum.
  const btObjective: Objective = (phi, c, r) => {
    const out = bradleyTerryLoss(np.matmul(c, phi.ref), np.matmul(r, phi));
    out.accuracy.dispose();
    return out.loss;
  };
  const btFit = await fit(btObjective, k, pairs, o.steps, o.learningRate, (s, l) =>
    progress("reward-model", s, l),
  );
  const fittedRewards = btFit.theta;
  const arr = (xs: number[]) => np.array(new Float32Array(xs));
  const optimum = Array.from(await klOptimum(arr(refProbs), arr(o.rewards), o.beta).data());
  const rewardModelPolicy = Array.from(
    await klOptimum(arr(refProbs), arr(fittedRewards), o.beta).data(),
  );
  const kl = async (p: number[], q: number[]) => (await klDivergence(arr(p), arr(q)).data())[0];
  logRef.dispose();
  return {
    refProbs,
    rewards: o.rewards,
    beta: o.beta,
    pairs: o.pairs,
    optimum,
    dpoPolicy,
    rewardModelPolicy,
    fittedRewards,
    klDpo: await kl(optimum, dpoPolicy),
    klRewardModel: await kl(optimum, rewardModelPolicy),
    klRef: await kl(optimum, refProbs),
    finalDpoLoss: dpoFit.loss,
    finalRewardModelLoss: btFit.loss,
  };
}
