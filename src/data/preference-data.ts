/**
 * TRL preference datasets from JSONL, validated up front. One object per line
 * in any of TRL's four shapes:
 *   standard explicit       {"prompt": str, "chosen": str, "rejected": str}
 *   standard implicit       {"chosen": str, "rejected": str}   (prompt = shared prefix)
 *   conversational explicit {"prompt": [msg…], "chosen": [msg…], "rejected": [msg…]}
 *   conversational implicit {"chosen": [msg…], "rejected": [msg…]} (prompt = shared messages)
 * with msg = {"role": str, "content": str} and an optional numeric "margin"
 * (used by the reward model's −log σ(r_w − r_l − margin)). Conversational rows
 * are rendered with the model's chat template as TRL's maybe_apply_chat_template
 * does: prompt = template(prompt, add_generation_prompt), completion =
 * template(prompt + completion) with the rendered prompt stripped from its front.
 */
import { UserError, where } from "../engine/errors.js";
import { parseJsonl, readTextFile } from "./jsonl.js";

const PREFERENCE_ROW = '{"prompt", "chosen", "rejected"} per line';

export type ChatMessage = { role: string; content: string };

/** Renders messages to text (the model's chat template). */
export type ChatTemplate = (
  messages: ChatMessage[],
  opts: { addGenerationPrompt: boolean },
) => string;

export type PreferenceExample = {
  prompt: string;
  chosen: string;
  rejected: string;
  /** per-pair margin (TRL's `margin` column) */
  margin?: number;
};

export type PreferenceLoadOptions = {
  /** needed when the file holds conversational rows */
  chatTemplate?: ChatTemplate;
};

/**
 * Longest shared prefix of two strings, backed off to the last whitespace so
 * that both completions start at a word (TRL's extract_prompt keeps the space
 * with the completion).
 */
export function sharedPrefix(a: string, b: string): string {
  let i = 0;
  const n = Math.min(a.length, b.length);
  while (i < n && a[i] === b[i]) i++;
  if (i === n && a.length === b.length) return a;
  let j = i;
  while (j > 0 && !/\s/.test(a[j - 1]) && !(j < a.length && /\s/.test(a[j]))) j--;
  // keep the whitespace with the completion
  while (j > 0 && /\s/.test(a[j - 1])) j--;
  return a.slice(0, j);
}

function isMessageList(v: unknown): v is unknown[] {
  return Array.isArray(v);
}

