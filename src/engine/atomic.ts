/**
 * Crash-safe file writes: data goes to a temporary file in the same
 * directory, is fsync'ed, renamed over the target (atomic on POSIX), and the
 * directory is fsync'ed so the rename itself survives a power cut. A reader
 * therefore sees either the old file or the complete new one, never a torn
 * write.
 */
import { nodeBuiltin } from "./node-builtins.js";

/** fsyncs a directory so renames/creations inside it are durable (no-op where unsupported). */
export function fsyncDir(dir: string): void {
  const { closeSync, fsyncSync, openSync } = nodeBuiltin("fs");
  let fd: number | undefined;
  try {
    fd = openSync(dir, "r");
    fsyncSync(fd);
  } catch {
    // some platforms (Windows) cannot open or fsync a directory; rename is still atomic
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A fresh temporary name beside `path` (same directory, so rename never crosses devices). */
export function tempPathFor(path: string): string {
  const { basename, dirname, join } = nodeBuiltin("path");
  const { randomBytes } = nodeBuiltin("crypto");
  return join(
    dirname(path),
    `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`,
  );
}

/** Writes `data` to `path` atomically: temp file, fsync, rename, fsync dir. Creates parent dirs. */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } =
    nodeBuiltin("fs");
  const dir = nodeBuiltin("path").dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = tempPathFor(path);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const fd = openSync(tmp, "w", 0o644);
  try {
    let off = 0;
    while (off < bytes.byteLength) off += writeSync(fd, bytes, off, bytes.byteLength - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(dir);
}

/** Writes `obj` as pretty JSON (2-space indent, trailing newline) atomically. */
export function writeJsonAtomic(path: string, obj: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(obj, null, 2)}\n`);
}
