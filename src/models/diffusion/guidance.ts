/**
 * Classifier-free guidance (Ho & Salimans): ε̃ = ε_θ(x, ∅) + g · (ε_θ(x, c) − ε_θ(x, ∅)),
 * where ∅ is the null prompt, or a negative prompt when one is given. Both
 * branches run as one batch of 2B.
 */
import { jit, numpy as np } from "../../engine/jax.js";
import { refTree } from "../../engine/pytree.js";
import { type DiffusionModel, predictNoise, textVectors } from "./model.js";
import type { EpsFn } from "./samplers.js";
import { tokenize } from "./tokenizer.js";

/** Text vectors [n, condDim] for captions ("" is the null prompt). */
export function encodePrompts(model: DiffusionModel, prompts: string[]): np.Array {
  const L = model.config.text.maxLen;
  const tok = np
    .array(tokenize(prompts, model.config.vocab, L), { dtype: np.int32 })
    .reshape([prompts.length, L]);
  return textVectors(refTree(model.params.text), tok, model.config);
}

const forwardCache = new WeakMap<DiffusionModel, ReturnType<typeof makeForward>>();

function makeForward(model: DiffusionModel) {
  return jit((p: DiffusionModel["params"]["unet"], x: np.Array, t: np.Array, text: np.Array) =>
    predictNoise(p, x, t, text, model.config, "inference"),
  );
}

/** The jit-compiled ε_θ(x, t, text) of a model (cached per model). Consumes x, t, text. */
export function modelForward(
  model: DiffusionModel,
): (x: np.Array, t: np.Array, text: np.Array) => np.Array {
  let f = forwardCache.get(model);
  if (!f) {
    f = makeForward(model);
    forwardCache.set(model, f);
  }
  const g = f;
  return (x, t, text) => g(refTree(model.params.unet), x, t, text);
}

/**
 * An EpsFn with guidance scale g for a batch of B images whose prompts are
 * encoded in `cond` [B, E] and `uncond` [B, E] (null or negative prompt).
 * g = 1 uses the conditional branch only; g = 0 the unconditional one. The
 * returned function keeps cond/uncond alive; call `dispose` when done.
 */
export function guidedEps(
  model: DiffusionModel,
  cond: np.Array,
  uncond: np.Array,
  guidance: number,
): EpsFn & { dispose: () => void } {
  const fwd = modelForward(model);
  const B = cond.shape[0];
  const both = np.concatenate([cond, uncond], 0);
  const fn = ((x: np.Array, t: number) => {
    if (guidance === 1) {
      return fwd(x, np.full([B], t), both.ref.slice([0, B]));
    }
    const out = fwd(np.concatenate([x.ref, x], 0), np.full([2 * B], t), both.ref);
    const ec = out.ref.slice([0, B]);
    const eu = out.slice([B, 2 * B]);
    return eu.ref.add(ec.sub(eu).mul(guidance));
  }) as EpsFn & { dispose: () => void };
  fn.dispose = () => both.dispose();
  return fn;
}
