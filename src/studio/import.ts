/**
 * Candidates into the studio from JSONL.
 *   task "pairs": TRL preference rows ({"prompt", "chosen", "rejected"}, the
 *     implicit-prompt shape too) or image-pair rows whose "chosen"/"rejected"
 *     are PNG paths. Both candidates are labeled afresh (shown in random
 *     order); the file's own choice is kept as the "judge" answer, so people's
 *     agreement with it (an AI judge's, or the dataset's) can be measured.
 *   task "eval": {"prompt", "a", "b"} with a = model A's output and b = model
 *     B's (text or PNG paths), and optionally "judge": {question: "a"|"b"|"tie"}.
 * PNG paths are relative to the JSONL file's folder; each image is checked to
 * be a readable PNG and copied, content-addressed, into <data>/images/.
 * Errors name the file, line and field.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { expectObject, parseJsonl } from "../data/jsonl.js";
import { normalisePreferenceRow } from "../data/preference-data.js";
import { writeFileAtomic } from "../engine/atomic.js";
import { UserError, where } from "../engine/errors.js";
import { decodeGrayPng } from "../engine/png.js";
import { resolveInside } from "./safe-path.js";
import type { Answer, Media, NewItem, Store, Task } from "./store.js";

export type ImportOptions = {
  task: Task;
  /** names shown in results (eval only) */
  modelA?: string;
  modelB?: string;
  /** folder that relative PNG paths start from */
  baseDir: string;
  /** when set, PNG paths must resolve inside this folder (requests from the web app) */
  confineTo?: string;
};

const PNG_PATH = /^[^\n\r]+\.png$/i;
export const IMAGE_NAME = /^[0-9a-f]{64}\.png$/;

function isImagePath(v: unknown): v is string {
  return typeof v === "string" && PNG_PATH.test(v);
}

/** Copies a PNG into <data>/images/<sha256>.png (once) and returns that file name. */
function storeImage(dataDir: string, path: string, at: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UserError(
      `${at}: cannot read image ${path} (${(e as NodeJS.ErrnoException).code ?? e})`,
    );
  }
  decodeGrayPng(bytes, `${at}: ${path}`); // throws on a file that is not a PNG
  const name = `${createHash("sha256").update(bytes).digest("hex")}.png`;
  const dir = join(dataDir, "images");
  mkdirSync(dir, { recursive: true });
  const dest = join(dir, name);
  if (!existsSync(dest)) writeFileAtomic(dest, bytes);
  return name;
}

function imagePath(v: string, opts: ImportOptions, at: string): string {
  const p = isAbsolute(v) ? v : resolve(opts.baseDir, v);
  // from the web app: the image must lie inside the data directory
  return opts.confineTo
    ? resolveInside(opts.confineTo, relative(resolve(opts.confineTo), p), at)
    : p;
}

function parseJudge(v: unknown, file: string, line: number): Record<string, Answer> | undefined {
  if (v === undefined || v === null) return undefined;
  const o = expectObject(v, file, line, '{"question": "a" | "b" | "tie"}');
  const out: Record<string, Answer> = {};
  for (const [k, a] of Object.entries(o)) {
    if (a !== "a" && a !== "b" && a !== "tie") {
      throw new UserError(
        `${where(file, line, `judge.${k}`)}: expected "a", "b" or "tie", got ${JSON.stringify(a)}`,
      );
    }
    out[k] = a;
  }
  return out;
}

/** Parses JSONL `text` (named `file` in errors) into items for `opts.task`, copying images into `dataDir`. */
export function parseItems(
  text: string,
  file: string,
  dataDir: string,
  opts: ImportOptions,
): NewItem[] {
  const what =
    opts.task === "pairs"
      ? '{"prompt", "chosen", "rejected"} per line (text, or PNG paths)'
      : '{"prompt", "a", "b"} per line (text, or PNG paths)';
  const out: NewItem[] = [];
  for (const { value, line } of parseJsonl(text, file, what)) {
    const o = expectObject(value, file, line, what);
    const [fa, fb] = opts.task === "pairs" ? ["chosen", "rejected"] : ["a", "b"];
    let media: Media = "text";
    let prompt: string;
    let a: string;
    let b: string;
    if (isImagePath(o[fa]) && isImagePath(o[fb])) {
      media = "image";
      if (typeof o.prompt !== "string") {
        throw new UserError(
          `${where(file, line, "prompt")}: expected a string (the image pair's caption), got ${JSON.stringify(o.prompt)}`,
        );
      }
      prompt = o.prompt;
      a = storeImage(
        dataDir,
        imagePath(o[fa] as string, opts, where(file, line, fa)),
        where(file, line, fa),
      );
      b = storeImage(
        dataDir,
        imagePath(o[fb] as string, opts, where(file, line, fb)),
        where(file, line, fb),
      );
      if (a === b) {
        throw new UserError(
          `${where(file, line, fb)}: the same image as "${fa}"; a pair needs two`,
        );
      }
    } else if (opts.task === "pairs") {
      const ex = normalisePreferenceRow(o, file, line);
      prompt = ex.prompt;
      a = ex.chosen;
      b = ex.rejected;
    } else {
      for (const f of ["prompt", "a", "b"]) {
        if (typeof o[f] !== "string") {
          throw new UserError(
            `${where(file, line, f)}: expected a string, got ${JSON.stringify(o[f])}; rows are ${what}`,
          );
        }
      }
      prompt = o.prompt as string;
      a = o.a as string;
      b = o.b as string;
      if (a === b) throw new UserError(`${where(file, line, "b")}: identical to "a"`);
    }
    const item: NewItem = { task: opts.task, media, prompt, a, b, source: file, line };
    if (opts.task === "pairs") item.judge = { preference: "a" };
    else {
      item.modelA = opts.modelA ?? "A";
      item.modelB = opts.modelB ?? "B";
      const judge = parseJudge(o.judge, file, line);
      if (judge) item.judge = judge;
    }
    out.push(item);
  }
  return out;
}

/** Imports JSONL text into the store; returns how many items were new. */
export function importJsonl(
  store: Store,
  text: string,
  file: string,
  opts: ImportOptions,
): { added: number; existing: number } {
  return store.addItems(parseItems(text, file, store.dataDir, opts));
}
