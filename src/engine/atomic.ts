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
  const f = openAtomic(path);
  try {
    f.write(typeof data === "string" ? new TextEncoder().encode(data) : data);
  } catch (err) {
    f.abort();
    throw err;
  }
  f.commit();
}

/**
 * A file written atomically in pieces (a streamed write): `write` appends to a
 * temporary file beside `path`; `commit` fsyncs it, renames it over `path`
 * and fsyncs the directory; `abort` deletes it. Creates parent dirs.
 */
export function openAtomic(path: string): {
  write(bytes: Uint8Array): void;
  commit(): void;
  abort(): void;
} {
  const { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } =
    nodeBuiltin("fs");
  const dir = nodeBuiltin("path").dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, "w", 0o644);
  let open = true;
  const abort = () => {
    if (open) closeSync(fd);
    open = false;
    rmSync(tmp, { force: true });
  };
  return {
    write(bytes) {
      let off = 0;
      while (off < bytes.byteLength) off += writeSync(fd, bytes, off, bytes.byteLength - off);
    },
    commit() {
      try {
        fsyncSync(fd);
        closeSync(fd);
        open = false;
        renameSync(tmp, path);
      } catch (err) {
        abort();
        throw err;
      }
      fsyncDir(dir);
    },
    abort,
  };
}

/** Writes `obj` as pretty JSON (2-space indent, trailing newline) atomically. */
export function writeJsonAtomic(path: string, obj: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(obj, null, 2)}\n`);
}
