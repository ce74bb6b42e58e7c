/**
 * A reward model: the causal LM's transformer with a scalar head on the
 * hidden state of the last token that is not the pad token, r_φ(c, x) = w · h_last
 * — exactly transformers' *ForSequenceClassification rule (num_labels = 1), so a
 * saved model scores the same in both. EOS ends the sequence only when it is
 * not also the pad token (GPT-2 pads with EOS; transformers would skip it). Saved in
 * Hugging Face layout: the backbone under `transformer.` (GPT-2) or `model.`
 * (LLaMA), the head as `score.weight` [1, d_model], config.json with
 * architectures [GPT2ForSequenceClassification | LlamaForSequenceClassification],
 * one label and pad_token_id (transformers needs it to find the last token).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { writeJsonAtomic } from "../../engine/atomic.js";
import { UserError } from "../../engine/errors.js";
import { initEngine } from "../../engine/init.js";
import { jit, numpy as np, random } from "../../engine/jax.js";
import { disposeTree, refTree } from "../../engine/pytree.js";
import { type HostTensor, writeSafetensors } from "../../engine/safetensors.js";
import { configToHF, type LMConfig } from "./config.js";
import { forwardHidden } from "./forward.js";
import { loadConfig, readWeights } from "./hf.js";
import { paramsFromHF, paramsToHF } from "./hf-tensors.js";
import type { LMParams } from "./params.js";
import { LMTokenizer } from "./tokenizer.js";

export type RewardParams = { backbone: LMParams; score: { weight: np.Array } };

/** The backbone's configuration: the LM head is never used, so it is treated as tied (absent). */
function backboneConfig(c: LMConfig): LMConfig {
  return { ...c, tieWordEmbeddings: true };
}

/**
 * Final hidden states [B, T, D] of the transformer (the LM forward without
 * its output head). Consumes `params` and `ids`; traceable by jit/grad.
 */
export function hiddenStates(c: LMConfig, params: LMParams, ids: np.Array): np.Array {
  const { hidden, head } = forwardHidden(c, params, ids);
  head.dispose();
  return hidden;
}

/**
 * r[b] = score · h[b, last_b] with `last` [B, T] one-hot on each row's last
 * real token. Consumes its arguments.
 */
export function rewardScores(
  c: LMConfig,
  params: RewardParams,
  ids: np.Array,
  last: np.Array,
): np.Array {
  const [B, T] = ids.shape;
  const h = hiddenStates(c, params.backbone, ids);
  const pooled = h.mul(last.reshape([B, T, 1])).sum(1); // [B, D]
  return np.matmul(pooled, params.score.weight.transpose()).reshape([B]);
}

/**
 * Where transformers' sequence classification pools: the last position whose id
 * is not `padId` (position 0 when every id is the pad).
 */
export function poolPosition(ids: ArrayLike<number>, padId: number): number {
  for (let t = ids.length - 1; t > 0; t--) if (ids[t] !== padId) return t;
  return 0;
}

/**
 * A right-padded batch for scoring: ids [B, T] and the one-hot of each row's
 * pooling position (`poolPosition` of the padded row).
 */
export function collateForReward(
  rows: number[][],
  padId: number,
  opts: { padMultiple?: number; batchSize?: number } = {},
): { ids: np.Array; last: np.Array; B: number; T: number } {
  const mult = opts.padMultiple ?? 8;
  const B = Math.max(rows.length, opts.batchSize ?? 0);
  const T = Math.ceil(Math.max(1, ...rows.map((r) => r.length)) / mult) * mult;
  const ids = new Int32Array(B * T).fill(padId);
  const last = new Float32Array(B * T);
  rows.forEach((r, b) => {
    for (let t = 0; t < r.length; t++) ids[b * T + t] = r[t];
    last[b * T + poolPosition(ids.subarray(b * T, (b + 1) * T), padId)] = 1;
  });
  return {
    ids: np.array(ids, { dtype: np.int32 }).reshape([B, T]),
    last: np.array(last).reshape([B, T]),
    B,
    T,
  };
}

export class RewardModel {
  #score: ReturnType<typeof jit> | null = null;

  constructor(
    readonly config: LMConfig,
    public params: RewardParams,
    readonly tokenizer: LMTokenizer,
  ) {}

  /** A fresh head (N(0, 0.02²)) on the transformer of a causal-LM directory. */
  static async fromCausalLM(dir: string, seed = 0): Promise<RewardModel> {
    await initEngine();
    const config = loadConfig(dir);
    const { tensors, file } = readWeights(dir);
    const backbone = paramsFromHF(backboneConfig(config), tensors, file);
    const weight = random.normal(random.key(seed), [1, config.dModel]).mul(0.02);
    return new RewardModel(config, { backbone, score: { weight } }, LMTokenizer.load(dir));
  }

