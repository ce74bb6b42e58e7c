/**
 * `CausalLM`: a model directory in Hugging Face layout as one object —
 * config, params pytree, tokenizer — with logits, generation and save.
 * The math lives in pure functions (forward.ts, logprobs.ts); this class only
 * holds the pieces together for users of the library.
 */
import { UserError } from "../../engine/errors.js";
import { initEngine } from "../../engine/init.js";
import { jit, numpy as np } from "../../engine/jax.js";
import { disposeTree, refTree } from "../../engine/pytree.js";
import { defaultModelDir } from "../default-model.js";
import type { LMConfig } from "./config.js";
import { forward } from "./forward.js";
import { type GenerateOptions, generateBatch } from "./generate.js";
import { loadPretrained, savePretrained } from "./hf.js";
import { fetchModelFiles, type ModelFiles, modelFromFiles } from "./model-files.js";
import type { LMParams } from "./params.js";
import { LMTokenizer } from "./tokenizer.js";

export class CausalLM {
  #logitsFn?: (p: LMParams, x: np.Array) => np.Array;
  constructor(
    readonly config: LMConfig,
    public params: LMParams,
    readonly tokenizer: LMTokenizer,
  ) {
    checkVocab(config, tokenizer);
  }

  /** Loads a model directory (default: the bundled text model). */
  static async load(dir: string = defaultModelDir("text")): Promise<CausalLM> {
    await initEngine();
    const tokenizer = LMTokenizer.load(dir);
    const { config, params } = loadPretrained(dir);
    try {
      return new CausalLM(config, params, tokenizer);
    } catch (err) {
      disposeTree(params);
      throw err;
    }
  }

  /**
   * Loads a model directory served over HTTP (a page's own files, a CDN, the
   * Hugging Face Hub's resolve URLs): config.json, model.safetensors,
   * tokenizer.json and tokenizer_config.json under `base`. Works in browsers.
   */
  static async fromUrl(base: string | URL, fetchFn?: typeof fetch): Promise<CausalLM> {
    return CausalLM.fromFiles(await fetchModelFiles(base, fetchFn));
  }

  /** From the contents of a model directory's files (e.g. fetched, or picked by a user). */
  static async fromFiles(files: ModelFiles): Promise<CausalLM> {
    await initEngine();
    const { config, params, tokenizer } = modelFromFiles(files);
    try {
      return new CausalLM(config, params, tokenizer);
    } catch (err) {
      disposeTree(params);
      throw err;
    }
  }

  /** Writes config.json, model.safetensors, generation_config.json and the tokenizer files. */
  async save(dir: string): Promise<void> {
    await savePretrained(dir, this.config, this.params);
    this.tokenizer.save(dir);
  }

  /** Logits of every position, row-major [ids.length × vocab] (row t predicts token t+1). */
  async logits(ids: number[]): Promise<Float32Array> {
    if (ids.length === 0) return new Float32Array(0);
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= this.config.vocabSize) {
        throw new UserError(
          `logits: token id ${id} is outside the vocabulary [0, ${this.config.vocabSize})`,
        );
      }
    }
    this.#checkLength(ids.length);
    // right-pad to a bucket of 16 so one compiled forward serves many lengths (causal: padding is invisible)
    let T = Math.ceil(ids.length / 16) * 16;
    if (this.config.modelType === "gpt2") T = Math.min(T, this.config.maxPositions);
    const padded = new Int32Array(T);
    padded.set(ids);
    this.#logitsFn ??= jit((p: LMParams, x: np.Array) => forward(this.config, p, x).logits);
    const logits = this.#logitsFn(
      refTree(this.params),
      np.array(padded, { shape: [1, T], dtype: np.int32 }),
    );
    const all = (await logits.data()) as Float32Array;
    return all.slice(0, ids.length * this.config.vocabSize);
  }

  #checkLength(n: number): void {
    if (this.config.modelType === "gpt2" && n > this.config.maxPositions) {
      throw new UserError(
        `${n} tokens exceed the model's context of ${this.config.maxPositions} positions (config.json n_positions)`,
      );
    }
  }

  /** Prompt ids as generation sees them: the tokenizer's encoding, or BOS alone for an empty prompt. */
  promptIds(prompt: string): number[] {
    const ids = this.tokenizer.encode(prompt);
    if (ids.length > 0) return ids;
    const bos = this.tokenizer.bosTokenId ?? this.config.bosTokenId ?? this.tokenizer.eosTokenId;
    if (bos === undefined)
      throw new UserError("generate: empty prompt and the model has no BOS token");
    return [bos];
  }

  /** One continuation of `prompt` (text after the prompt, special tokens dropped). */
  async generate(prompt: string, opts: Omit<GenerateOptions, "n"> = {}): Promise<string> {
    return (await this.generateMany(prompt, { ...opts, n: 1 }))[0];
  }

  /** `opts.n` continuations of `prompt`, sampled in one batch. */
  async generateMany(prompt: string, opts: GenerateOptions = {}): Promise<string[]> {
    return (await this.generateBatch([prompt], opts))[0];
  }

  /** out[i] = `opts.n` continuations of prompts[i]; all prompts decoded together in one batch. */
  async generateBatch(prompts: string[], opts: GenerateOptions = {}): Promise<string[][]> {
    const eos = opts.eosTokenId ?? this.tokenizer.eosTokenId ?? this.config.eosTokenId;
    const ids = prompts.map((p) => this.promptIds(p));
    for (const x of ids) this.#checkLength(x.length);
    const rows = await generateBatch(this.config, this.params, ids, { ...opts, eosTokenId: eos });
    return rows.map((r) => r.map((t) => this.tokenizer.decode(t.filter((x) => x !== eos))));
  }

  /** Drops the engine arrays of the params. */
  dispose(): void {
    disposeTree(this.params);
  }
}

function checkVocab(c: LMConfig, tok: LMTokenizer): void {
  if (tok.vocabSize > c.vocabSize) {
    const dir = tok.source.replace(/[/\\]?tokenizer\.json$/, "");
    const join = (d: string, f: string) => (d ? `${d}/${f}` : f);
    throw new UserError(
      `${join(dir, "tokenizer.json")}: tokenizer has ${tok.vocabSize} tokens but ${join(dir, "config.json")} says vocab_size ${c.vocabSize}`,
    );
  }
}
