/**
 * Will a training step fit in the engine heap? An estimate of the heap a
 * language-model DPO step needs, made before training starts, so that a run
 * that cannot fit says so in one line with the flag that would make it fit
 * (exit 2) instead of dying inside the engine with
 * `RangeError: Allocation exceeds the 4 GiB memory32 limit`.
 *
 * The heap holds the persistent state — weights, trainable parameters (the
 * model itself under full fine-tuning, the adapters under LoRA), AdamW's two
 * moments, an accumulated gradient when micro-batching — and, while a step
 * runs, its transient, the larger of two phases. The forward and backward
 * pass: the activations the backward keeps, modelled per layer as
 * `ACT_PER_D · d + ACT_PER_FF · d_ff + ATTN_COPIES · heads · S²/positions` floats per position,
 * `LOGIT_COPIES` copies of the scored logits, and `GRAD_COPIES` copies of the
 * trainable parameters (the gradient). The update: the new parameters and
 * moments, written while the old are still live (`UPDATE_COPIES` × trainable).
 * The coefficients come from `npm run bench -- memory` (streamed jit, the
 * training path): the activations fitted on tiny GPT-2 shapes (2–4
 * layers, width 64–128, 4–8 heads, vocab 512–2048, rows of 96–192 positions,
 * 4–8 pairs: within 2 %, LoRA within 10 % high) and checked at GPT-2 small,
 * 4 pairs × 192 positions: full fine-tuning's transient measured 2330.8 MiB
 * (model 2326.7), total 3.84 GiB with the fragmentation allowance against a
 * measured high-water mark of 3.81 GiB.
 * Tiny LLaMA shapes (2–4 layers, width 64, 2 of 4 key/value heads, SwiGLU 256–512) measure
 * about 12·d + 7·d_ff floats per position per layer, under the 18·d + 8·d_ff used here.
 * Under LoRA the frozen base is held once: the adapters are applied unmerged
 * (src/nn/low-rank-adapted.ts) and the engine reads a weight's transposed view
 * in place (before, a compiled gradient kept a copy of every weight, the
 * transient then 1.1 × the whole model). Weight-dominated shapes (2 layers,
 * width 512, vocab 8192, one pair of 24 positions; 40 MiB of weights) measure
 * LoRA-8 transients of 5.9 MiB (GPT-2; model 6.4) and 4.2 MiB (LLaMA, GQA,
 * SwiGLU 1408; model 5.4), full fine-tuning's 120.3 and 112.5 MiB (3.0 ×
 * weights: the update phase).
 */

import { UserError } from "../../engine/errors.js";
import type { numpy as np } from "../../engine/jax.js";
import { defaultDevice, tree } from "../../engine/jax.js";
import type { LMConfig } from "./config.js";
import { loraTargetPaths } from "./lora.js";
import type { LMParams } from "./params.js";

/**
 * Floats per position per layer kept for the backward: ACT_PER_D·d + ACT_PER_FF·d_ff (50·d at
 * GPT-2's d_ff = 4d, the fitted figure; the split between the two is assumed, since GPT-2 shapes
 * cannot separate them: the MLP's elementwise chain on d_ff, the rest on d).
 */
const ACT_PER_D = 18;
const ACT_PER_FF = 8;
/** Copies of each layer's attention matrix (scores and probabilities). */
const ATTN_COPIES = 2;
/** Copies of the scored [positions × vocab] logits (logits, log-softmax, its gradient). */
const LOGIT_COPIES = 3;
/** Copies of the trainable parameters alive during the backward pass (the gradient). */
const GRAD_COPIES = 1.1;
/** Trainable-sized arrays written by the update while the old ones are live: parameters, two moments. */
const UPDATE_COPIES = 3;
/** Heap the allocator loses to fragmentation above the live peak (measured 4 %). */
const FRAGMENTATION = 1.05;

/**
 * The engine's WebAssembly heap: memory32, so 4 GiB (PREFOPT_HEAP_LIMIT overrides it, in bytes).
 * On WebGPU the step's arrays live in GPU memory instead, which WebGPU does not report: no limit.
 */
