/**
 * One Diffusion-DPO update (Wallace et al. 2023) as a single jit-compiled
 * program. Winner and loser of a pair are noised with the SAME ε and the
 * same timestep t (`diffusionDpoNoised`); the policy UNet (trained) and the
 * frozen reference UNet predict the noise of both; with per-example
 * pixel-mean errors
 *   inside = −β·[(err_θ(x_w) − err_ref(x_w)) − (err_θ(x_l) − err_ref(x_l))],
 *   L = −mean log σ(inside)            (objectives/diffusion-dpo.ts)
 * and AdamW updates the trained weights; with `sftWeight` γ > 0 the loss is
 * L + γ·mean err_θ(x_w) (an SFT term on the winners). The text encoder is frozen (its
 * vectors are computed once per step and shared by policy and reference).
 * The trained weights are the whole UNet, or LoRA adapters whose policy is
 * `policyOf(adapters, refUnet)` (the frozen base of LoRA is the reference).
 *
 * β here has no ½: the reference code's `scale_term = −0.5·beta_dpo` with
 * beta_dpo = 5000 (its SD1.5 and SDXL runs) is β = 2500 in this form.
 */
import { jit, numpy as np, random, valueAndGrad } from "../engine/jax.js";
import { refTree } from "../engine/pytree.js";
import type { HostRng } from "../engine/random.js";
import { type DiffusionConfig, predictNoise, textVectors } from "../models/diffusion/model.js";
import { type NoiseSchedule, qCoefficients, qSample } from "../models/diffusion/schedule.js";
import type { TextEncoderParams } from "../models/diffusion/text-encoder.js";
import type { UNetParams } from "../models/diffusion/unet.js";
import { denoisingErrors } from "../objectives/denoising.js";
import { diffusionDpoLoss } from "../objectives/diffusion-dpo.js";
import type { PreferenceLossType } from "../objectives/preference-loss.js";
import type { AdamState, Adamw } from "../train/optimizer.js";

/** n pairs: images [n, S, S, 1] in [−1, 1], caption tokens [n, maxLen], shared noise and timesteps. */
export type DiffusionDpoBatch = {
  winner: np.Array;
  loser: np.Array;
  tokens: np.Array;
  /** ε [n, S, S, 1], the same for winner and loser */
  noise: np.Array;
  /** t [n] int32 */
  t: np.Array;
  /** √ᾱ_t and √(1 − ᾱ_t), [n] */
  a: np.Array;
  b: np.Array;
};

/** Noise, timesteps (uniform on 0..T−1 from the host generator) and q-coefficients for a batch. Consumes `key`. */
export function diffusionDpoBatch(
  schedule: NoiseSchedule,
  winner: np.Array,
  loser: np.Array,
  tokens: np.Array,
  key: np.Array,
  rng: HostRng,
): DiffusionDpoBatch {
  const n = winner.shape[0];
  const ts = Array.from({ length: n }, () => rng.int(schedule.T));
  const { a, b } = qCoefficients(schedule, ts);
  return {
    winner,
    loser,
    tokens,
    noise: random.normal(key, winner.shape),
    t: np.array(new Int32Array(ts), { dtype: np.int32 }),
    a: np.array(a),
    b: np.array(b),
  };
}

/**
 * A batch whose every random draw (t, then ε) comes from the host generator,
 * so a checkpointed generator state makes a resumed run draw the same
 * batches. Winner/loser pixels are host arrays n × S·S in [−1, 1].
 */
export function diffusionDpoBatchFromHost(
  schedule: NoiseSchedule,
  winner: Float32Array,
  loser: Float32Array,
  tokens: Int32Array,
  n: number,
  size: number,
  rng: HostRng,
): DiffusionDpoBatch {
  const ts = Array.from({ length: n }, () => rng.int(schedule.T));
  const eps = new Float32Array(n * size * size);
  for (let i = 0; i < eps.length; i++) eps[i] = rng.normal();
  const { a, b } = qCoefficients(schedule, ts);
  const img = (x: Float32Array) =>
    np.array(x as Float32Array<ArrayBuffer>).reshape([n, size, size, 1]);
  return {
    winner: img(winner),
    loser: img(loser),
    tokens: np.array(tokens as Int32Array<ArrayBuffer>, { dtype: np.int32 }).reshape([n, -1]),
    noise: img(eps),
    t: np.array(new Int32Array(ts), { dtype: np.int32 }),
    a: np.array(a),
    b: np.array(b),
  };
}

/**
 * The step's noised inputs for [winners; losers] (2n rows): x_t = √ᾱ_t x_0 + √(1−ᾱ_t) ε
 * with ε and t of pair i used for both its winner (row i) and its loser
 * (row n + i). Returns x_t, the target ε and t, each [2n, ...]. Consumes the batch's
 * winner, loser, noise, t, a and b (not tokens).
 */
