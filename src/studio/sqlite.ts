/**
 * The studio's one native dependency, better-sqlite3, loaded lazily: it is an
 * optional dependency (its install builds a native addon), so the rest of
 * prefopt installs and runs without it, and `prefopt studio` alone says in one
 * line how to get it.
 */
import { createRequire } from "node:module";
import { UserError } from "../engine/errors.js";

/** The parts of better-sqlite3's API the studio uses. */
export type Statement = {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
};

export type Database = {
  prepare(sql: string): Statement;
  exec(sql: string): void;
  pragma(sql: string, opts?: { simple?: boolean }): unknown;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  close(): void;
};

type DatabaseConstructor = new (path: string) => Database;

let cached: DatabaseConstructor | undefined;

/** The better-sqlite3 constructor, or a UserError saying how to install it. */
export function loadSqlite(): DatabaseConstructor {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  try {
    cached = require("better-sqlite3") as DatabaseConstructor;
  } catch (e) {
    const why = (e as Error).message.split("\n")[0];
    throw new UserError(
      `prefopt studio needs the optional native package better-sqlite3 12.x, which is not installed or did not build (${why}); install it with: npm install better-sqlite3@12 (needs a C++ toolchain and python3 when no prebuilt binary can be downloaded)`,
    );
  }
  return cached;
}
