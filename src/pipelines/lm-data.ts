/** Glue between a model's tokenizer and the preference-data loaders. */
import type { ChatTemplate } from "../data/preference-data.js";
import type { LMTokenizer } from "../models/lm/tokenizer.js";

/** The tokenizer's chat template as the loaders' renderer. */
export function chatTemplateOf(tok: LMTokenizer): ChatTemplate {
  return (messages, opts) =>
    tok.applyChatTemplate(messages, { addGenerationPrompt: opts.addGenerationPrompt });
}