function checkMessages(v: unknown[], file: string, line: number, field: string): ChatMessage[] {
  return v.map((m, k) => {
    const f = `${field}[${k}]`;
    if (m === null || typeof m !== "object" || Array.isArray(m)) {
      throw new UserError(
        `${where(file, line, f)}: expected a message {"role": string, "content": string}, got ${JSON.stringify(m)}`,
      );
    }
    const o = m as Record<string, unknown>;
    if (typeof o.role !== "string" || o.role === "") {
      throw new UserError(
        `${where(file, line, `${f}.role`)}: expected a non-empty string, got ${JSON.stringify(o.role)}`,
      );
    }
    if (typeof o.content !== "string") {
      throw new UserError(
        `${where(file, line, `${f}.content`)}: expected a string, got ${JSON.stringify(o.content)}`,
      );
    }
    return { role: o.role, content: o.content };
  });
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sameMessage(a: ChatMessage, b: ChatMessage): boolean {
  return a.role === b.role && a.content === b.content;
}

/**
 * Validates and normalises one parsed row (1-based `line`), returning the
 * example with plain-text prompt and completions.
 */
export function normalisePreferenceRow(
  row: unknown,
  file: string,
  line: number,
  opts: PreferenceLoadOptions = {},
): PreferenceExample {
  if (row === null || typeof row !== "object" || Array.isArray(row)) {
    throw new UserError(
      `${where(file, line)}: expected a JSON object with "chosen" and "rejected", got ${JSON.stringify(row)?.slice(0, 60)}`,
    );
  }
  const o = row as Record<string, unknown>;
  for (const f of ["chosen", "rejected"]) {
    if (!(f in o)) {
      throw new UserError(
        `${where(file, line, f)}: missing; a preference row needs "chosen" and "rejected" (and optionally "prompt")`,
      );
    }
  }
  let margin: number | undefined;
  if (o.margin !== undefined && o.margin !== null) {
    if (typeof o.margin !== "number" || !Number.isFinite(o.margin)) {
      throw new UserError(
        `${where(file, line, "margin")}: expected a finite number, got ${typeof o.margin === "number" ? o.margin : JSON.stringify(o.margin)}`,
      );
    }
    margin = o.margin;
  }
  if (
    typeof o.chosen === "string" &&
    Array.isArray(o.rejected) &&
    o.rejected.every((x) => typeof x === "string")
  ) {
    throw new UserError(
      `${where(file, line, "rejected")}: a list of answers (a listwise row, ranked best first); train it with --loss-type listwise, or give one rejected string per pair`,
    );
  }
  const conversational = isMessageList(o.chosen) || isMessageList(o.rejected);
  let ex: PreferenceExample;
  if (!conversational) {
    for (const f of ["chosen", "rejected"]) {
      if (typeof o[f] !== "string") {
        throw new UserError(
          `${where(file, line, f)}: expected a string (or a list of messages), got ${JSON.stringify(o[f])}`,
        );
      }
    }
    let prompt: string;
    let chosen = o.chosen as string;
    let rejected = o.rejected as string;
    if (o.prompt === undefined || o.prompt === null) {
      prompt = sharedPrefix(chosen, rejected);
      chosen = chosen.slice(prompt.length);
      rejected = rejected.slice(prompt.length);
    } else if (typeof o.prompt === "string") {
      prompt = o.prompt;
    } else {
      throw new UserError(
        `${where(file, line, "prompt")}: expected a string like "chosen" and "rejected", got ${JSON.stringify(o.prompt)}`,
      );
    }
    ex = { prompt, chosen, rejected };
  } else {
    for (const f of ["chosen", "rejected"]) {
      if (!isMessageList(o[f])) {
        throw new UserError(
          `${where(file, line, f)}: expected a list of messages like the other completion, got ${JSON.stringify(o[f])}`,
        );
      }
    }
    let chosenM = checkMessages(o.chosen as unknown[], file, line, "chosen");
    let rejectedM = checkMessages(o.rejected as unknown[], file, line, "rejected");
    let promptM: ChatMessage[];
    if (o.prompt === undefined || o.prompt === null) {
      let k = 0;
      while (k < chosenM.length && k < rejectedM.length && sameMessage(chosenM[k], rejectedM[k]))
        k++;
      promptM = chosenM.slice(0, k);
      chosenM = chosenM.slice(k);
      rejectedM = rejectedM.slice(k);
    } else if (isMessageList(o.prompt)) {
      promptM = checkMessages(o.prompt, file, line, "prompt");
    } else {
      throw new UserError(
        `${where(file, line, "prompt")}: expected a list of messages like "chosen", got ${JSON.stringify(o.prompt)}`,
      );
    }
    if (chosenM.length === 0 || rejectedM.length === 0) {
      throw new UserError(
        `${where(file, line, chosenM.length === 0 ? "chosen" : "rejected")}: no messages after the shared prompt`,
      );
    }
    const tpl = opts.chatTemplate;
    if (!tpl) {
      throw new UserError(
        `${where(file, line, "chosen")}: conversational rows need a chat template, and the model has none (tokenizer_config.json "chat_template")`,
      );
    }
    const prompt = tpl(promptM, { addGenerationPrompt: true });
    const render = (c: ChatMessage[], f: string) => {
      const full = tpl([...promptM, ...c], { addGenerationPrompt: false });
      if (!full.startsWith(prompt)) {
        throw new UserError(
          `${where(file, line, f)}: the chat template renders prompt+completion without the rendered prompt as its prefix`,
        );
      }
      return full.slice(prompt.length);
    };
    ex = { prompt, chosen: render(chosenM, "chosen"), rejected: render(rejectedM, "rejected") };
  }
  if (conversational ? sameJson(o.chosen, o.rejected) : o.chosen === o.rejected) {
    throw new UserError(
      `${where(file, line, "rejected")}: identical to "chosen"; a preference pair needs two different completions`,
    );
  }
  if (ex.chosen.length === 0 || ex.rejected.length === 0) {
    const f = ex.chosen.length === 0 ? "chosen" : "rejected";
    throw new UserError(`${where(file, line, f)}: empty completion after removing the prompt`);
  }
  if (margin !== undefined) ex.margin = margin;
  return ex;
}

/** Parses JSONL text (BOM, CRLF and blank lines accepted); every error names `file`, the 1-based line and the field. */
export function parsePreferenceJsonl(
  text: string,
  file: string,
  opts: PreferenceLoadOptions = {},
): PreferenceExample[] {
  const out: PreferenceExample[] = [];
  let withMargin = 0;
  for (const { value, line } of parseJsonl(text, file, PREFERENCE_ROW)) {
    const ex = normalisePreferenceRow(value, file, line, opts);
    if (ex.margin !== undefined) withMargin++;
    out.push(ex);
  }
  if (withMargin > 0 && withMargin < out.length) {
    throw new UserError(
      `${file}: field "margin": present on ${withMargin} of ${out.length} rows; give it on every row or none`,
    );
  }
  return out;
}

/** Reads and validates a JSONL preference file. */
export function loadPreferenceJsonl(
  path: string,
  opts: PreferenceLoadOptions = {},
): PreferenceExample[] {
  return parsePreferenceJsonl(readTextFile(path, "JSONL file"), path, opts);
}

/** Writes examples as standard explicit TRL JSONL text. */
export function preferenceJsonl(examples: PreferenceExample[]): string {
  return examples
    .map((e) =>
      JSON.stringify(
        e.margin === undefined
          ? { prompt: e.prompt, chosen: e.chosen, rejected: e.rejected }
          : { prompt: e.prompt, chosen: e.chosen, rejected: e.rejected, margin: e.margin },
      ),
    )
    .join("\n")
    .concat("\n");
}

/**
 * `splitEval` over consecutive groups of `group` items (a ranking's pairs
 * stay together): group j goes to eval when j % k = k − 1.
 */
export function splitEvalGroups<T>(
  xs: T[],
  fraction: number,
  group: number,
): { train: T[]; eval: T[] } {
  const groups: T[][] = [];
  for (let i = 0; i < xs.length; i += group) groups.push(xs.slice(i, i + group));
  const s = splitEval(groups, fraction);
  return { train: s.train.flat(), eval: s.eval.flat() };
}

/** Deterministic split: every k-th example (k = round(1/fraction)) goes to eval. */
export function splitEval<T>(xs: T[], fraction: number): { train: T[]; eval: T[] } {
  if (fraction <= 0) return { train: xs, eval: [] };
  const k = Math.max(2, Math.round(1 / fraction));
  const train: T[] = [];
  const ev: T[] = [];
  xs.forEach((x, i) => {
    (i % k === k - 1 ? ev : train).push(x);
  });
  return { train, eval: ev };
}
