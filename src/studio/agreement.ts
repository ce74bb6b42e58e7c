/**
 * Agreement between raters on categorical answers. For items rated by n_i ≥ 2
 * raters with n_ij of them answering category j:
 *   per-item agreement P_i = Σ_j n_ij (n_ij − 1) / (n_i (n_i − 1))
 *   observed P̄ = mean of P_i over those items, chance P_e = Σ_j p_j²
 *   with p_j = Σ_i n_ij / Σ_i n_i, and Fleiss' κ = (P̄ − P_e) / (1 − P_e).
 * With a constant number of raters this is Fleiss (1971) exactly; with varying
 * numbers each item counts once. κ is NaN when P_e = 1 (everyone always gave
 * one answer).
 */

export type Agreement = {
  /** items with at least two ratings */
  items: number;
  /** rater pairs compared on the same item */
  pairs: number;
  /** observed agreement P̄ */
  observed: number;
  /** chance agreement P_e */
  chance: number;
  kappa: number;
};

/** Fleiss' κ over `ratings`: one array of category labels per item (items with < 2 are ignored). */
export function fleissKappa(ratings: readonly (readonly string[])[]): Agreement {
  const totals = new Map<string, number>();
  let sumP = 0;
  let items = 0;
  let pairs = 0;
  let ratingCount = 0;
  for (const r of ratings) {
    if (r.length < 2) continue;
    const counts = new Map<string, number>();
    for (const c of r) counts.set(c, (counts.get(c) ?? 0) + 1);
    let agree = 0;
    for (const [c, k] of counts) {
      agree += k * (k - 1);
      totals.set(c, (totals.get(c) ?? 0) + k);
    }
    const n = r.length;
    sumP += agree / (n * (n - 1));
    pairs += (n * (n - 1)) / 2;
    ratingCount += n;
    items++;
  }
  if (items === 0)
    return { items: 0, pairs: 0, observed: Number.NaN, chance: Number.NaN, kappa: Number.NaN };
  const observed = sumP / items;
  let chance = 0;
  for (const k of totals.values()) chance += (k / ratingCount) ** 2;
  const kappa = chance >= 1 ? Number.NaN : (observed - chance) / (1 - chance);
  return { items, pairs, observed, chance, kappa };
}

/** Share of (human, judge) answer pairs that agree; `n` counts the pairs. */
export function agreementWith(pairs: readonly { human: string; judge: string }[]): {
  n: number;
  agree: number;
  rate: number;
} {
  let agree = 0;
  for (const p of pairs) if (p.human === p.judge) agree++;
  return { n: pairs.length, agree, rate: pairs.length ? agree / pairs.length : Number.NaN };
}
