/**
 * Builds the bundled text model from a seed (DESIGN §2): generate the
 * movie-review corpus, train a byte-level BPE tokenizer on it, pretrain a
 * small GPT-2 by next-token prediction (AdamW, cosine schedule, packed rows),
 * report held-out perplexity against a unigram baseline, and write a Hugging
 * Face model directory (config, safetensors, tokenizer, generation config,
 * metrics.jsonl, pretrain_report.json) beside its checkpoints. A task on the
 * shared training loop.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { bpeTokenizerJSON, trainBPE } from "../data/bpe.js";
import { movieReviewCorpus } from "../data/movie-reviews.js";
import { type PackedRows, packSentences, unigramLogProbs, unigramNLL } from "../data/pack.js";
import { writeJsonAtomic } from "../engine/atomic.js";
import { initEngine } from "../engine/init.js";
import { jit, numpy as np, valueAndGrad } from "../engine/jax.js";
import { countParams, disposeTree, refTree } from "../engine/pytree.js";
import { HostRng, makeKey } from "../engine/random.js";
import { CausalLM } from "../models/lm/causal-lm.js";
import { DEFAULT_CHAT_TEMPLATE } from "../models/lm/chat-template.js";
import { gpt2Config, type LMConfig } from "../models/lm/config.js";
import { maskedNLL } from "../models/lm/logprobs.js";
import { initParams, type LMParams } from "../models/lm/params.js";
import { LMTokenizer } from "../models/lm/tokenizer.js";
import { adamw, decayMatrices } from "../train/optimizer.js";
import {
  loopOptions,
  runConfig,
  runLog,
  stripUndefined,
  type TrainRunOptions,
} from "../train/run-options.js";
import { cosineWarmup } from "../train/schedules.js";
import { paramsAndOpt, runTraining } from "../train/trainer.js";

export type PretrainOptions = TrainRunOptions & {
  /** Training sentences (default 30000) and held-out sentences (default 1000). */
  sentences?: number;
  heldOut?: number;
  vocabSize?: number;
  nLayer?: number;
  dModel?: number;
  nHead?: number;
  context?: number;
  weightDecay?: number;
  /** Samples drawn at the end for the report. */
  samples?: number;
};

export type PretrainReport = {
  /** "interrupted": stopped by `signal`/`stopAfter`, checkpoint saved, no model or report */
  status: "completed" | "interrupted";
  seconds: number;
  steps: number;
  params: number;
  trainTokens: number;
  heldOutTokens: number;
  heldOutNLL: number;
  heldOutPerplexity: number;
  unigramPerplexity: number;
  finalTrainLoss: number;
  samples: string[];
};

export const PRETRAIN_DEFAULTS = {
  seed: 0,
  sentences: 30000,
  heldOut: 1000,
  vocabSize: 768,
  nLayer: 4,
  dModel: 128,
  nHead: 4,
  context: 64,
  batchSize: 16,
  steps: 800,
  lr: 2e-3,
  warmupSteps: 50,
  weightDecay: 0.1,
  samples: 8,
  saveEvery: 100,
  logEvery: 10,
};

const EOS = "<|endoftext|>";

/** Mean next-token NLL over the targets of packed rows, in batches. Does not consume `params`. */
export async function packedNLL(
  c: LMConfig,
  params: LMParams,
  p: PackedRows,
  batch = 32,
): Promise<number> {
  let total = 0;
  let n = 0;
  for (let r = 0; r < p.rows; r += batch) {
    const b = Math.min(batch, p.rows - r);
    const ids = np.array(p.ids.slice(r * p.T, (r + b) * p.T), { shape: [b, p.T], dtype: np.int32 });
    const maskHost = p.mask.slice(r * p.T, (r + b) * p.T);
    const mask = np.array(maskHost, { shape: [b, p.T], dtype: np.float32 });
    let count = 0;
    for (let i = 0; i < b; i++) for (let t = 1; t < p.T; t++) count += maskHost[i * p.T + t];
    const loss = (await maskedNLL(c, refTree(params), ids, mask).data())[0];
    total += loss * count;
    n += count;
  }
  return total / Math.max(1, n);
}