export function heapLimitBytes(): number {
  const env = process.env.PREFOPT_HEAP_LIMIT;
  if (env !== undefined && env !== "") {
    const n = Number(env);
    if (!(Number.isFinite(n) && n > 0))
      throw new UserError(`PREFOPT_HEAP_LIMIT: expected a positive number of bytes, got "${env}"`);
    return n;
  }
  if (defaultDevice() === "webgpu") return Number.POSITIVE_INFINITY;
  return 4 * 2 ** 30;
}

export type StepShape = {
  /** rows (packed pairs) per micro-batch */
  rows: number;
  /** positions per row (prompt + chosen + rejected, padded) */
  rowLength: number;
  /** scored positions per row (chosen + rejected) */
  scored: number;
  /** micro-batches per optimiser step (gradient accumulation) */
  accumulation: number;
};

export type ModelNumbers = {
  /** numbers in the model's weights */
  weights: number;
  /** numbers trained (the weights under full fine-tuning, the adapters under LoRA) */
  trainable: number;
  /** under LoRA: numbers in the adapted weights; else 0 */
  loraTargets: number;
};

export type HeapEstimate = {
  weights: number;
  trainable: number;
  optimiser: number;
  accumulated: number;
  activations: number;
  logits: number;
  gradients: number;
  inputs: number;
  /** the update phase: new parameters and moments beside the old */
  update: number;
  total: number;
};

/** Bytes of the engine heap a DPO step at `shape` needs (AdamW, float32). */
export function estimateDpoHeap(c: LMConfig, m: ModelNumbers, s: StepShape): HeapEstimate {
  const f = 4;
  const lora = m.loraTargets > 0;
  const P = s.rows * s.rowLength;
  const weights = m.weights * f;
  const trainable = lora ? m.trainable * f : 0; // under full fine-tuning the trainable tree is the weights
  const optimiser = 2 * m.trainable * f;
  const accumulated = s.accumulation > 1 ? m.trainable * f : 0;
  const perLayer =
    (ACT_PER_D * c.dModel + ACT_PER_FF * c.dFF) * P +
    ATTN_COPIES * c.nHead * s.rows * s.rowLength ** 2;
  const activations = c.nLayer * perLayer * f;
  const logits = LOGIT_COPIES * s.rows * s.scored * c.vocabSize * f;
  const gradients = GRAD_COPIES * m.trainable * f;
  // ids, positions, the attention bias [rows, S, S] and the score selector [rows, C, S]
  const inputs = (2 * P + s.rows * s.rowLength ** 2 + s.rows * s.scored * s.rowLength) * f;
  const update = UPDATE_COPIES * m.trainable * f;
  const live =
    weights +
    trainable +
    optimiser +
    accumulated +
    Math.max(activations + logits + gradients + inputs, update);
  return {
    weights,
    trainable,
    optimiser,
    accumulated,
    activations,
    logits,
    gradients,
    inputs,
    update,
    total: live * FRAGMENTATION,
  };
}

/** 3.2 GiB */
const gib = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;

/** One line: the estimate by kind (the persistent state and the step's larger phase). */
export function describeEstimate(e: HeapEstimate): string {
  const pass = e.activations + e.logits + e.gradients + e.inputs;
  const parts: [string, number][] = [
    ["weights", e.weights],
    ["adapters", e.trainable],
    ["AdamW state", e.optimiser],
    ["accumulated gradient", e.accumulated],
    ...((e.update > pass
      ? [["the update's new parameters and moments", e.update]]
      : [
          ["activations", e.activations],
          ["logits", e.logits],
          ["gradients", e.gradients],
        ]) as [string, number][]),
  ];
  return parts
    .filter(([, b]) => b >= 0.005 * e.total)
    .map(([k, b]) => `${k} ${gib(b)}`)
    .join(", ");
}

/** A change of flags and the estimate it gives. */
export type FitOption = { flags: string; estimate: HeapEstimate };

/**
 * Throws a one-line UserError when `estimate` exceeds `limit`: the estimate by
 * kind, and the first of `options` (ordered from least to most change) whose
 * estimate fits, or that none does.
 */
