/**
 * An image judge over any OpenAI-compatible vision chat endpoint: the prompt,
 * one of the three questions (or any wording) and both images as base64 PNG
 * data URLs (upscaled, nearest neighbour, so a 28×28 digit is legible). Each
 * comparison is asked in both orders to cancel position bias; the model may
 * answer "A", "B" or "tie". A wins only when picked in both orders, B
 * likewise; a split or a tie is 0.5. Transport (timeouts, retries, the API
 * key from the environment) is `chatCompletion` of llm-judge.ts.
 */
import { UserError } from "../engine/errors.js";
import { encodeGrayPng } from "../engine/png.js";
import { imageGrid } from "../report/image-grid.js";
import type { ImageComparison, ImageJudge, Question } from "./image-judge.js";
import { QUESTION_TEXT } from "./image-judge.js";
import { type ChatContentPart, chatCompletion, type LLMJudgeOptions } from "./llm-judge.js";

export type VisionJudgeOptions = Omit<LLMJudgeOptions, "criterion"> & {
  /** one of the three questions (default "general") */
  question?: Question;
  /** the question's wording, replacing the built-in one */
  questionText?: string;
  /** upscaling factor of the images sent (default 8: 28×28 → 224×224) */
  scale?: number;
};

/** A data URL "data:image/png;base64,…" of a square grayscale image in [0, 1], upscaled. */
export function imageDataUrl(pixels: Float32Array, scale = 8): string {
  const size = Math.round(Math.sqrt(pixels.length));
  const g = imageGrid(pixels, 1, size, size, { pad: 0, scale });
  return `data:image/png;base64,${encodeGrayPng(g.pixels, g.width, g.height).toString("base64")}`;
}

/** The request's content parts: instructions, then image A and image B. */
export function visionJudgeContent(
  prompt: string,
  a: string,
  b: string,
  question: string,
): ChatContentPart[] {
  return [
    {
      type: "text",
      text: [
        `Two images were generated for the prompt: "${prompt}".`,
        question,
        'FIRST give a one-sentence comparison. SECOND, on a new line, answer only "A", "B" or "tie" in the format:',
        'Verdict: <"A", "B" or "tie">',
      ].join("\n"),
    },
    { type: "text", text: "Image A:" },
    { type: "image_url", image_url: { url: a } },
    { type: "text", text: "Image B:" },
    { type: "image_url", image_url: { url: b } },
  ];
}

/** The verdict of an answer: its last line naming A, B or a tie, or null. */
export function parseImageVerdict(text: string): "A" | "B" | "tie" | null {
  for (const line of text.trim().split(/\n/).reverse()) {
    const m =
      /:\s*\**\s*"?(A|B|tie)"?\s*\**\s*\.?\s*$/i.exec(line) ??
      /^\s*"?(A|B|tie)"?\s*\.?\s*$/i.exec(line);
    if (m) {
      const v = m[1].toLowerCase();
      return v === "tie" ? "tie" : (v.toUpperCase() as "A" | "B");
    }
  }
  return null;
}

/** The vision judge (see the module doc). */
export function visionJudge(o: VisionJudgeOptions): ImageJudge {
  if (!o.url) throw new UserError("--judge-url: required for the vision judge");
  if (!o.model) throw new UserError("--judge-model: required for the vision judge");
  const question = o.questionText ?? QUESTION_TEXT[o.question ?? "general"];
  const ask = async (prompt: string, a: string, b: string) => {
    const tries = (o.retries ?? 3) + 1;
    for (let i = 0; i < tries; i++) {
      const v = parseImageVerdict(
        await chatCompletion(o, visionJudgeContent(prompt, a, b, question)),
      );
      if (v) return v;
    }
    return null;
  };
  return {
    name: `vision:${o.model}:${o.question ?? "custom"}`,
    async compare(items: ImageComparison[]) {
      const out = new Array<number>(items.length);
      let next = 0;
      const worker = async () => {
        while (next < items.length) {
          const i = next++;
          const x = items[i];
          const ua = imageDataUrl(x.a, o.scale);
          const ub = imageDataUrl(x.b, o.scale);
          const first = await ask(x.prompt, ua, ub);
          const second = await ask(x.prompt, ub, ua);
          out[i] = first === "A" && second === "B" ? 1 : first === "B" && second === "A" ? 0 : 0.5;
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 4) }, worker));
      return out;
    },
  };
}
