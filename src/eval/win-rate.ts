/**
 * Win rates with a confidence interval. Each comparison is 1 (A wins),
 * 0 (B wins) or 0.5 (tie, counted as half a win, as AlpacaEval and the DPO
 * paper's GPT-4 evaluation do). The interval is Wilson's score interval for a
 * binomial proportion p̂ over n trials at level z:
 *   (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n)
 */

export type WinRate = {
  n: number;
  wins: number;
  ties: number;
  losses: number;
  /** (wins + ties/2) / n */
  rate: number;
  /** Wilson interval [lo, hi] at `level` */
  ci: [number, number];
  level: number;
};

/** Wilson score interval for proportion `p` over `n` trials (z = 1.96 for 95 %). */
export function wilsonInterval(p: number, n: number, z = 1.959964): [number, number] {
  if (n === 0) return [0, 1];
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const half = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  const d = 1 + z2 / n;
  return [Math.max(0, (centre - half) / d), Math.min(1, (centre + half) / d)];
}

/** Summarises outcomes in {0, 0.5, 1} as a win rate of A over B. */
export function winRate(outcomes: number[], z = 1.959964): WinRate {
  let wins = 0;
  let ties = 0;
  let losses = 0;
  for (const o of outcomes) {
    if (o === 1) wins++;
    else if (o === 0) losses++;
    else if (o === 0.5) ties++;
    else throw new RangeError(`winRate: outcome must be 0, 0.5 or 1, got ${o}`);
  }
  const n = outcomes.length;
  const rate = n ? (wins + ties / 2) / n : Number.NaN;
  return { n, wins, ties, losses, rate, ci: wilsonInterval(n ? rate : 0, n, z), level: 0.95 };
}
