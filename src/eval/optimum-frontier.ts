/**
 * The exact optimum of the KL-regularised objective on the text world,
 * estimated from reference samples. For a prompt c with samples
 * y₁…y_n ∼ π_ref(·|c) and rewards r_i, π*(y|c) = π_ref(y|c)·e^{r(y)/β}/Z(c), so
 * with self-normalised importance weights w_i = e^{r_i/β} / Σ_j e^{r_j/β}:
 *   E_π*[r]            ≈ Σ_i w_i r_i
 *   KL(π* ‖ π_ref)     = E_π*[r]/β − log Z(c),   log Z(c) ≈ log (1/n) Σ_j e^{r_j/β}
 * averaged over prompts. No log-probabilities are needed. Both estimates are
 * consistent but biased at finite n (self-normalisation, and Jensen's
 * inequality in log Z, which understates KL); the bias is O(1/n) and shrinks
 * as the effective sample size (Σw)²/Σw² grows, so `frontierConvergence`
 * recomputes the frontier on the first n/8, n/4, n/2 of the samples and
 * `richardson` extrapolates 2·f(n) − f(n/2) to the O(1/n²) remainder.
 *
 * A method's *efficiency* at its measured (KL, reward) is its reward gain over
 * π_ref divided by π*'s gain at the same KL: (R − R_ref)/(R*(KL) − R_ref),
 * with R*(KL) found by bisection over β (π*'s KL falls as β grows).
 */

/** Rewards of reference samples, one array per prompt. */
export type ReferenceRewards = number[][];

export type OptimumPoint = {
  beta: number;
  /** KL(π* ‖ π_ref), nats, mean over prompts */
  kl: number;
  /** E_π*[r], mean over prompts */
  reward: number;
  /** mean over prompts of the effective sample size (Σw)²/Σw² */
  ess: number;
};

function checkRewards(rr: ReferenceRewards): void {
  if (rr.length === 0) throw new RangeError("optimum frontier: no prompts");
  for (const [i, r] of rr.entries()) {
    if (r.length < 2) throw new RangeError(`optimum frontier: prompt ${i} has ${r.length} samples`);
    if (!r.every(Number.isFinite))
      throw new RangeError(`optimum frontier: prompt ${i} has a non-finite reward`);
  }
}

/** π*(β)'s KL and reward estimated from reference samples (see the module doc). */
export function optimumPoint(rr: ReferenceRewards, beta: number): OptimumPoint {
  if (!(beta > 0)) throw new RangeError(`beta must be positive, got ${beta}`);
  checkRewards(rr);
  let kl = 0;
  let reward = 0;
  let ess = 0;
  for (const r of rr) {
    const n = r.length;
    const m = Math.max(...r) / beta;
    let z = 0;
    let zr = 0;
    let z2 = 0;
    for (const x of r) {
      const e = Math.exp(x / beta - m);
      z += e;
      zr += e * x;
      z2 += e * e;
    }
    const er = zr / z;
    const logZ = m + Math.log(z / n);
    // KL ≥ 0 holds for the estimate too (Σ w log(n w) ≥ 0); guard rounding
    kl += Math.max(0, er / beta - logZ);
    reward += er;
    ess += (z * z) / z2;
  }
  const k = rr.length;
  return { beta, kl: kl / k, reward: reward / k, ess: ess / k };
}

/** Mean reward of the reference samples, E_π_ref[r]. */
export function referenceReward(rr: ReferenceRewards): number {
  checkRewards(rr);
  return rr.reduce((a, r) => a + r.reduce((s, x) => s + x, 0) / r.length, 0) / rr.length;
}

/** π* at a list of β (the curve drawn beside every method). */
export function optimumFrontier(rr: ReferenceRewards, betas: number[]): OptimumPoint[] {
  return betas.map((b) => optimumPoint(rr, b));
}

/**
 * π* at a given KL: the β whose estimated KL(π* ‖ π_ref) equals `kl`, by
 * bisection in log β. KL beyond what the samples can express (the estimate
 * tops out at mean log n when π* puts all weight on each prompt's best
 * sample) returns null.
 */
export function optimumAtKl(rr: ReferenceRewards, kl: number): OptimumPoint | null {
  if (!(kl >= 0)) throw new RangeError(`kl must be ≥ 0, got ${kl}`);
  if (kl === 0) return { ...optimumPoint(rr, 1e6), kl: 0 };
  let lo = Math.log(1e-3); // small β: large KL
  let hi = Math.log(1e4);
  if (optimumPoint(rr, Math.exp(lo)).kl < kl) return null;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (optimumPoint(rr, Math.exp(mid)).kl > kl) lo = mid;
    else hi = mid;
  }
  return optimumPoint(rr, Math.exp((lo + hi) / 2));
}

/** (R − R_ref)/(R*(KL) − R_ref) for a method measured at (kl, reward); null where π* is out of reach. */
export function efficiency(
  rr: ReferenceRewards,
  point: { kl: number; reward: number },
  refReward = referenceReward(rr),
): number | null {
  const star = optimumAtKl(rr, Math.max(0, point.kl));
  if (!star || !(star.reward - refReward > 1e-9)) return null;
  return (point.reward - refReward) / (star.reward - refReward);
}