export function assertFits(
  what: string,
  estimate: HeapEstimate,
  options: FitOption[],
  limit = heapLimitBytes(),
): void {
  if (estimate.total <= limit) return;
  const fix = options.find((o) => o.estimate.total <= limit);
  const advice = fix
    ? `${fix.flags} would need about ${gib(fix.estimate.total)}`
    : "no smaller batch, LoRA or sequence length tried fits either; use a smaller model";
  throw new UserError(
    `${what}: needs about ${gib(estimate.total)} of engine heap (${describeEstimate(estimate)}), more than its ${gib(limit)}; ${advice}`,
  );
}

const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

/** Numbers in the weights, and under LoRA (`rank`, `targets`) in the adapted weights and the adapters. */
export function modelNumbers(
  params: LMParams,
  lora?: { rank: number; targets: string[] },
): ModelNumbers {
  const weights = (tree.leaves(params as never) as np.Array[]).reduce((s, x) => s + x.size, 0);
  if (!lora) return { weights, trainable: weights, loraTargets: 0 };
  let loraTargets = 0;
  let trainable = 0;
  for (const p of loraTargetPaths(params, lora.targets)) {
    let node: unknown = params;
    for (const k of p.split(".")) node = (node as Record<string, unknown>)[k];
    const [inD, outD] = (node as { weight: np.Array }).weight.shape;
    loraTargets += inD * outD;
    trainable += lora.rank * (inD + outD);
  }
  return { weights, trainable, loraTargets };
}

/**
 * Before a DPO run: throws a one-line UserError (exit 2) when its step would
 * not fit the engine heap, naming the estimate and the flags that would fit —
 * a smaller micro-batch with more accumulation steps (the same pairs per
 * update), then LoRA, then a shorter --max-length. `pairs` are the training
 * pairs (the longest sets the packed row), `rows` the pairs per micro-batch.
 */
export function checkDpoFits(
  c: LMConfig,
  params: LMParams,
  pairs: { prompt: number[]; chosen: number[]; rejected: number[] }[],
  run: {
    rows: number;
    accumulation: number;
    maxLength: number;
    lora?: { rank: number; targets: string[] };
    loraTargets: string[];
  },
  limit = heapLimitBytes(),
): HeapEstimate {
  const shapeOf = (rows: number, accumulation: number, cap = Number.POSITIVE_INFINITY) => {
    let longest = 2;
    let scored = 1;
    for (const p of pairs) {
      const k = Math.min(
        1,
        cap / Math.max(1, p.prompt.length + Math.max(p.chosen.length, p.rejected.length)),
      );
      longest = Math.max(
        longest,
        Math.ceil(k * (p.prompt.length + p.chosen.length + p.rejected.length)),
      );
      scored = Math.max(scored, Math.ceil(k * (p.chosen.length + p.rejected.length)));
    }
    return { rows, accumulation, rowLength: roundUp(longest, 8), scored: roundUp(scored, 8) };
  };
  const numbers = modelNumbers(params, run.lora);
  const estimate = estimateDpoHeap(c, numbers, shapeOf(run.rows, run.accumulation));
  if (estimate.total <= limit) return estimate;
  const options: FitOption[] = [];
  const lora8 = { rank: 8, targets: run.loraTargets };
  const plans: [string, ModelNumbers, number][] = [["", numbers, Number.POSITIVE_INFINITY]];
  if (!run.lora)
    plans.push(["--lora-rank 8", modelNumbers(params, lora8), Number.POSITIVE_INFINITY]);
  for (let len = run.maxLength >> 1; len >= 16; len >>= 1)
    plans.push([
      `${run.lora ? "" : "--lora-rank 8 "}--max-length ${len}`,
      modelNumbers(params, run.lora ?? lora8),
      len,
    ]);
  for (const [flags, m, cap] of plans)
    for (let rows = run.rows; rows >= 1; rows = rows > 1 ? Math.ceil(rows / 2) : 0) {
      const accumulation = Math.ceil((run.rows * run.accumulation) / rows);
      const micro =
        rows === run.rows
          ? ""
          : `--batch-size ${rows} --gradient-accumulation-steps ${accumulation}`;
      if (!flags && !micro) continue;
      options.push({
        flags: [micro, flags].filter(Boolean).join(" "),
        estimate: estimateDpoHeap(c, m, shapeOf(rows, accumulation, cap)),
      });
      if (rows === 1) break;
    }
  assertFits("dpo", estimate, options, limit);
  return estimate;
}
