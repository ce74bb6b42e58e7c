/**
 * JSON Lines, read the forgiving way and reported the strict way: one JSON
 * value per line; a UTF-8 byte-order mark, CRLF line ends and blank lines are
 * accepted; anything else that is not JSON is a `UserError` naming
 * "file:line" and what was expected. Every dataset reader goes through here.
 */
import { UserError, where } from "../engine/errors.js";
import { nodeBuiltin } from "../engine/node-builtins.js";

export type JsonlRow = { value: unknown; line: number };

/** Text of `path` as UTF-8 (BOM dropped); a missing file, a directory or invalid UTF-8 is a UserError. */
export function readTextFile(path: string, what = "file"): string {
  let bytes: Uint8Array;
  const { readFileSync, statSync } = nodeBuiltin("fs");
  try {
    if (statSync(path).isDirectory())
      throw new UserError(`${path}: is a directory, expected a ${what}`);
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${path}: cannot read ${what} (${(e as NodeJS.ErrnoException).code ?? e})`);
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new UserError(`${path}: not UTF-8 text, expected a ${what}`);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * Parses JSONL text: one `{value, line}` (1-based) per non-blank line. A line
 * that is not JSON throws `UserError` "file:line: not valid JSON (...)"; an
 * empty file (no rows) throws "file: no rows, expected <what>".
 */
export function parseJsonl(
  text: string,
  file: string,
  what = "one JSON object per line",
): JsonlRow[] {
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const out: JsonlRow[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const s = lines[i].endsWith("\r") ? lines[i].slice(0, -1) : lines[i];
    if (s.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(s);
    } catch (e) {
      const shown = s.length > 40 ? `${s.slice(0, 40)}…` : s;
      throw new UserError(
        `${where(file, i + 1)}: not valid JSON (${(e as Error).message}); expected ${what}, got ${JSON.stringify(shown)}`,
      );
    }
    out.push({ value, line: i + 1 });
  }
  if (out.length === 0) throw new UserError(`${file}: no rows (empty file), expected ${what}`);
  return out;
}

/** Reads and parses a JSONL file (see `parseJsonl`). */
export function readJsonl(path: string, what?: string): JsonlRow[] {
  return parseJsonl(readTextFile(path, "JSONL file"), path, what);
}

/**
 * A JSON object row or a UserError "file:line: expected a JSON object with
 * <fields>, got ...".
 */
export function expectObject(
  value: unknown,
  file: string,
  line: number,
  fields: string,
): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new UserError(
      `${where(file, line)}: expected a JSON object with ${fields}, got ${JSON.stringify(value)?.slice(0, 60)}`,
    );
  }
  return value as Record<string, unknown>;
}
