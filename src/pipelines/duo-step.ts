/**
 * One DUO update (Park et al. 2024) as a single jit-compiled program: the
 * shared Diffusion-DPO objective (pipelines/diffusion-dpo-step.ts, safe image
 * = winner, unsafe = loser, same ε and t) plus output preservation on pure
 * noise at the last timestep (objectives/duo.ts):
 *   L = L_DiffusionDPO + λ·mean‖ε_θ(x_T, T−1, c∅) − ε_ref(x_T, T−1, c∅)‖²
 * where c∅ are the prior rows' prompts (the empty prompt, as the reference
 * code's `null_prompts`). With `priorT` in the batch the same term is taken
 * at those timesteps on whatever inputs the rows carry (pipelines/duo.ts:
 * noised safe images, our deviation). The text encoder and the reference UNet are frozen.
 */
import { numpy as np } from "../engine/jax.js";
import { refTree } from "../engine/pytree.js";
import type { HostRng } from "../engine/random.js";
import { type DiffusionConfig, predictNoise, textVectors } from "../models/diffusion/model.js";
import type { UNetParams } from "../models/diffusion/unet.js";
import { denoisingErrors } from "../objectives/denoising.js";
import { outputPreservationLoss } from "../objectives/duo.js";
import type { Adamw } from "../train/optimizer.js";
import {
  compileUnetStep,
  type DiffusionDpoBatch,
  type DiffusionDpoStepFn,
  type DiffusionDpoStepOptions,
  diffusionDpoInputs,
  diffusionDpoObjective,
  type PolicyOf,
} from "./diffusion-dpo-step.js";

/**
 * A Diffusion-DPO batch plus the preservation rows: their inputs [m, S, S, 1]
 * (pure noise x_T, the paper's, or noised images x_t), their timesteps
 * `priorT` [m] (absent: T−1 for every row, the paper's) and their prompt
 * tokens [m, maxLen].
 */
export type DuoBatch = DiffusionDpoBatch & {
  priorNoise: np.Array;
  priorTokens: np.Array;
  priorT?: np.Array;
};

/** m host-drawn N(0, I) images for the preservation term (drawn after the pair batch, so resumes replay it). */
export function priorNoiseFromHost(m: number, size: number, rng: HostRng): np.Array {
  const x = new Float32Array(m * size * size);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  return np.array(x).reshape([m, size, size, 1]);
}

export type DuoStepOptions = DiffusionDpoStepOptions & { lambda: number };

export type DuoStepFn<T = UNetParams> = DiffusionDpoStepFn<T, DuoBatch>;

/**
 * The compiled DUO step on the Diffusion-DPO step's scaffolding
 * (`compileUnetStep`, `diffusionDpoInputs`, `diffusionDpoObjective`); metrics
 * are the Diffusion-DPO step's plus `dpo_loss` and `preservation` (the
 * unweighted ‖ε_θ − ε_ref‖² on noise). `policyOf` as in
 * `makeDiffusionDpoStep` (LoRA). Consumes every argument.
 */
export function makeDuoStep<T = UNetParams>(
  config: DiffusionConfig,
  opt: Adamw,
  o: DuoStepOptions,
  policyOf?: PolicyOf<T>,
): DuoStepFn<T> {
  return compileUnetStep<T, DuoBatch>(
    opt,
    (refUnet, text, batch) => {
      const n = batch.tokens.shape[0];
      const m = batch.priorTokens.shape[0];
      // one text-encoder pass for the pairs' and the prior rows' prompts
      const textAll = textVectors(
        text,
        np.concatenate([batch.tokens, batch.priorTokens], 0),
        config,
      );
      const condT = textAll.ref.slice([n, n + m]);
      const pairs = diffusionDpoInputs(config, refUnet, textAll.slice([0, n]), batch);
      const tT = batch.priorT ?? np.full([m], config.schedule.T - 1, { dtype: np.int32 });
      const refEpsT = predictNoise(
        refTree(refUnet),
        batch.priorNoise.ref,
        tT.ref,
        condT.ref,
        config,
        "inference",
      );
      return [...pairs, batch.priorNoise, tT, condT, refEpsT];
    },
    (policy, xt, t, cond, eps, refErr, xT, tT, condT, refEpsT) => {
      const [dpo, aux] = diffusionDpoObjective(
        config,
        refTree(policy),
        xt,
        t,
        cond,
        eps,
        refErr,
        o,
      );
      const modelEpsT = predictNoise(policy, xT, tT, condT, config);
      const pres = np.mean(denoisingErrors(modelEpsT.ref, refEpsT.ref));
      const weighted = outputPreservationLoss(modelEpsT, refEpsT, o.lambda);
      aux.dpo_loss = dpo.ref;
      aux.preservation = pres;
      return [dpo.add(weighted), aux];
    },
    policyOf,
  );
}
