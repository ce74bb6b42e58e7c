/**
 * Paths that come from requests stay inside the data directory: a relative
 * path is resolved against it, and both the lexical result and, when it
 * exists, its real path (symlinks followed) must lie inside the directory's
 * real path. Anything else is a UserError naming the path.
 */
import { existsSync, realpathSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { UserError } from "../engine/errors.js";

function inside(root: string, p: string): boolean {
  const r = relative(root, p);
  return r === "" || (!r.startsWith(`..${sep}`) && r !== ".." && !isAbsolute(r));
}

/** `rel` resolved inside `dataDir`, or a UserError when it would leave it. */
export function resolveInside(dataDir: string, rel: string, field = "path"): string {
  if (typeof rel !== "string" || rel === "" || rel.includes("\0")) {
    throw new UserError(`${field}: expected a path relative to the data directory`);
  }
  if (isAbsolute(rel)) {
    throw new UserError(
      `${field}: "${rel}" is absolute; give a path relative to the data directory`,
    );
  }
  const root = resolve(dataDir);
  const p = resolve(root, rel);
  if (!inside(root, p)) throw new UserError(`${field}: "${rel}" leaves the data directory`);
  if (existsSync(p)) {
    const realRoot = realpathSync(root);
    if (!inside(realRoot, realpathSync(p))) {
      throw new UserError(`${field}: "${rel}" leads outside the data directory (symlink)`);
    }
  }
  return p;
}
