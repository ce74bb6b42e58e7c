/**
 * DPO one update at a time on a model in memory, for interactive use (the
 * browser example: preferences picked on a page, a few steps, new samples).
 * Each `step(pairs)` tokenises the pairs as TRL does, computes the reference
 * log-probs under π_ref — the model as it was when the stepper was made — and
 * runs the compiled DPO step of dpo-step.ts (prefix-shared forward, preference
 * loss, gradient, AdamW); the model's params are then the updated policy, so
 * `lm.generate` samples from it. No files and no loop: a run over a dataset,
 * with schedules, checkpoints and metrics.jsonl, is `runDpo`.
 */

import { type TruncationOptions, tokenizePairs } from "../data/preference-collate.js";
import type { PreferenceExample } from "../data/preference-data.js";
import { UserError } from "../engine/errors.js";
import { numpy as np } from "../engine/jax.js";
import { disposeTree, refTree } from "../engine/pytree.js";
import type { CausalLM } from "../models/lm/causal-lm.js";
import { completionLogProbs, packedArrays } from "../models/lm/pair-logprobs.js";
import { packPairs } from "../models/lm/pair-pack.js";
import type { LMParams } from "../models/lm/params.js";
import type { PreferenceLossType } from "../objectives/preference-loss.js";
import { type AdamState, adamw, decayMatrices } from "../train/optimizer.js";
import { type DpoStepFn, makeDpoStep } from "./dpo-step.js";

export type DpoStepperOptions = {
  /** KL strength β (default 0.1) */
  beta?: number;
  /** constant AdamW learning rate (default 1e-4) */
  lr?: number;
  /** preference loss (default "sigmoid": DPO) */
  type?: PreferenceLossType;
  labelSmoothing?: number;
  weightDecay?: number;
  /** clip gradients to this global norm (default 1) */
  maxGradNorm?: number;
  /** prompt + completion tokens at most (default: the model's context) */
  maxLength?: number;
};

/** TRL's logged names: loss, grad_norm, rewards/chosen, rewards/rejected, rewards/accuracies, rewards/margins, logps/chosen, logps/rejected. */
export type DpoStepMetrics = Record<string, number>;

export class DpoStepper {
  #lm: CausalLM;
  #ref: LMParams;
  #params: LMParams;
  #state: AdamState<LMParams>;
  #step: DpoStepFn;
  #lr: number;
  #type: PreferenceLossType;
  #trunc: TruncationOptions;
  #pad: number;
  /** updates made so far */
  steps = 0;

  /** A stepper training `lm` in place; π_ref is `lm` as it is now. */
  constructor(lm: CausalLM, o: DpoStepperOptions = {}) {
    const beta = o.beta ?? 0.1;
    if (!(beta > 0)) throw new UserError(`DpoStepper: beta must be > 0, got ${beta}`);
    this.#lr = o.lr ?? 1e-4;
    if (!(this.#lr > 0)) throw new UserError(`DpoStepper: lr must be > 0, got ${this.#lr}`);
    this.#type = o.type ?? "sigmoid";
    this.#lm = lm;
    const c = lm.config;
    const opt = adamw({
      learningRate: this.#lr,
      weightDecay: o.weightDecay ?? 0,
      maxGradNorm: o.maxGradNorm ?? 1,
      decayMask: decayMatrices,
    });
    this.#step = makeDpoStep(c, opt, { beta, type: this.#type, labelSmoothing: o.labelSmoothing });
    this.#ref = refTree(lm.params);
    this.#params = refTree(lm.params);
    this.#state = opt.init(refTree(lm.params));
    const context = c.modelType === "gpt2" ? c.maxPositions : Number.POSITIVE_INFINITY;
    this.#trunc = {
      maxLength: Math.min(o.maxLength ?? context, context),
      eosTokenId: lm.tokenizer.eosTokenId,
      bosTokenId: lm.tokenizer.bosTokenId ?? lm.tokenizer.eosTokenId,
    };
    this.#pad = lm.tokenizer.padTokenId ?? 0;
  }

  /** One DPO update on `pairs` (all in one batch); returns the step's loss and TRL's metrics. */
  async step(pairs: PreferenceExample[]): Promise<DpoStepMetrics> {
    if (pairs.length === 0) throw new UserError("DpoStepper.step: no preference pairs");
    const c = this.#lm.config;
    const tok = tokenizePairs(pairs, this.#lm.tokenizer, this.#trunc, "pairs");
    const rows = tok.flatMap((p) => [
      { prompt: p.prompt, completion: p.chosen },
      { prompt: p.prompt, completion: p.rejected },
    ]);
    const ref = await completionLogProbs(c, this.#ref, rows, {
      padTokenId: this.#pad,
      average: this.#type === "ipo",
    });
    const batch = packedArrays(
      packPairs(tok, {
        padTokenId: this.#pad,
        maxPositions: c.modelType === "gpt2" ? c.maxPositions : undefined,
      }),
    );
    const refAt = (k: number) => np.array(new Float32Array(tok.map((_, i) => ref[2 * i + k])));
    const r = this.#step(
      this.#params,
      {},
      this.#state,
      batch,
      refAt(0),
      refAt(1),
      np.array(this.#lr, { dtype: np.float32 }),
    );
    this.#params = r.params;
    this.#state = r.state;
    // the model now samples from the updated policy
    disposeTree(this.#lm.params);
    this.#lm.params = refTree(this.#params);
    this.steps++;
    const m: DpoStepMetrics = {
      loss: (await r.loss.data())[0],
      grad_norm: (await r.gradNorm.data())[0],
    };
    for (const [name, a] of Object.entries(r.aux)) m[name] = (await a.data())[0];
    return m;
  }

  /** Releases the reference, the optimiser state and the compiled step (the model keeps its params). */
  dispose(): void {
    disposeTree(this.#ref);
    disposeTree(this.#params);
    disposeTree(this.#state);
    this.#step.dispose();
  }
}
