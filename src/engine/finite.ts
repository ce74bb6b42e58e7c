/**
 * The shared finite-number check: data (weights, pixels, metrics) with NaN or
 * ±Inf is refused with a `UserError` that names where the first bad value is,
 * instead of training on it and producing silent nonsense.
 */
import { UserError } from "./errors.js";

/** Index of the first NaN/±Inf in `xs`, or −1. */
export function firstNonFinite(xs: ArrayLike<number>): number {
  for (let i = 0; i < xs.length; i++) if (!Number.isFinite(xs[i])) return i;
  return -1;
}

/** Throws `UserError` "<where>: value <v> at index <i>; expected finite numbers" if `xs` holds a NaN/±Inf. */
export function assertFinite(xs: ArrayLike<number>, where: string): void {
  const i = firstNonFinite(xs);
  if (i >= 0)
    throw new UserError(`${where}: value ${xs[i]} at index ${i}; expected finite numbers`);
}
