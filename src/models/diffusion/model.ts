/**
 * The text-to-image diffusion model as data: a config (UNet, text encoder,
 * vocabulary, noise schedule) and a params pytree {unet, text}. Saved as
 * `config.json` + `model.safetensors` (dotted names) in one directory.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../engine/atomic.js";
import { UserError } from "../../engine/errors.js";
import type { numpy as np } from "../../engine/jax.js";
import { disposeTree } from "../../engine/pytree.js";
import { makeKey, splitKey } from "../../engine/random.js";
import { loadParams, saveParams } from "../../engine/safetensors.js";
import type { ConvPass } from "../../nn/conv2d.js";
import type { ScheduleKind } from "./schedule.js";
import {
  encodeText,
  initTextEncoder,
  type TextEncoderConfig,
  type TextEncoderParams,
} from "./text-encoder.js";
import { defaultVocabulary } from "./tokenizer.js";
import { initUNet, type UNetConfig, type UNetParams, unetForward } from "./unet.js";
import { validateDiffusionConfig } from "./validate-config.js";

export type DiffusionConfig = {
  modelType: "prefopt-text-to-digit";
  imageSize: number;
  unet: UNetConfig;
  text: TextEncoderConfig;
  vocab: string[];
  schedule: { kind: ScheduleKind; T: number };
};

export type DiffusionParams = { unet: UNetParams; text: TextEncoderParams };

export type DiffusionModel = { config: DiffusionConfig; params: DiffusionParams };

/** The default laptop-scale configuration (about 1 M parameters). */
export function defaultDiffusionConfig(over: Partial<DiffusionConfig> = {}): DiffusionConfig {
  const vocab = over.vocab ?? defaultVocabulary();
  const condDim = over.unet?.condDim ?? 128;
  return {
    modelType: "prefopt-text-to-digit",
    imageSize: 28,
    unet: { channels: [64, 128], condDim, groups: 8 },
    text: { vocabSize: vocab.length, maxLen: 8, dim: 64, layers: 2, heads: 4, outDim: condDim },
    vocab,
    schedule: { kind: "linear", T: 1000 },
    ...over,
  };
}

export function initDiffusion(key: np.Array, config: DiffusionConfig): DiffusionParams {
  const [ku, kt] = splitKey(key, 2);
  return { unet: initUNet(ku, config.unet), text: initTextEncoder(kt, config.text) };
}

/** Text vectors [B, condDim] for token ids [B, maxLen]. Consumes text params and tokens. */
export function textVectors(
  p: TextEncoderParams,
  tokens: np.Array,
  config: DiffusionConfig,
): np.Array {
  return encodeText(p, tokens, config.text);
}

/**
 * ε_θ(x_t, t, c) with c given as text vectors. `pass`: "training" when
 * gradients are taken through it, "inference" for sampling (same values, the
 * faster formulation of each). Consumes its arrays.
 */
export function predictNoise(
  p: UNetParams,
  x: np.Array,
  t: np.Array,
  text: np.Array,
  config: DiffusionConfig,
  pass: ConvPass = "training",
): np.Array {
  return unetForward(p, x, t, text, config.unet, pass);
}

/** Writes config.json and model.safetensors into `dir` (params not consumed). */
export async function saveDiffusion(
  dir: string,
  model: DiffusionModel,
  metadata: Record<string, string> = {},
): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await saveParams(join(dir, "model.safetensors"), model.params, metadata);
  writeFileAtomic(join(dir, "config.json"), `${JSON.stringify(model.config, null, 2)}\n`);
}

/** Reads a directory written by `saveDiffusion`; errors name the file and field. */
export function loadDiffusion(dir: string): DiffusionModel {
  const cfgPath = join(dir, "config.json");
  if (!existsSync(cfgPath))
    throw new UserError(`${cfgPath}: not found (expected a diffusion model directory)`);
  let config: DiffusionConfig;
  try {
    config = JSON.parse(readFileSync(cfgPath, "utf8")) as DiffusionConfig;
  } catch (e) {
    throw new UserError(`${cfgPath}: invalid JSON: ${(e as Error).message}`);
  }
  if (config?.modelType !== "prefopt-text-to-digit") {
    throw new UserError(
      `${cfgPath}: field "modelType" is ${JSON.stringify(config?.modelType)}, expected "prefopt-text-to-digit"`,
    );
  }
  for (const f of ["unet", "text", "vocab", "schedule"] as const) {
    if (config[f] === undefined) throw new UserError(`${cfgPath}: missing field "${f}"`);
  }
  validateDiffusionConfig(config, cfgPath);
  const template = initDiffusion(makeKey(0), config);
  const params = loadParams(join(dir, "model.safetensors"), template);
  disposeTree(template);
  return { config, params };
}
