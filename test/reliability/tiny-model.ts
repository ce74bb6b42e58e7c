/**
 * A tiny GPT-2 (1 layer, width 16, context 32, vocab 320) with a byte-level
 * BPE tokenizer trained on the movie-review corpus, written in Hugging Face
 * layout: the model the reliability tests point the real CLI at.
 */
import { bpeTokenizerJSON, trainBPE } from "../../src/data/bpe.js";
import { movieReviewCorpus } from "../../src/data/movie-reviews.js";
import { initEngine } from "../../src/engine/init.js";
import { makeKey } from "../../src/engine/random.js";
import {
  type DiffusionConfig,
  initDiffusion,
  saveDiffusion,
} from "../../src/models/diffusion/model.js";
import { CausalLM } from "../../src/models/lm/causal-lm.js";
import { gpt2Config } from "../../src/models/lm/config.js";
import { paramsFromHF } from "../../src/models/lm/hf-tensors.js";
import { LMTokenizer } from "../../src/models/lm/tokenizer.js";
import { randomHF } from "../lm-reference.js";

export const TINY_VOCAB = 320;
export const TINY_CONTEXT = 32;

/** Writes the tiny model into `dir` (config.json, model.safetensors, tokenizer files). */
export async function writeTinyModel(dir: string, seed = 1): Promise<void> {
  await initEngine();
  const EOS = "<|endoftext|>";
  const bpe = trainBPE(movieReviewCorpus(300, 4), { vocabSize: TINY_VOCAB, specialTokens: [EOS] });
  const tok = new LMTokenizer(bpeTokenizerJSON(bpe, { addBos: true }), {
    bos_token: EOS,
    eos_token: EOS,
  });
  const c = gpt2Config({
    vocabSize: TINY_VOCAB,
    dModel: 16,
    nHead: 2,
    nLayer: 1,
    maxPositions: TINY_CONTEXT,
    eosTokenId: TINY_VOCAB - 1,
    bosTokenId: TINY_VOCAB - 1,
  });
  const t = randomHF(c, seed);
  for (const v of Object.values(t)) for (let i = 0; i < v.data.length; i++) v.data[i] *= 0.2;
  const lm = new CausalLM(c, paramsFromHF(c, t, "tiny"), tok);
  await lm.save(dir);
  lm.dispose();
}

/** A tiny text-to-digit diffusion config (a 3-word vocabulary, widths 8–16). */
export const TINY_DIFFUSION_CONFIG: DiffusionConfig = {
  modelType: "prefopt-text-to-digit",
  imageSize: 28,
  unet: { channels: [8, 16], condDim: 16, groups: 4 },
  text: { vocabSize: 3, maxLen: 8, dim: 16, layers: 1, heads: 2, outDim: 16 },
  vocab: ["<pad>", "a", "7"],
  schedule: { kind: "linear", T: 1000 },
};

/** Writes the tiny diffusion model (config.json, model.safetensors) into `dir`. */
export async function writeTinyDiffusion(dir: string): Promise<void> {
  await initEngine();
  const config = TINY_DIFFUSION_CONFIG;
  await saveDiffusion(dir, { config, params: initDiffusion(makeKey(0), config) });
}
