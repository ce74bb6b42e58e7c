/**
 * A `UserError` is bad input, not a bug: the CLI prints its message alone on
 * one line and exits with code 2. The message names where (file, line,
 * field) and what was expected.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UserError";
  }
}

/** Formats "file:line: field: message" with the parts that are known. */
export function where(file?: string, line?: number, field?: string): string {
  let s = file ?? "";
  if (line !== undefined) s += `:${line}`;
  if (field !== undefined) s += `${s ? ": " : ""}field "${field}"`;
  return s;
}

/**
 * A training run stopped by SIGINT/SIGTERM after saving a checkpoint: not a
 * failure of the input, so the CLI prints the message (where the checkpoint
 * is and how to continue) and exits with 130, the shell's code for an interrupt.
 */
export class Interrupted extends Error {
  readonly exitCode = 130;
  constructor(message: string) {
    super(message);
    this.name = "Interrupted";
  }
}
