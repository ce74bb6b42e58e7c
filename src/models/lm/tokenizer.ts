/**
 * The tokenizer of a model directory: `tokenizer.json` (Hugging Face format;
 * byte-level BPE and the rest of what @huggingface/tokenizers reads) plus
 * `tokenizer_config.json` (special tokens, chat template).
 */
import { Tokenizer } from "@huggingface/tokenizers";
import { writeJsonAtomic } from "../../engine/atomic.js";
import { UserError } from "../../engine/errors.js";
import { nodeBuiltin } from "../../engine/node-builtins.js";
import { type ChatMessage, DEFAULT_CHAT_TEMPLATE, renderChatTemplate } from "./chat-template.js";

type Json = Record<string, unknown>;

// Node built-ins at call time, so the module also loads in a browser (engine/node-builtins.ts)
const join = (...parts: string[]) => nodeBuiltin("path").join(...parts);
const existsSync = (path: string) => nodeBuiltin("fs").existsSync(path);
const readFileSync = (path: string, enc: "utf8") => nodeBuiltin("fs").readFileSync(path, enc);

function readJson(path: string): Json {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new UserError(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? err})`);
  }
  try {
    return JSON.parse(text) as Json;
  } catch (err) {
    throw new UserError(`${path}: invalid JSON: ${(err as Error).message}`);
  }
}

function tokenContent(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (v && typeof v === "object" && typeof (v as Json).content === "string")
    return (v as Json).content as string;
  return undefined;
}

export class LMTokenizer {
  readonly json: Json;
  readonly config: Json;
  readonly source: string;
  #tok: Tokenizer;
  #vocabSize: number;

  constructor(tokenizerJson: Json, tokenizerConfig: Json = {}, source = "tokenizer.json") {
    this.json = tokenizerJson;
    this.config = tokenizerConfig;
    this.source = source;
    try {
      this.#tok = new Tokenizer(tokenizerJson, tokenizerConfig);
    } catch (err) {
      throw new UserError(`${source}: cannot build tokenizer: ${(err as Error).message}`);
    }
    let max = -1;
    for (const id of this.#tok.get_vocab(true).values()) max = Math.max(max, id);
    this.#vocabSize = max + 1;
  }

  /** Reads dir/tokenizer.json and (if present) dir/tokenizer_config.json. */
  static load(dir: string): LMTokenizer {
    const path = join(dir, "tokenizer.json");
    if (!existsSync(path)) throw new UserError(`${path}: missing (a tokenizer.json is required)`);
    const cfgPath = join(dir, "tokenizer_config.json");
    const cfg = existsSync(cfgPath) ? readJson(cfgPath) : {};
    return new LMTokenizer(readJson(path), cfg, path);
  }

  /** Writes tokenizer.json and tokenizer_config.json into `dir`. */
  save(dir: string): void {
    writeJsonAtomic(join(dir, "tokenizer.json"), this.json);
    writeJsonAtomic(join(dir, "tokenizer_config.json"), this.config);
  }

  /** Number of ids the tokenizer can produce (largest id + 1). */
  get vocabSize(): number {
    return this.#vocabSize;
  }

  /** Text → ids; special tokens of the post-processor (e.g. BOS) added unless told not to. */
  encode(text: string, opts: { addSpecialTokens?: boolean } = {}): number[] {
    return this.#tok.encode(text, { add_special_tokens: opts.addSpecialTokens ?? true }).ids;
  }

  /** Ids → text, dropping special tokens unless told not to. */
  decode(ids: number[], opts: { skipSpecialTokens?: boolean } = {}): string {
    return this.#tok.decode(ids, { skip_special_tokens: opts.skipSpecialTokens ?? true });
  }

  tokenToId(token: string): number | undefined {
    return this.#tok.token_to_id(token);
  }

  #special(key: string): number | undefined {
    const content = tokenContent(this.config[key]);
    return content === undefined ? undefined : this.#tok.token_to_id(content);
  }

  get eosTokenId(): number | undefined {
    return this.#special("eos_token");
  }
  get bosTokenId(): number | undefined {
    return this.#special("bos_token");
  }
  get padTokenId(): number | undefined {
    return this.#special("pad_token") ?? this.eosTokenId;
  }

  /** The chat template of tokenizer_config.json, or a plain role-prefixed default. */
  get chatTemplate(): string {
    const t = this.config.chat_template;
    if (typeof t === "string") return t;
    if (Array.isArray(t)) {
      const d = t.find((x) => (x as Json).name === "default") as Json | undefined;
      if (d && typeof d.template === "string") return d.template;
    }
    return DEFAULT_CHAT_TEMPLATE;
  }

  /** Renders a conversation to text with the model's chat template. */
  applyChatTemplate(messages: ChatMessage[], opts: { addGenerationPrompt?: boolean } = {}): string {
    return renderChatTemplate(this.chatTemplate, messages, {
      addGenerationPrompt: opts.addGenerationPrompt,
      bosToken: tokenContent(this.config.bos_token),
      eosToken: tokenContent(this.config.eos_token),
      source: this.source.replace(/tokenizer\.json$/, "tokenizer_config.json"),
    });
  }
}
