/**
 * Chat templates: the Jinja template of `tokenizer_config.json`
 * (`chat_template`) rendered with @huggingface/jinja, with the variables
 * transformers passes (messages, add_generation_prompt, bos/eos tokens;
 * raise_exception is built into the renderer).
 */
import { Template } from "@huggingface/jinja";
import { UserError } from "../../engine/errors.js";

export type ChatMessage = { role: string; content: string };

/** A minimal role-prefixed template for models that ship none. */
export const DEFAULT_CHAT_TEMPLATE =
  "{% for message in messages %}{{ message['role'] + ': ' + message['content'] + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ 'assistant: ' }}{% endif %}";

/** Renders `template` over `messages`; template errors become UserError naming `source`. */
export function renderChatTemplate(
  template: string,
  messages: ChatMessage[],
  opts: {
    addGenerationPrompt?: boolean;
    bosToken?: string;
    eosToken?: string;
    source?: string;
  } = {},
): string {
  let t: Template;
  try {
    t = new Template(template);
  } catch (err) {
    throw new UserError(
      `${opts.source ?? "chat_template"}: cannot parse chat template: ${(err as Error).message}`,
    );
  }
  try {
    return t.render({
      messages,
      add_generation_prompt: opts.addGenerationPrompt ?? false,
      bos_token: opts.bosToken ?? "",
      eos_token: opts.eosToken ?? "",
    });
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(
      `${opts.source ?? "chat_template"}: cannot render chat template: ${(err as Error).message}`,
    );
  }
}
