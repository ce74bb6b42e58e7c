/**
 * Ranked preference data for listwise (Plackett–Luce) DPO, JSONL with one
 * ranking per line, answers best first:
 *   {"prompt": str, "chosen": str, "rejected": [str, str, …]}
 * chosen is ranked first, then rejected[0], rejected[1], …; every row holds the
 * same number K of answers. An answer may be empty (the model stopped at
 * once) or repeat another: rankings of sampled answers do both. A TRL pair row (rejected a string, any of the
 * four TRL shapes) is a ranking of two. For training, a ranking becomes K−1
 * consecutive pairs (chosen, rejected[k]) on the DPO task's prefix-shared
 * packed batch; the objective reshapes their log-probs to [N, K]
 * (src/pipelines/dpo-family.ts).
 */
import { UserError, where } from "../engine/errors.js";
import { parseJsonl, readTextFile } from "./jsonl.js";
import {
  normalisePreferenceRow,
  type PreferenceExample,
  type PreferenceLoadOptions,
} from "./preference-data.js";

const LISTWISE_SHAPE = '{"prompt", "chosen", "rejected": [answers ranked best first]}';
const LISTWISE_ROW = `${LISTWISE_SHAPE} per line`;

/** One prompt's answers ranked best first: chosen, then rejected[0], rejected[1], … */
export type RankedExample = { prompt: string; chosen: string; rejected: string[] };

/** Validates one parsed row (1-based `line`): a listwise row, or a TRL pair row as a ranking of two. */
export function normaliseListwiseRow(
  row: unknown,
  file: string,
  line: number,
  opts: PreferenceLoadOptions = {},
): RankedExample {
  const o = row as Record<string, unknown> | null;
  const list = o !== null && typeof o === "object" && !Array.isArray(o) ? o.rejected : undefined;
  const listwise = Array.isArray(list) && !list.some((x) => x !== null && typeof x === "object");
  if (!listwise || o === null) {
    const p = normalisePreferenceRow(row, file, line, opts);
    return { prompt: p.prompt, chosen: p.chosen, rejected: [p.rejected] };
  }
  if (typeof o.prompt !== "string") {
    throw new UserError(
      `${where(file, line, "prompt")}: ${o.prompt === undefined ? "missing" : `expected a string, got ${JSON.stringify(o.prompt)}`}; a listwise row is ${LISTWISE_SHAPE}`,
    );
  }
  if (typeof o.chosen !== "string") {
    throw new UserError(
      `${where(file, line, "chosen")}: expected a string (the best answer), got ${JSON.stringify(o.chosen)}`,
    );
  }
  const rejected = list as unknown[];
  if (rejected.length === 0) {
    throw new UserError(
      `${where(file, line, "rejected")}: empty list; a ranking needs at least one answer below "chosen"`,
    );
  }
  rejected.forEach((x, k) => {
    if (typeof x !== "string") {
      throw new UserError(
        `${where(file, line, `rejected[${k}]`)}: expected a string (an answer), got ${JSON.stringify(x)}`,
      );
    }
  });
  return { prompt: o.prompt, chosen: o.chosen, rejected: rejected as string[] };
}

/** Parses listwise JSONL text; every row must rank the same number of answers. */
export function parseListwiseJsonl(
  text: string,
  file: string,
  opts: PreferenceLoadOptions = {},
): RankedExample[] {
  const out: RankedExample[] = [];
  let first = 0;
  for (const { value, line } of parseJsonl(text, file, LISTWISE_ROW)) {
    const r = normaliseListwiseRow(value, file, line, opts);
    if (out.length === 0) first = line;
    else if (r.rejected.length !== out[0].rejected.length) {
      throw new UserError(
        `${where(file, line, "rejected")}: ${r.rejected.length} rejected answers where line ${first} has ${out[0].rejected.length}; listwise DPO needs the same number on every row`,
      );
    }
    out.push(r);
  }
  return out;
}

/** Reads and validates a listwise JSONL file. */
export function loadListwiseJsonl(path: string, opts: PreferenceLoadOptions = {}): RankedExample[] {
  return parseListwiseJsonl(readTextFile(path, "JSONL file"), path, opts);
}

/** Writes rankings as listwise JSONL text. */
export function listwiseJsonl(rankings: RankedExample[]): string {
  return rankings
    .map((r) => JSON.stringify({ prompt: r.prompt, chosen: r.chosen, rejected: r.rejected }))
    .join("\n")
    .concat("\n");
}

/**
 * The pairs a ranking of K answers trains as: (chosen, rejected[k]) for
 * k = 0 … K−2, consecutive, so pair i·(K−1)+k is ranking i's k-th.
 * `listSize` is K (2 for no rankings).
 */
export function rankedPairs(rankings: RankedExample[]): {
  pairs: PreferenceExample[];
  listSize: number;
} {
  const listSize = rankings.length > 0 ? rankings[0].rejected.length + 1 : 2;
  const pairs = rankings.flatMap((r) =>
    r.rejected.map((rejected) => ({ prompt: r.prompt, chosen: r.chosen, rejected })),
  );
  return { pairs, listSize };
}