/** Builds the text model; see the module doc. */
export async function runPretrain(opts: PretrainOptions): Promise<PretrainReport> {
  const o = { ...PRETRAIN_DEFAULTS, ...stripUndefined(opts), out: opts.out };
  const log = runLog(opts);
  await initEngine();
  const t0 = performance.now();
  mkdirSync(o.out, { recursive: true });

  const corpus = movieReviewCorpus(o.sentences + o.heldOut, o.seed);
  const train = corpus.slice(0, o.sentences);
  const held = corpus.slice(o.sentences);
  const bpe = trainBPE(train, { vocabSize: o.vocabSize, specialTokens: [EOS] });
  const eosId = bpe.specialTokens[0].id;
  const tokenizer = new LMTokenizer(
    bpeTokenizerJSON(bpe, { addBos: true }),
    {
      tokenizer_class: "PreTrainedTokenizerFast",
      bos_token: EOS,
      eos_token: EOS,
      unk_token: EOS,
      pad_token: EOS,
      add_bos_token: true,
      model_max_length: o.context,
      clean_up_tokenization_spaces: false,
      chat_template: DEFAULT_CHAT_TEMPLATE,
    },
    join(o.out, "tokenizer.json"),
  );
  const enc = (s: string) => tokenizer.encode(s, { addSpecialTokens: false });
  const specials = { bos: eosId, eos: eosId, pad: eosId };
  const trainRows = packSentences(train.map(enc), o.context, specials);
  const heldRows = packSentences(held.map(enc), o.context, specials);
  const vocabSize = eosId + 1;
  log(
    `corpus: ${train.length} train / ${held.length} held-out sentences; BPE vocab ${vocabSize}; ` +
      `${trainRows.rows} train rows × ${o.context} tokens`,
  );

  const config = gpt2Config({
    vocabSize,
    dModel: o.dModel,
    nHead: o.nHead,
    nLayer: o.nLayer,
    maxPositions: o.context,
    bosTokenId: eosId,
    eosTokenId: eosId,
  });
  let params = initParams(config, makeKey(o.seed));
  const nParams = countParams(params);
  log(
    `model: GPT-2, ${o.nLayer} layers, width ${o.dModel}, ${o.nHead} heads, ${nParams} parameters`,
  );

  const schedule = cosineWarmup({
    peak: o.lr,
    warmupSteps: o.warmupSteps,
    totalSteps: o.steps,
    minRatio: 0.1,
  });
  const opt = adamw({
    learningRate: schedule,
    weightDecay: o.weightDecay,
    maxGradNorm: 1,
    decayMask: decayMatrices,
  });
  const state = opt.init(refTree(params));
  const step = jit((p: LMParams, s: typeof state, ids: np.Array, mask: np.Array, lr: np.Array) => {
    const [loss, grads] = valueAndGrad((pp: LMParams) => maskedNLL(config, pp, ids, mask))(
      refTree(p),
    );
    const r = opt.step(p, grads, s, lr);
    return [loss, r.params, r.state] as const;
  });

  const B = o.batchSize;
  const T = o.context;
  type State = { params: LMParams; opt: typeof state; rng: number; order: number[] };
  const result = await runTraining<State>({
    ...loopOptions(o, "pretrain", o.steps, runConfig(o)),
    keepCheckpoints: 1,
    init: () => ({ params, opt: state, rng: new HostRng(o.seed + 1).state, order: [] }),
    async step(st, s) {
      const rng = new HostRng(0);
      rng.state = st.rng;
      if (st.order.length < B) {
        st.order = st.order.concat(
          rng.shuffle(Array.from({ length: trainRows.rows }, (_, i) => i)),
        );
      }
      st.rng = rng.state;
      const pick = st.order.splice(0, B);
      const ids = new Int32Array(B * T);
      const mask = new Float32Array(B * T);
      for (const [i, r] of pick.entries()) {
        ids.set(trainRows.ids.subarray(r * T, (r + 1) * T), i * T);
        mask.set(trainRows.mask.subarray(r * T, (r + 1) * T), i * T);
      }
      const lr = opt.learningRate(s);
      const [lossA, p2, s2] = step(
        st.params,
        st.opt,
        np.array(ids, { shape: [B, T], dtype: np.int32 }),
        np.array(mask, { shape: [B, T], dtype: np.float32 }),
        np.array(lr, { dtype: np.float32 }),
      );
      st.params = p2 as LMParams;
      st.opt = s2 as typeof state;
      const loss = (await (lossA as np.Array).data())[0];
      return { loss, learning_rate: lr };
    },
    // the data position: RNG state and the rest of the current shuffled order
    ...paramsAndOpt<State>({
      save: (st) => ({ rng: st.rng, order: st.order }),
      load(st, h) {
        ({ rng: st.rng, order: st.order } = h as { rng: number; order: number[] });
      },
    }),
  });
  params = result.state.params;
  disposeTree(result.state.opt as unknown as LMParams);
  const lastLoss = Number(result.lastLog?.loss ?? Number.NaN);
  const tokens = (r: PackedRows) => r.mask.reduce((a, b) => a + b, 0);
  if (result.status === "interrupted") {
    disposeTree(params);
    return {
      status: "interrupted",
      seconds: (performance.now() - t0) / 1000,
      steps: result.step,
      params: nParams,
      trainTokens: tokens(trainRows),
      heldOutTokens: tokens(heldRows),
      heldOutNLL: Number.NaN,
      heldOutPerplexity: Number.NaN,
      unigramPerplexity: Number.NaN,
      finalTrainLoss: lastLoss,
      samples: [],
    };
  }

  const heldNLL = await packedNLL(config, params, heldRows);
  const uni = unigramNLL(heldRows, unigramLogProbs(trainRows, vocabSize));
  const lm = new CausalLM(config, params, tokenizer);
  await lm.save(o.out);
  const samples = await lm.generateMany("", {
    n: o.samples,
    seed: o.seed,
    maxNewTokens: 40,
    temperature: 1,
  });
  const seconds = (performance.now() - t0) / 1000;
  const report: PretrainReport = {
    status: "completed",
    seconds: +seconds.toFixed(1),
    steps: result.step,
    params: nParams,
    trainTokens: tokens(trainRows),
    heldOutTokens: tokens(heldRows),
    heldOutNLL: +heldNLL.toFixed(4),
    heldOutPerplexity: +Math.exp(heldNLL).toFixed(3),
    unigramPerplexity: +Math.exp(uni).toFixed(3),
    finalTrainLoss: +lastLoss.toFixed(4),
    samples,
  };
  writeJsonAtomic(join(o.out, "pretrain_report.json"), { options: runConfig(o), ...report });
  lm.dispose();
  return report;
}