/**
 * For a method beyond the samples' reach in KL: π*'s reward only grows with
 * KL, so its gain there is at least its gain at the largest KL the samples
 * express (β → 0.001), and the efficiency is at most
 * (R − R_ref)/(R*(KL_max) − R_ref). Returns that bound and KL_max.
 */
export function efficiencyUpperBound(
  rr: ReferenceRewards,
  point: { reward: number },
  refReward = referenceReward(rr),
): { bound: number; klMax: number } {
  const far = optimumPoint(rr, 1e-3);
  return { bound: (point.reward - refReward) / (far.reward - refReward), klMax: far.kl };
}

/** A seeded uniform generator (mulberry32) so intervals are reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function normal(u: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}
function quantile(sorted: number[], q: number): number {
  const i = (sorted.length - 1) * q;
  const lo = Math.floor(i);
  const hi = Math.ceil(i);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (i - lo);
}

export type EfficiencyInterval = { value: number | null; lo: number; hi: number; draws: number };

/** A method measured on the same prompts as the reference samples: per-prompt means, aligned with them. */
export type PerPromptMeasure = { reward: number[]; kl: number[] };

/**
 * Efficiency with a 95% percentile interval over `draws` bootstrap replicates.
 * With `perPrompt` (the method's mean reward and KL on each reference prompt),
 * prompts are resampled jointly for the method and for π*, so the prompts'
 * own rewards cancel in the gain (a paired comparison). Without it, the
 * method's reward and KL are drawn from normals with their standard errors
 * and the reference prompts are resampled on their own.
 */
export function efficiencyInterval(
  rr: ReferenceRewards,
  point: {
    kl: number;
    reward: number;
    rewardSE?: number;
    klSE?: number;
    perPrompt?: PerPromptMeasure;
  },
  o: { draws?: number; seed?: number } = {},
): EfficiencyInterval {
  const draws = o.draws ?? 200;
  const u = mulberry32(o.seed ?? 1);
  const pp = point.perPrompt;
  if (pp && (pp.reward.length !== rr.length || pp.kl.length !== rr.length)) {
    throw new RangeError(
      `efficiencyInterval: ${pp.reward.length} per-prompt rewards and ${pp.kl.length} KLs for ${rr.length} reference prompts`,
    );
  }
  const vals: number[] = [];
  for (let d = 0; d < draws; d++) {
    const idx = rr.map(() => Math.floor(u() * rr.length));
    const boot = idx.map((i) => rr[i]);
    let reward: number;
    let kl: number;
    if (pp) {
      reward = idx.reduce((a, i) => a + pp.reward[i], 0) / idx.length;
      kl = Math.max(0, idx.reduce((a, i) => a + pp.kl[i], 0) / idx.length);
    } else {
      reward = point.reward + (point.rewardSE ?? 0) * normal(u);
      kl = Math.max(0, point.kl + (point.klSE ?? 0) * normal(u));
    }
    const e = efficiency(boot, { kl, reward });
    if (e !== null) vals.push(e);
  }
  vals.sort((a, b) => a - b);
  return {
    value: efficiency(rr, point),
    lo: vals.length ? quantile(vals, 0.025) : Number.NaN,
    hi: vals.length ? quantile(vals, 0.975) : Number.NaN,
    draws: vals.length,
  };
}

export type ConvergenceRow = {
  samples: number;
  points: OptimumPoint[];
  /** E_π*[r] at each of the requested KLs (null beyond reach): the frontier as a curve, which efficiency uses */
  rewardAtKl: (number | null)[];
};

/**
 * The frontier recomputed on the first n/2^k samples of every prompt
 * (k = `halvings`…0): if the estimate has converged, the rows agree; their
 * differences show the finite-sample bias directly.
 */
export function frontierConvergence(
  rr: ReferenceRewards,
  betas: number[],
  halvings = 3,
  kls: number[] = [1, 2],
): ConvergenceRow[] {
  checkRewards(rr);
  const n = Math.min(...rr.map((r) => r.length));
  const rows: ConvergenceRow[] = [];
  for (let k = halvings; k >= 0; k--) {
    const m = Math.floor(n / 2 ** k);
    if (m < 2) continue;
    const sub = rr.map((r) => r.slice(0, m));
    rows.push({
      samples: m,
      points: optimumFrontier(sub, betas),
      rewardAtKl: kls.map((k) => optimumAtKl(sub, k)?.reward ?? null),
    });
  }
  return rows;
}

/** Richardson extrapolation 2·f(n) − f(n/2) of π*(β) for an O(1/n) bias. */
export function richardson(rr: ReferenceRewards, beta: number): OptimumPoint {
  const n = Math.min(...rr.map((r) => r.length));
  const full = optimumPoint(rr, beta);
  const half = optimumPoint(
    rr.map((r) => r.slice(0, Math.floor(n / 2))),
    beta,
  );
  return {
    beta,
    kl: 2 * full.kl - half.kl,
    reward: 2 * full.reward - half.reward,
    ess: full.ess,
  };
}
