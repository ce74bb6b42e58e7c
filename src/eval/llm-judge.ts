/**
 * An LLM judge over any OpenAI-compatible chat-completions endpoint, with the
 * DPO paper's pairwise prompt (Rafailov et al. 2023, appendix C.2). Each
 * comparison is asked in both orders to cancel position bias: A wins outright
 * only when it is picked in both, a split verdict is a tie (0.5). Requests
 * time out, and failures (network errors, 429, 5xx, unparseable answers) are
 * retried with exponential back-off; the API key comes from the environment.
 */
import { UserError } from "../engine/errors.js";
import type { Comparison, Judge } from "./judges.js";

export type LLMJudgeOptions = {
  /** base URL (…/v1) or the full …/chat/completions URL */
  url: string;
  model: string;
  /** environment variable holding the API key (default OPENAI_API_KEY; none sent if unset) */
  apiKeyEnv?: string;
  /** what "better" means, e.g. "more helpful" or "more positive" (default "more helpful") */
  criterion?: string;
  timeoutMs?: number;
  retries?: number;
  /** first back-off in ms, doubled per retry */
  backoffMs?: number;
  /** comparisons in flight at once */
  concurrency?: number;
};

/** The DPO paper's pairwise judging prompt (its dialogue prompt, criterion configurable). */
export function pairwisePrompt(
  query: string,
  a: string,
  b: string,
  criterion = "more helpful",
): string {
  return [
    `For the following query to a chatbot, which response is ${criterion}?`,
    "",
    `Query: ${query}`,
    "",
    `Response A: ${a}`,
    "",
    `Response B: ${b}`,
    "",
    `FIRST provide a one-sentence comparison of the two responses and explain which you feel is ${criterion}. ` +
      `SECOND, on a new line, state only "A" or "B" to indicate which response is ${criterion}. ` +
      "Your response should use the format:",
    "Comparison: <one-sentence comparison and explanation>",
    `${capitalise(criterion)}: <"A" or "B">`,
  ].join("\n");
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The verdict letter of a judge's answer (the last line naming A or B), or null. */
export function parseVerdict(text: string): "A" | "B" | null {
  const lines = text.trim().split(/\n/).reverse();
  for (const line of lines) {
    const m =
      /:\s*\**\s*"?([AB])"?\s*\**\s*\.?\s*$/.exec(line) ?? /^\s*"?([AB])"?\s*\.?\s*$/.exec(line);
    if (m) return m[1] as "A" | "B";
  }
  return null;
}

function endpoint(url: string): string {
  const u = url.replace(/\/+$/, "");
  return u.endsWith("/chat/completions") ? u : `${u}/chat/completions`;
}

class RetryableError extends Error {}

/** A message part of a multimodal chat request (OpenAI's vision format). */
export type ChatContentPart =
  | { type: "text"; text: string }
  | { type: "image_url"; image_url: { url: string } };

/** One chat completion with timeout and retries; returns the message content (text or text and images). */
export async function chatCompletion(
  o: LLMJudgeOptions,
  content: string | ChatContentPart[],
): Promise<string> {
  const url = endpoint(o.url);
  const keyEnv = o.apiKeyEnv ?? "OPENAI_API_KEY";
  const key = process.env[keyEnv];
  const retries = o.retries ?? 3;
  let wait = o.backoffMs ?? 500;
  let lastErr: unknown;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) {
      await new Promise((r) => setTimeout(r, wait));
      wait *= 2;
    }
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), o.timeoutMs ?? 30_000);
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
        body: JSON.stringify({
          model: o.model,
          messages: [{ role: "user", content }],
          temperature: 0,
          max_tokens: 200,
        }),
        signal: ctl.signal,
      });
      if (res.status === 429 || res.status >= 500) {
        throw new RetryableError(`HTTP ${res.status}`);
      }
      if (!res.ok) {
        const body = (await res.text()).slice(0, 200);
        throw new UserError(
          `${url}: HTTP ${res.status} (${body}); check --judge-url, --judge-model and $${keyEnv}`,
        );
      }
      const j = (await res.json()) as { choices?: { message?: { content?: string } }[] };
      const text = j.choices?.[0]?.message?.content;
      if (typeof text !== "string")
        throw new RetryableError("response has no choices[0].message.content");
      return text;
    } catch (err) {
      if (err instanceof UserError) throw err;
      lastErr =
        (err as Error).name === "AbortError"
          ? new Error(`timed out after ${o.timeoutMs ?? 30_000} ms`)
          : err;
    } finally {
      clearTimeout(timer);
    }
  }
  throw new UserError(
    `${url}: judge failed after ${retries + 1} attempts: ${(lastErr as Error)?.message ?? lastErr}`,
  );
}

/** Asks for a verdict, retrying (as a failed request) when the answer names neither A nor B. */
async function verdict(
  o: LLMJudgeOptions,
  q: string,
  a: string,
  b: string,
): Promise<"A" | "B" | null> {
  const tries = (o.retries ?? 3) + 1;
  for (let i = 0; i < tries; i++) {
    const v = parseVerdict(await chatCompletion(o, pairwisePrompt(q, a, b, o.criterion)));
    if (v) return v;
  }
  return null;
}

/** The LLM judge: both orders per comparison; A wins only if picked both times. */
export function llmJudge(o: LLMJudgeOptions): Judge {
  if (!o.url) throw new UserError("--judge-url: required for the llm judge");
  if (!o.model) throw new UserError("--judge-model: required for the llm judge");
  return {
    name: `llm:${o.model}`,
    async compare(items: Comparison[]) {
      const out = new Array<number>(items.length);
      let next = 0;
      const worker = async () => {
        while (next < items.length) {
          const i = next++;
          const x = items[i];
          const first = await verdict(o, x.prompt, x.a, x.b);
          const second = await verdict(o, x.prompt, x.b, x.a);
          // A wins outright only when chosen in both orders; a split (or no verdict) is a tie
          const aBoth = first === "A" && second === "B";
          const bBoth = first === "B" && second === "A";
          out[i] = aBoth ? 1 : bBoth ? 0 : 0.5;
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 4) }, worker));
      return out;
    },
  };
}
