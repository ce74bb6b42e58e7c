/**
 * Learning-rate schedules as plain functions of the step number. `step` is
 * the number of optimiser updates already applied (0 for the first update),
 * the convention of torch's LambdaLR and of transformers' schedules, which
 * these reproduce exactly on [0, totalSteps].
 */
import { UserError } from "../engine/errors.js";

/** Learning rate for the update with 0-based index `step`. */
export type Schedule = (step: number) => number;

/** lr(step) = lr. */
export function constantSchedule(lr: number): Schedule {
  checkNonNegative("learning rate", lr);
  return () => lr;
}

function checkNonNegative(field: string, v: number): void {
  if (!Number.isFinite(v) || v < 0)
    throw new UserError(`schedule: ${field} must be a finite number ≥ 0, got ${v}`);
}

function checkSteps(warmupSteps: number, totalSteps: number): void {
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) {
    throw new UserError(`schedule: warmupSteps must be an integer ≥ 0, got ${warmupSteps}`);
  }
  if (!Number.isInteger(totalSteps) || totalSteps < 1) {
    throw new UserError(`schedule: totalSteps must be an integer ≥ 1, got ${totalSteps}`);
  }
  if (warmupSteps > totalSteps) {
    throw new UserError(
      `schedule: warmupSteps (${warmupSteps}) exceeds totalSteps (${totalSteps})`,
    );
  }
}

/**
 * transformers' get_linear_schedule_with_warmup:
 * lr = peak·step/warmup for step < warmup, then
 * end + (peak − end)·max(0, (total − step)/(total − warmup)); `end` defaults to 0.
 */
export function linearWarmupDecay(o: {
  peak: number;
  warmupSteps: number;
  totalSteps: number;
  end?: number;
}): Schedule {
  const { peak, warmupSteps, totalSteps } = o;
  const end = o.end ?? 0;
  checkNonNegative("peak", peak);
  checkNonNegative("end", end);
  checkSteps(warmupSteps, totalSteps);
  return (step) => {
    if (step < warmupSteps) return (peak * step) / Math.max(1, warmupSteps);
    const f = Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
    return end + (peak - end) * f;
  };
}

/**
 * transformers' get_cosine_schedule_with_warmup (half a cosine):
 * lr = peak·step/warmup for step < warmup, then
 * peak·(m + (1 − m)·½(1 + cos(π·p))) with p = (step − warmup)/(total − warmup)
 * clamped to [0, 1] and m = `minRatio` (default 0, as transformers; m > 0 is
 * get_cosine_with_min_lr_schedule_with_warmup's min_lr_rate).
 */
export function cosineWarmup(o: {
  peak: number;
  warmupSteps: number;
  totalSteps: number;
  minRatio?: number;
}): Schedule {
  const { peak, warmupSteps, totalSteps } = o;
  const m = o.minRatio ?? 0;
  checkNonNegative("peak", peak);
  if (!(m >= 0 && m <= 1)) throw new UserError(`schedule: minRatio must be in [0, 1], got ${m}`);
  checkSteps(warmupSteps, totalSteps);
  return (step) => {
    if (step < warmupSteps) return (peak * step) / Math.max(1, warmupSteps);
    const p = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
    const c = Math.max(0, 0.5 * (1 + Math.cos(Math.PI * p)));
    return peak * (m + (1 - m) * c);
  };
}
