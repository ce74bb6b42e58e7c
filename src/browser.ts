/**
 * prefopt in the browser (the "browser" export condition, and "prefopt/browser"):
 * the part of the library that needs no Node built-in — the engine and its
 * array API, the objectives, safetensors from bytes, tokenizers from JSON, causal
 * LMs loaded from URLs (generate, log-probs) and DPO one step at a time. Models
 * come from `CausalLM.fromUrl(base)`; files and the CLI are Node-only.
 */

export {
  collatePairs,
  collateSequences,
  type TokenizedPair,
  tokenizePairs,
  truncatePair,
} from "./data/preference-collate.js";
export {
  type PreferenceExample,
  parsePreferenceJsonl,
  preferenceJsonl,
} from "./data/preference-data.js";
export { UserError } from "./engine/errors.js";
export { type EngineInfo, initEngine } from "./engine/init.js";
export {
  blockUntilReady,
  DType,
  defaultDevice,
  devices,
  grad,
  type JsTree,
  jit,
  jvp,
  lax,
  nn,
  numpy,
  numpy as np,
  random,
  tree,
  valueAndGrad,
  vjp,
  vmap,
} from "./engine/jax.js";
export {
  decodeSafetensors,
  encodeSafetensors,
  fromHost,
  type HostTensor,
  type SafetensorsDType,
  toHost,
} from "./engine/safetensors.js";
export { CausalLM } from "./models/lm/causal-lm.js";
export { type ChatMessage, renderChatTemplate } from "./models/lm/chat-template.js";
export {
  configFromHF,
  configToHF,
  gpt2Config,
  type LMConfig,
  llamaConfig,
} from "./models/lm/config.js";
export { type ForwardOptions, forward, type KVCache, lmLogits } from "./models/lm/forward.js";
export { type GenerateOptions, generateBatch, generateIds } from "./models/lm/generate.js";
export {
  collatePromptCompletion,
  maskedNLL,
  nextTokenLogProbs,
  sequenceLogProbs,
} from "./models/lm/logprobs.js";
export { fetchModelFiles, type ModelFiles, modelFromFiles } from "./models/lm/model-files.js";
export { completionLogProbs } from "./models/lm/pair-logprobs.js";
export { initParams, type LMParams } from "./models/lm/params.js";
export { LMTokenizer } from "./models/lm/tokenizer.js";
export { bradleyTerryLoss } from "./objectives/bradley-terry.js";
export { denoisingErrors, denoisingLoss } from "./objectives/denoising.js";
export { diffusionDpoLoss, diffusionDpoMargin } from "./objectives/diffusion-dpo.js";
export { dpoLoss } from "./objectives/dpo.js";
export { duoLoss, outputPreservationLoss } from "./objectives/duo.js";
export { esdTarget } from "./objectives/esd.js";
export { klDivergence, klOptimum, klRegularisedObjective } from "./objectives/optimum.js";
export { type PreferenceLossType, preferenceLoss } from "./objectives/preference-loss.js";
export {
  type DpoStepMetrics,
  DpoStepper,
  type DpoStepperOptions,
} from "./pipelines/dpo-stepper.js";
export {
  type AdamState,
  type AdamwOptions,
  adamw,
  clipByGlobalNorm,
  decayMatrices,
  globalNorm,
} from "./train/optimizer.js";
export {
  constantSchedule,
  cosineWarmup,
  linearWarmupDecay,
  type Schedule,
} from "./train/schedules.js";
