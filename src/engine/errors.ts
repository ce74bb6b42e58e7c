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
