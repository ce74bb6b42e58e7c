/**
 * Candidates generated from models, for the studio:
 *   task "pairs": two samples per prompt from one model, to label;
 *   task "eval":  one sample per prompt from model A and one from model B
 *                 (same seed per prompt), to compare blinded.
 * Runs in its own process (`prefopt studio generate`, started by the app in
 * the background), prints "generated i/n" as it goes, and adds the items to
 * the store as each prompt is done, so the app can label them at once.
 */

import { UserError } from "../engine/errors.js";
import { initEngine } from "../engine/init.js";
import { defaultModelDir } from "../models/default-model.js";
import { CausalLM } from "../models/lm/causal-lm.js";
import type { NewItem, Store, Task } from "./store.js";

export type GenerateRequest = {
  task: Task;
  prompts: string[];
  /** pairs: the model sampled; eval: model A (default: the bundled text model) */
  modelA?: string;
  /** eval: model B (default: the bundled text model) */
  modelB?: string;
  nameA?: string;
  nameB?: string;
  maxNewTokens: number;
  temperature: number;
  seed: number;
};

/** The distinct prompts of the pairs imported for labeling, in import order. */
export function labeledPrompts(store: Store): string[] {
  return [...new Set(store.items("pairs").map((i) => i.prompt))];
}

/** Generates the candidates of `req` and adds them to `store` prompt by prompt; returns items added. */
export async function generateCandidates(
  store: Store,
  req: GenerateRequest,
  onProgress: (done: number, total: number) => void = () => {},
): Promise<number> {
  if (req.prompts.length === 0) throw new UserError("no prompts to generate from");
  await initEngine();
  const a = await CausalLM.load(req.modelA ?? defaultModelDir("text"));
  const b = req.task === "eval" ? await CausalLM.load(req.modelB ?? defaultModelDir("text")) : a;
  const opts = { maxNewTokens: req.maxNewTokens, temperature: req.temperature };
  let added = 0;
  try {
    for (let i = 0; i < req.prompts.length; i++) {
      const prompt = req.prompts[i];
      const seed = req.seed + i;
      let ca: string;
      let cb: string;
      if (req.task === "pairs") {
        [ca, cb] = await a.generateMany(prompt, { ...opts, n: 2, seed });
      } else {
        ca = await a.generate(prompt, { ...opts, seed });
        cb = await b.generate(prompt, { ...opts, seed });
      }
      if (ca !== cb) {
        const item: NewItem = {
          task: req.task,
          media: "text",
          prompt,
          a: ca,
          b: cb,
          source: "generated",
        };
        if (req.task === "eval") {
          item.modelA = req.nameA ?? "A";
          item.modelB = req.nameB ?? "B";
        }
        added += store.addItems([item]).added;
      }
      onProgress(i + 1, req.prompts.length);
    }
  } finally {
    a.dispose();
    if (b !== a) b.dispose();
  }
  return added;
}
