/**
 * Supervised fine-tuning data in TRL's JSONL formats, one example a line:
 * - standard prompt-completion: {"prompt": str, "completion": str}
 * - conversational: {"messages": [{role, content}, ...]} (the last message
 *   must be the assistant's: it is the completion, the rest the prompt)
 * - conversational prompt-completion: {"prompt": [messages], "completion": [messages]}
 * Conversations go through the model's chat template; the loss is on the
 * completion tokens only (TRL's completion_only_loss).
 */
import { UserError } from "../engine/errors.js";
import { HostRng } from "../engine/random.js";
import { afinnScore } from "./afinn.js";
import { readJsonl } from "./jsonl.js";
import { reviewSentence } from "./movie-reviews.js";

export type ChatMessage = { role: string; content: string };
export type SFTExample =
  | { prompt: string; completion: string }
  | { messages: ChatMessage[] }
  | { prompt: ChatMessage[]; completion: ChatMessage[] };

/** What tokenising SFT data needs from a tokenizer. */
export type SFTTokenizer = {
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  applyChatTemplate(messages: ChatMessage[], opts?: { addGenerationPrompt?: boolean }): string;
  eosTokenId: number | undefined;
};

function isMessages(v: unknown): v is ChatMessage[] {
  return (
    Array.isArray(v) &&
    v.length > 0 &&
    v.every(
      (m) =>
        m !== null &&
        typeof m === "object" &&
        typeof (m as ChatMessage).role === "string" &&
        typeof (m as ChatMessage).content === "string",
    )
  );
}

/** Validates one parsed JSONL row; `at` is "file:line" for errors. */
export function parseSFTRow(row: unknown, at: string): SFTExample {
  if (row === null || typeof row !== "object" || Array.isArray(row)) {
    throw new UserError(`${at}: expected a JSON object with "prompt"/"completion" or "messages"`);
  }
  const r = row as Record<string, unknown>;
  if ("messages" in r) {
    if (!isMessages(r.messages)) {
      throw new UserError(
        `${at}: field "messages": expected a non-empty list of {role, content} strings`,
      );
    }
    const last = r.messages[r.messages.length - 1];
    if (last.role !== "assistant") {
      throw new UserError(
        `${at}: field "messages": the last message must have role "assistant", got "${last.role}"`,
      );
    }
    return { messages: r.messages };
  }
  if (!("prompt" in r)) throw new UserError(`${at}: field "prompt": missing (or give "messages")`);
  if (!("completion" in r)) {
    throw new UserError(
      `${at}: field "completion": missing; expected a string (or a list of messages) beside "prompt"`,
    );
  }
  if (typeof r.prompt === "string") {
    if (typeof r.completion !== "string") {
      throw new UserError(`${at}: field "completion": expected a string like "prompt"`);
    }
    return { prompt: r.prompt, completion: r.completion };
  }
  if (!isMessages(r.prompt))
    throw new UserError(`${at}: field "prompt": expected a string or a list of messages`);
  if (!isMessages(r.completion)) {
    throw new UserError(
      `${at}: field "completion": expected a list of {role, content} messages like "prompt"`,
    );
  }
  return { prompt: r.prompt, completion: r.completion };
}

/** Reads a TRL SFT JSONL file (BOM, CRLF and blank lines accepted); errors name file and line. */
export function loadSFTJsonl(path: string): SFTExample[] {
  return readJsonl(path, '{"prompt", "completion"} or {"messages"} per line').map(
    ({ value, line }) => parseSFTRow(value, `${path}:${line}`),
  );
}

/**
 * Prompt and completion ids of an example: the prompt encoded with the
 * tokenizer's special tokens (BOS), the completion without them plus EOS.
 * Conversations: prompt = template(prompt messages, add_generation_prompt),
 * completion = the rest of template(all messages).
 */
export function tokenizeSFT(
  ex: SFTExample,
  tok: SFTTokenizer,
): { prompt: number[]; completion: number[] } {
  let prompt: string;
  let completion: string;
  if ("messages" in ex) {
    const history = ex.messages.slice(0, -1);
    prompt = tok.applyChatTemplate(history, { addGenerationPrompt: true });
    const full = tok.applyChatTemplate(ex.messages);
    completion = full.startsWith(prompt)
      ? full.slice(prompt.length)
      : ex.messages[ex.messages.length - 1].content;
  } else if (typeof ex.prompt === "string") {
    prompt = ex.prompt;
    completion = ex.completion as string;
  } else {
    const msgs = ex.completion as ChatMessage[];
    prompt = tok.applyChatTemplate(ex.prompt, { addGenerationPrompt: true });
    const full = tok.applyChatTemplate([...ex.prompt, ...msgs]);
    completion = full.startsWith(prompt)
      ? full.slice(prompt.length)
      : msgs.map((m) => m.content).join("\n");
  }
  const c = tok.encode(completion, { addSpecialTokens: false });
  if (tok.eosTokenId !== undefined) c.push(tok.eosTokenId);
  return { prompt: tok.encode(prompt), completion: c };
}

/**
 * The built-in SFT set of the text world (preferred-FT): positive reviews
 * (AFINN score > 0), prompt = the sentence's first `words` words, completion
 * = the rest (with its leading space).
 */
export function positiveReviewSFT(n: number, seed = 7, words = 2): SFTExample[] {
  const rng = new HostRng(seed);
  const out: SFTExample[] = [];
  while (out.length < n) {
    const s = reviewSentence(rng);
    if (afinnScore(s) <= 0) continue;
    const parts = s.split(" ");
    out.push({
      prompt: parts.slice(0, words).join(" "),
      completion: ` ${parts.slice(words).join(" ")}`,
    });
  }
  return out;
}