export function diffusionDpoNoised(batch: DiffusionDpoBatch): {
  xt: np.Array;
  eps: np.Array;
  t: np.Array;
} {
  const two = (x: np.Array) => np.concatenate([x.ref, x], 0);
  const x0 = np.concatenate([batch.winner, batch.loser], 0);
  const eps = two(batch.noise);
  const t = two(batch.t);
  const xt = qSample(x0, eps.ref, two(batch.a), two(batch.b));
  return { xt, eps, t };
}

export type DiffusionDpoStepOptions = {
  beta: number;
  type?: PreferenceLossType;
  labelSmoothing?: number;
  /**
   * γ of an SFT term on the winners added to the preference loss,
   * L = L_DPO + γ·mean err_θ(x_w) (DPO+SFT, as RPO does for language
   * models); 0 or absent: plain Diffusion-DPO.
   */
  sftWeight?: number;
};

/**
 * The Diffusion-DPO loss of 2n noised rows, differentiable in the policy
 * UNet, and the TRL-style metrics: implicit accuracy, the policy's and the
 * reference's denoising errors on winners and losers, the implicit rewards
 * −β(err_θ − err_ref) of winners and losers and their margin. Consumes all.
 */
export function diffusionDpoObjective(
  config: DiffusionConfig,
  policy: UNetParams,
  xt: np.Array,
  t: np.Array,
  cond: np.Array,
  eps: np.Array,
  refErr: np.Array,
  o: DiffusionDpoStepOptions,
): [np.Array, Record<string, np.Array>] {
  const n = refErr.shape[0] / 2;
  const err = denoisingErrors(predictNoise(policy, xt, t, cond, config), eps);
  const errW = err.ref.slice([0, n]);
  const errL = err.slice([n, 2 * n]);
  const refW = refErr.ref.slice([0, n]);
  const refL = refErr.slice([n, 2 * n]);
  const rewardW = errW.ref.sub(refW.ref).mul(-o.beta);
  const rewardL = errL.ref.sub(refL.ref).mul(-o.beta);
  const out = diffusionDpoLoss(
    {
      modelErrChosen: errW.ref,
      modelErrRejected: errL.ref,
      refErrChosen: refW.ref,
      refErrRejected: refL.ref,
    },
    o,
  );
  out.losses.dispose();
  out.inside.dispose();
  const gamma = o.sftWeight ?? 0;
  const extra: Record<string, np.Array> = {};
  let loss = out.loss;
  if (gamma > 0) {
    extra.dpo_loss = loss.ref;
    loss = loss.add(errW.ref.mean().mul(gamma));
  }
  return [
    loss,
    {
      ...extra,
      implicit_accuracy: out.implicitAccuracy,
      "rewards/chosen": rewardW.ref.mean(),
      "rewards/rejected": rewardL.ref.mean(),
      "rewards/margins": rewardW.sub(rewardL).mean(),
      mse_w: errW.mean(),
      mse_l: errL.mean(),
      ref_mse_w: refW.mean(),
      ref_mse_l: refL.mean(),
    },
  ];
}

export type DiffusionDpoStepResult<T = UNetParams> = {
  loss: np.Array;
  /** implicit_accuracy, rewards/{chosen,rejected,margins}, mse_w, mse_l, ref_mse_w, ref_mse_l */
  aux: Record<string, np.Array>;
  unet: T;
  state: AdamState<T>;
  gradNorm: np.Array;
};

/** A compiled UNet update on batches `B` (consumes every argument). */
export type DiffusionDpoStepFn<T = UNetParams, B = DiffusionDpoBatch> = ((
  trained: T,
  state: AdamState<T>,
  refUnet: UNetParams,
  text: TextEncoderParams,
  batch: B,
  lr: np.Array,
) => DiffusionDpoStepResult<T>) & { dispose(): void };

/** The policy UNet of the trained weights: the weights themselves, or LoRA merged into the frozen base. */
export type PolicyOf<T> = (trained: T, refUnet: UNetParams) => UNetParams;

/** A step's loss of the policy UNet on the prepared inputs, with its metrics. Consumes all. */
export type UnetObjective = (
  policy: UNetParams,
  ...inputs: np.Array[]
) => [np.Array, Record<string, np.Array>];

/**
 * The shared scaffolding of every compiled UNet preference step (Diffusion-DPO,
 * its SFT baseline, DUO): `prepare` turns the frozen networks and the batch
 * into the objective's inputs (outside the gradient: reference predictions,
 * text vectors, noised images; `refUnet` is lent, not consumed), `objective`
 * is differentiated in the trained weights through `policyOf`, and AdamW
 * updates them. The returned function consumes every argument.
 */
