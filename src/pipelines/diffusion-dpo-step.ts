/**
 * One Diffusion-DPO update (Wallace et al. 2023) as a single jit-compiled
 * program. Winner and loser of a pair are noised with the same ε and the
 * same timestep t; the policy UNet (trained) and the frozen reference UNet
 * predict the noise of both; with per-example pixel-mean errors
 *   inside = −β·[(err_θ(x_w) − err_ref(x_w)) − (err_θ(x_l) − err_ref(x_l))],
 *   L = −mean log σ(inside)            (objectives/diffusion-dpo.ts)
 * and AdamW updates the UNet. The text encoder is frozen (its vectors are
 * computed once per step and shared by policy and reference).
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

export type DiffusionDpoStepResult = {
  loss: np.Array;
  /** implicit_accuracy, inside (mean), mse_w, mse_l (policy errors) */
  aux: Record<string, np.Array>;
  unet: UNetParams;
  state: AdamState<UNetParams>;
  gradNorm: np.Array;
};

export type DiffusionDpoStepFn = ((
  unet: UNetParams,
  state: AdamState<UNetParams>,
  refUnet: UNetParams,
  text: TextEncoderParams,
  batch: DiffusionDpoBatch,
  lr: np.Array,
) => DiffusionDpoStepResult) & { dispose(): void };

/**
 * The compiled step. Consumes every argument (pass `refTree(refUnet)` and
 * `refTree(text)` to keep the frozen networks); returns the updated UNet and state.
 */
export function makeDiffusionDpoStep(
  config: DiffusionConfig,
  opt: Adamw,
  o: { beta: number; type?: PreferenceLossType; labelSmoothing?: number },
): DiffusionDpoStepFn {
  const objective = (
    unet: UNetParams,
    xt: np.Array,
    t: np.Array,
    cond: np.Array,
    eps: np.Array,
    refErr: np.Array,
  ): [np.Array, Record<string, np.Array>] => {
    const n = refErr.shape[0] / 2;
    const err = denoisingErrors(predictNoise(unet, xt, t, cond, config), eps);
    const out = diffusionDpoLoss(
      {
        modelErrChosen: err.ref.slice([0, n]),
        modelErrRejected: err.ref.slice([n, 2 * n]),
        refErrChosen: refErr.ref.slice([0, n]),
        refErrRejected: refErr.slice([n, 2 * n]),
      },
      o,
    );
    out.losses.dispose();
    return [
      out.loss,
      {
        implicit_accuracy: out.implicitAccuracy,
        inside: out.inside.mean(),
        mse_w: err.ref.slice([0, n]).mean(),
        mse_l: err.slice([n, 2 * n]).mean(),
      },
    ];
  };
  return jit(
    (
      unet: UNetParams,
      st: AdamState<UNetParams>,
      refUnet: UNetParams,
      text: TextEncoderParams,
      batch: DiffusionDpoBatch,
      lr: np.Array,
    ): DiffusionDpoStepResult => {
      const two = (x: np.Array) => np.concatenate([x.ref, x], 0);
      const x0 = np.concatenate([batch.winner, batch.loser], 0);
      const eps = two(batch.noise);
      const t = two(batch.t);
      const xt = qSample(x0, eps.ref, two(batch.a), two(batch.b));
      const cond = two(textVectors(text, batch.tokens, config));
      const refErr = denoisingErrors(
        predictNoise(refUnet, xt.ref, t.ref, cond.ref, config, "inference"),
        eps.ref,
      );
      const [[loss, aux], grads] = valueAndGrad(objective, { hasAux: true })(
        refTree(unet),
        xt,
        t,
        cond,
        eps,
        refErr,
      );
      const next = opt.step(unet, grads, st, lr);
      return { loss, aux, unet: next.params, state: next.state, gradNorm: next.gradNorm };
    },
  ) as unknown as DiffusionDpoStepFn;
}
