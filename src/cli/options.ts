/** Option parsers shared by the CLI commands: they reject bad values with a clear message. */
import { InvalidArgumentError } from "commander";

export function parseNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n))
    throw new InvalidArgumentError(`expected a number, got "${value}"`);
  return n;
}

/** A finite number, or "Infinity"/"inf" for no limit. */
export function parseNumberOrInfinity(value: string): number {
  if (/^\s*(\+?inf(inity)?)\s*$/i.test(value)) return Number.POSITIVE_INFINITY;
  return parseNumber(value);
}

export function parseInteger(value: string): number {
  const n = parseNumber(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`expected an integer, got "${value}"`);
  return n;
}

export function parsePositive(value: string): number {
  const n = parseNumber(value);
  if (!(n > 0)) throw new InvalidArgumentError(`expected a number > 0, got "${value}"`);
  return n;
}