  /** Loads a directory written by `save` (or by transformers' *ForSequenceClassification with one label). */
  static async load(dir: string): Promise<RewardModel> {
    await initEngine();
    const config = loadConfig(dir);
    const cfgPath = join(dir, "config.json");
    const cfg = JSON.parse(readFileSync(cfgPath, "utf8")) as Record<string, unknown>;
    const labels = cfg.id2label ? Object.keys(cfg.id2label as object).length : cfg.num_labels;
    if (labels !== undefined && labels !== 1) {
      throw new UserError(
        `${cfgPath}: field "id2label": a reward model has exactly one label, found ${labels}`,
      );
    }
    const { tensors, file } = readWeights(dir);
    const s = tensors["score.weight"];
    if (!s) {
      throw new UserError(
        `${file}: tensor "score.weight" is missing: ${dir} is not a reward model (train one with prefopt reward)`,
      );
    }
    if (s.shape.length !== 2 || s.shape[0] !== 1 || s.shape[1] !== config.dModel) {
      throw new UserError(
        `${file}: tensor "score.weight" has shape [${s.shape.join(", ")}], expected [1, ${config.dModel}]`,
      );
    }
    const backbone = paramsFromHF(backboneConfig(config), tensors, file);
    const weight = np.array(s.data.slice(), { dtype: np.float32 }).reshape([1, config.dModel]);
    return new RewardModel(config, { backbone, score: { weight } }, LMTokenizer.load(dir));
  }

  get padTokenId(): number {
    return this.tokenizer.padTokenId ?? this.config.padTokenId ?? 0;
  }

  /** Writes config.json, model.safetensors (backbone + score.weight) and the tokenizer files. */
  async save(dir: string): Promise<void> {
    const hf = await paramsToHF(backboneConfig(this.config), this.params.backbone);
    const host: Record<string, HostTensor> = {};
    for (const [k, t] of Object.entries(hf))
      host[k] = { dtype: "F32", shape: t.shape, data: t.data };
    const w = new Float32Array((await this.params.score.weight.ref.data()) as Float32Array);
    host["score.weight"] = { dtype: "F32", shape: [1, this.config.dModel], data: w };
    writeSafetensors(join(dir, "model.safetensors"), host, { format: "pt" });
    const cfg = configToHF({ ...this.config, padTokenId: this.padTokenId });
    cfg.architectures = [
      this.config.modelType === "gpt2"
        ? "GPT2ForSequenceClassification"
        : "LlamaForSequenceClassification",
    ];
    cfg.id2label = { "0": "LABEL_0" };
    cfg.label2id = { LABEL_0: 0 };
    cfg.num_labels = 1;
    cfg.problem_type = "regression";
    writeJsonAtomic(join(dir, "config.json"), cfg);
    this.tokenizer.save(dir);
  }

  /**
   * Token ids the model scores for (prompt, completion): prompt ⊕ completion,
   * ⊕ EOS when EOS differs from the pad token (otherwise transformers' rule
   * would pool before it, and so does `collateForReward`).
   */
  encodePair(prompt: string, completion: string): number[] {
    const p = this.tokenizer.encode(prompt);
    const x = this.tokenizer.encode(completion, { addSpecialTokens: false });
    const eos = this.tokenizer.eosTokenId;
    const ids = [...p, ...x];
    if (eos !== undefined && eos !== this.padTokenId && ids[ids.length - 1] !== eos) ids.push(eos);
    return ids.slice(-this.config.maxPositions);
  }

  /** r_φ for each (prompt, completion), in batches. */
  async score(pairs: { prompt: string; completion: string }[], batchSize = 32): Promise<number[]> {
    this.#score ??= jit((p: RewardParams, ids: np.Array, last: np.Array) =>
      rewardScores(this.config, p, ids, last),
    );
    const f = this.#score as (p: RewardParams, ids: np.Array, last: np.Array) => np.Array;
    const out: number[] = [];
    for (let i = 0; i < pairs.length; i += batchSize) {
      const chunk = pairs.slice(i, i + batchSize);
      const b = collateForReward(
        chunk.map((x) => this.encodePair(x.prompt, x.completion)),
        this.padTokenId,
        { batchSize },
      );
      const r = (await f(refTree(this.params), b.ids, b.last).data()) as Float32Array;
      for (let k = 0; k < chunk.length; k++) out.push(r[k]);
    }
    return out;
  }

  dispose(): void {
    (this.#score as { dispose?: () => void } | null)?.dispose?.();
    disposeTree(this.params as never);
  }
}