export function compileUnetStep<T, B>(
  opt: Adamw,
  prepare: (refUnet: UNetParams, text: TextEncoderParams, batch: B) => np.Array[],
  objective: UnetObjective,
  policyOf: PolicyOf<T> = (t) => t as unknown as UNetParams,
): DiffusionDpoStepFn<T, B> {
  // traced over concrete pytrees; T only shapes the caller's view
  const policy = policyOf as unknown as PolicyOf<UNetParams>;
  const loss = (trained: UNetParams, base: UNetParams, ...inputs: np.Array[]) =>
    objective(policy(trained, base), ...inputs);
  return jit(
    (
      trained: UNetParams,
      st: AdamState<UNetParams>,
      refUnet: UNetParams,
      text: TextEncoderParams,
      batch: B,
      lr: np.Array,
    ): DiffusionDpoStepResult => {
      const inputs = prepare(refUnet, text, batch);
      const [[value, aux], grads] = valueAndGrad(loss, { hasAux: true })(
        refTree(trained),
        refUnet,
        ...inputs,
      );
      const next = opt.step(trained, grads, st, lr);
      return { loss: value, aux, unet: next.params, state: next.state, gradNorm: next.gradNorm };
    },
  ) as unknown as DiffusionDpoStepFn<T, B>;
}

/**
 * The pair rows' inputs of a Diffusion-DPO objective: [x_t, t, cond, ε, refErr]
 * for the 2n rows [winners; losers] (`diffusionDpoNoised`), `cond` the pairs'
 * text vectors [n, ...] repeated for both halves, refErr the frozen reference's
 * per-row denoising errors. Consumes `cond` and the batch (not tokens); `refUnet` is lent.
 */
export function diffusionDpoInputs(
  config: DiffusionConfig,
  refUnet: UNetParams,
  cond: np.Array,
  batch: DiffusionDpoBatch,
): np.Array[] {
  const { xt, eps, t } = diffusionDpoNoised(batch);
  const cond2 = np.concatenate([cond.ref, cond], 0);
  const refErr = denoisingErrors(
    predictNoise(refTree(refUnet), xt.ref, t.ref, cond2.ref, config, "inference"),
    eps.ref,
  );
  return [xt, t, cond2, eps, refErr];
}

/** The Diffusion-DPO step's preparation: the pairs' text vectors, then `diffusionDpoInputs`. */
export function diffusionDpoPrepare(config: DiffusionConfig) {
  return (refUnet: UNetParams, text: TextEncoderParams, batch: DiffusionDpoBatch) =>
    diffusionDpoInputs(config, refUnet, textVectors(text, batch.tokens, config), batch);
}

/**
 * The compiled step. `policyOf(trained, refUnet)` builds the policy UNet
 * (default: the trained weights are the UNet). Consumes every argument (pass
 * `refTree(refUnet)` and `refTree(text)` to keep the frozen networks);
 * returns the updated weights and optimiser state.
 */
export function makeDiffusionDpoStep<T = UNetParams>(
  config: DiffusionConfig,
  opt: Adamw,
  o: DiffusionDpoStepOptions,
  policyOf?: PolicyOf<T>,
): DiffusionDpoStepFn<T> {
  return compileUnetStep<T, DiffusionDpoBatch>(
    opt,
    diffusionDpoPrepare(config),
    (policy, xt, t, cond, eps, refErr) =>
      diffusionDpoObjective(config, policy, xt, t, cond, eps, refErr, o),
    policyOf,
  );
}

/**
 * Diffusion-SFT on the winners (the paper's "SFT" baseline): the plain
 * denoising loss E‖ε − ε_θ(x_w, t)‖² on the preferred images only, same
 * batch layout (losers are ignored) and the same metrics names where they
 * apply (mse_w). Consumes every argument.
 */
export function makeDiffusionSftStep<T = UNetParams>(
  config: DiffusionConfig,
  opt: Adamw,
  policyOf?: PolicyOf<T>,
): DiffusionDpoStepFn<T> {
  return compileUnetStep<T, DiffusionDpoBatch>(
    opt,
    (_refUnet, text, batch) => {
      const cond = textVectors(text, batch.tokens, config);
      batch.loser.dispose();
      const xt = qSample(batch.winner, batch.noise.ref, batch.a, batch.b);
      return [xt, batch.t, cond, batch.noise];
    },
    (policy, xt, t, cond, eps) => {
      const err = denoisingErrors(predictNoise(policy, xt, t, cond, config), eps);
      return [err.ref.mean(), { mse_w: err.mean() }];
    },
    policyOf,
  );
}
