/**
 * One DUO update (Park et al. 2024) as a single jit-compiled program: the
 * shared Diffusion-DPO objective (pipelines/diffusion-dpo-step.ts, safe image
 * = winner, unsafe = loser, same ε and t) plus output preservation on pure
 * noise at the last timestep (objectives/duo.ts):
 *   L = L_DiffusionDPO + λ·mean‖ε_θ(x_T, T−1, c∅) − ε_ref(x_T, T−1, c∅)‖²
 * where c∅ are the prior rows' prompts (the empty prompt, as the reference
 * code's `null_prompts`). The text encoder and the reference UNet are frozen.
 */
import { jit, numpy as np, valueAndGrad } from "../engine/jax.js";
import { refTree } from "../engine/pytree.js";
import type { HostRng } from "../engine/random.js";
import { type DiffusionConfig, predictNoise, textVectors } from "../models/diffusion/model.js";
import type { TextEncoderParams } from "../models/diffusion/text-encoder.js";
import type { UNetParams } from "../models/diffusion/unet.js";
import { denoisingErrors } from "../objectives/denoising.js";
import { outputPreservationLoss } from "../objectives/duo.js";
import type { AdamState, Adamw } from "../train/optimizer.js";
import {
  type DiffusionDpoBatch,
  type DiffusionDpoStepOptions,
  type DiffusionDpoStepResult,
  diffusionDpoNoised,
  diffusionDpoObjective,
} from "./diffusion-dpo-step.js";

/** A Diffusion-DPO batch plus the preservation rows: pure noise x_T [m, S, S, 1] and their prompt tokens [m, maxLen]. */
export type DuoBatch = DiffusionDpoBatch & { priorNoise: np.Array; priorTokens: np.Array };

/** m host-drawn N(0, I) images for the preservation term (drawn after the pair batch, so resumes replay it). */
export function priorNoiseFromHost(m: number, size: number, rng: HostRng): np.Array {
  const x = new Float32Array(m * size * size);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  return np.array(x).reshape([m, size, size, 1]);
}

export type DuoStepOptions = DiffusionDpoStepOptions & { lambda: number };

export type DuoStepFn<T = UNetParams> = ((
  trained: T,
  state: AdamState<T>,
  refUnet: UNetParams,
  text: TextEncoderParams,
  batch: DuoBatch,
  lr: np.Array,
) => DiffusionDpoStepResult<T>) & { dispose(): void };

/**
 * The compiled DUO step; metrics are the Diffusion-DPO step's plus
 * `dpo_loss` and `preservation` (the unweighted ‖ε_θ − ε_ref‖² on noise).
 * `policyOf` as in `makeDiffusionDpoStep` (LoRA). Consumes every argument.
 */
export function makeDuoStep<T = UNetParams>(
  config: DiffusionConfig,
  opt: Adamw,
  o: DuoStepOptions,
  policyOf: (trained: T, refUnet: UNetParams) => UNetParams = (t) => t as unknown as UNetParams,
): DuoStepFn<T> {
  const policy = policyOf as unknown as (p: UNetParams, base: UNetParams) => UNetParams;
  const objective = (
    trained: UNetParams,
    base: UNetParams,
    xt: np.Array,
    t: np.Array,
    cond: np.Array,
    eps: np.Array,
    refErr: np.Array,
    xT: np.Array,
    tT: np.Array,
    condT: np.Array,
    refEpsT: np.Array,
  ): [np.Array, Record<string, np.Array>] => {
    const [dpo, aux] = diffusionDpoObjective(
      config,
      policy(refTree(trained), refTree(base)),
      xt,
      t,
      cond,
      eps,
      refErr,
      o,
    );
    const modelEpsT = predictNoise(policy(trained, base), xT, tT, condT, config);
    const pres = np.mean(denoisingErrors(modelEpsT.ref, refEpsT.ref));
    const weighted = outputPreservationLoss(modelEpsT, refEpsT, o.lambda);
    aux.dpo_loss = dpo.ref;
    aux.preservation = pres;
    return [dpo.add(weighted), aux];
  };
  return jit(
    (
      trained: UNetParams,
      st: AdamState<UNetParams>,
      refUnet: UNetParams,
      text: TextEncoderParams,
      batch: DuoBatch,
      lr: np.Array,
    ): DiffusionDpoStepResult => {
      const n = batch.tokens.shape[0];
      const m = batch.priorTokens.shape[0];
      // one text-encoder pass for the pairs' and the prior rows' prompts
      const textAll = textVectors(
        text,
        np.concatenate([batch.tokens, batch.priorTokens], 0),
        config,
      );
      const cond = textAll.ref.slice([0, n]);
      const condT = textAll.slice([n, n + m]);
      const { xt, eps, t } = diffusionDpoNoised(batch);
      const cond2 = np.concatenate([cond.ref, cond], 0);
      const tT = np.full([m], config.schedule.T - 1, { dtype: np.int32 });
      const refErr = denoisingErrors(
        predictNoise(refTree(refUnet), xt.ref, t.ref, cond2.ref, config, "inference"),
        eps.ref,
      );
      const refEpsT = predictNoise(
        refTree(refUnet),
        batch.priorNoise.ref,
        tT.ref,
        condT.ref,
        config,
        "inference",
      );
      const [[loss, aux], grads] = valueAndGrad(objective, { hasAux: true })(
        refTree(trained),
        refUnet,
        xt,
        t,
        cond2,
        eps,
        refErr,
        batch.priorNoise,
        tT,
        condT,
        refEpsT,
      );
      const next = opt.step(trained, grads, st, lr);
      return { loss, aux, unet: next.params, state: next.state, gradNorm: next.gradNorm };
    },
  ) as unknown as DuoStepFn<T>;
}
