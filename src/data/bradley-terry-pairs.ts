/**
 * Preference pairs over a discrete outcome space sampled from the
 * Bradley–Terry model of a known reward: x₁, x₂ ∼ π_ref independently
 * (ties redrawn), then x₁ ≻ x₂ with probability σ(r(x₁) − r(x₂)).
 */
import type { HostRng } from "../engine/random.js";

export type IndexPairs = { chosen: Int32Array; rejected: Int32Array };

export function sampleBradleyTerryPairs(
  refProbs: readonly number[],
  rewards: readonly number[],
  n: number,
  rng: HostRng,
): IndexPairs {
  if (refProbs.length !== rewards.length) {
    throw new RangeError(
      `refProbs has ${refProbs.length} outcomes but rewards has ${rewards.length}`,
    );
  }
  if (refProbs.filter((p) => p > 0).length < 2)
    throw new RangeError("π_ref needs at least two outcomes with mass");
  const chosen = new Int32Array(n);
  const rejected = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    let a = rng.categorical(refProbs);
    let b = rng.categorical(refProbs);
    while (a === b) {
      a = rng.categorical(refProbs);
      b = rng.categorical(refProbs);
    }
    const pA = 1 / (1 + Math.exp(-(rewards[a] - rewards[b])));
    if (rng.next() < pA) {
      chosen[k] = a;
      rejected[k] = b;
    } else {
      chosen[k] = b;
      rejected[k] = a;
    }
  }
  return { chosen, rejected };
}
