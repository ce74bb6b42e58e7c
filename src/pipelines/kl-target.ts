/**
 * A KL target for online DPO. The KL a run reaches is a poor function of its
 * knobs: on the embedded world one more round, or lr 1.5e-4 → 1.75e-4 on the
 * same pairs, moved KL(π‖π_ref) from 1.56 to 2.8. So the run measures it:
 * the policy samples completions of probe openings and KL(π‖π_ref) is
 * estimated on them as the sentiment experiment does it, the mean of
 * log π(y|x) − log π_ref(y|x) over samples y ∼ π (evaluatePolicy). The probe
 * openings come from their own corpus seed, apart from the training rounds'
 * and the experiment's held-out openings.
 *
 * Only settled policies are candidates: those of the last quarter of a round,
 * measured every `every` steps, and its end. Before that, near the peak of
 * the learning-rate schedule, a round overshoots and comes back. Round 4 of the
 * embedded world's online DPO measured KL 3.8, 12.4, 6.9 and 2.9 at steps 25,
 * 50, 75 and 100 of 154, then 2.3, 2.5 and 2.5 as the rate decays; round 2
 * measured 2.8 at step 100 and 0.9 at step 125. The model bytes are the same
 * with and without the measurements. The run keeps the
 * candidate closest to the target. It stops after the first round whose end
 * reaches the target: later rounds only move further from π_ref.
 */

/** One KL measurement of the run: round (1-based), step in the round, estimate, the round's end? */
export type KlMeasurement = { round: number; step: number; kl: number; end: boolean };

/** Whether a measurement at `step` of a round of `total` steps is a candidate (last quarter or end). */
export function settled(step: number, total: number): boolean {
  return 4 * step >= 3 * total;
}

/**
 * The selection rule on the candidates so far (in run order): `index` is the
 * one closest to `target` (the earlier one on a tie); `stop` is true once
 * the latest is a round's end at or past the target.
 */
export function pickByKl(
  ms: readonly Pick<KlMeasurement, "kl" | "end">[],
  target: number,
): { index: number; stop: boolean } {
  if (!(target > 0)) throw new RangeError(`KL target must be > 0, got ${target}`);
  if (ms.length === 0) throw new RangeError("pickByKl: no measurements");
  let index = 0;
  for (let i = 1; i < ms.length; i++) {
    if (Math.abs(ms[i].kl - target) < Math.abs(ms[index].kl - target)) index = i;
  }
  const last = ms[ms.length - 1];
  return { index, stop: last.end && last.kl >= target };
}
