/** prefopt: the public library API. */

// preference optimisation of language models (data, reward models, DPO, RLHF, judges)
export { afinnScore } from "./data/afinn.js";
// language models (GPT-2, LLaMA in Hugging Face layout)
export { bpeTokenizerJSON, trainBPE } from "./data/bpe.js";
// text-to-image diffusion (the text-to-digit world, DESIGN §2)
export {
  captionVocabulary,
  isHeldOutCombo,
  makeCaption,
  parseCaption,
} from "./data/captions.js";
export { measureSet, sampleCaptionedBatch } from "./data/digit-captions.js";
export {
  type ImagePair,
  loadImagePairs,
  type PixelPair,
  readImagePairs,
} from "./data/image-pairs.js";
export { type DigitImages, loadMnist, loadMnistSplit } from "./data/mnist.js";
export { movieReviewCorpus, reviewSentence } from "./data/movie-reviews.js";
export {
  collatePairs,
  collateSequences,
  type TokenizedPair,
  tokenizePairs,
  truncatePair,
} from "./data/preference-collate.js";
export {
  type ChatTemplate,
  loadPreferenceJsonl,
  type PreferenceExample,
  parsePreferenceJsonl,
  preferenceJsonl,
} from "./data/preference-data.js";
export {
  bradleyTerryPreferences,
  embeddedPreferences,
  evaluatePolicy,
  sampleAndScore,
  sentimentPrompts,
} from "./data/sentiment-preferences.js";
export { loadSFTJsonl, positiveReviewSFT, type SFTExample, tokenizeSFT } from "./data/sft-data.js";
// engine I/O: safetensors, atomic writes
export { writeFileAtomic, writeJsonAtomic } from "./engine/atomic.js";
export { UserError } from "./engine/errors.js";
export { type EngineInfo, initEngine } from "./engine/init.js";
// the engine's array API: one copy of the engine for prefopt and its users (never a second @jax-js/jax)
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
export { decodeGrayPng, encodeGrayPng, readGrayPng, writeGrayPng } from "./engine/png.js";
export {
  decodeSafetensors,
  encodeSafetensors,
  fromHost,
  type HostTensor,
  loadParams,
  readSafetensors,
  type SafetensorsDType,
  saveParams,
  toHost,
  writeSafetensors,
} from "./engine/safetensors.js";
export { embeddingAttack } from "./eval/attack-embedding.js";
export { attackVocabulary, conceptVector, ringABell } from "./eval/attack-ring-a-bell.js";
export { synonymPrompts } from "./eval/attack-synonym.js";
export {
  CONCEPTS,
  type Concept,
  conceptByName,
  conceptPrompts,
  detectConcept,
  HEAVY_STROKES,
  RIGHT_SLANT,
  safePrompt,
  unsafePrompt,
} from "./eval/concept.js";
export { defenseOfImages, defenseSuccessRate } from "./eval/defense.js";
export { evaluateDefenses } from "./eval/defense-suite.js";
export {
  compareDiffusionModels,
  type DiffusionCompareResult,
  heldOutPrompts,
  sideBySide,
} from "./eval/diffusion-compare.js";
export { evaluatePromptFollowing, heldOutCombos } from "./eval/diffusion-eval.js";
export { type FrontierPoint, frontierPlot, frontierTable } from "./eval/frontier.js";
export {
  digitWorldJudges,
  digitWorldScores,
  type ImageJudge,
  type ImageScore,
  QUESTION_TEXT,
  type Question,
  scoreJudge,
  strayInk,
} from "./eval/image-judge.js";
export { imageDataUrl, type VisionJudgeOptions, visionJudge } from "./eval/image-judge-llm.js";
export { afinnJudge, type Judge, rewardModelJudge, scalarJudge } from "./eval/judges.js";
export { type LLMJudgeOptions, llmJudge, pairwisePrompt } from "./eval/llm-judge.js";
export { modelWinRate } from "./eval/model-win-rate.js";
export { meanImageDistance, priorPreservation, unrelatedPrompts } from "./eval/preservation.js";
export { frechetDistance } from "./eval/preservation-frechet.js";
export { type WinRate, wilsonInterval, winRate } from "./eval/win-rate.js";
export {
  generateImagePairs,
  trainingPrompts,
  writeImagePairs,
} from "./experiments/diffusion-dpo-pairs.js";
export {
  DUO_PAIRS_DEFAULTS,
  makeDuoPairs,
  pairVerdict,
  writeDuoPairs,
} from "./experiments/duo-pairs.js";
export { runSentimentExperiment } from "./experiments/sentiment.js";
export { runUnlearningExperiment } from "./experiments/unlearning.js";
export { defaultModelDir } from "./models/default-model.js";
export {
  fromPixels,
  type GenerateOptions as ImageGenerateOptions,
  generateImages,
  toPixels,
} from "./models/diffusion/generate.js";
export { encodePrompts, guidedEps } from "./models/diffusion/guidance.js";
export {
  type DiffusionConfig,
  type DiffusionModel,
  type DiffusionParams,
  defaultDiffusionConfig,
  initDiffusion,
  loadDiffusion,
  predictNoise,
  saveDiffusion,
  textVectors,
} from "./models/diffusion/model.js";
export {
  type EpsFn,
  type SamplerOptions,
  sampleLoop,
  samplerTimesteps,
} from "./models/diffusion/samplers.js";
export {
  makeSchedule,
  meanFromEps,
  type NoiseSchedule,
  posteriorMean,
  posteriorVariance,
  predictX0,
  qCoefficients,
  qSample,
} from "./models/diffusion/schedule.js";
export { type SdeditOptions, sdedit, sdeditStartStep } from "./models/diffusion/sdedit.js";
export { tokenize as tokenizeCaptions } from "./models/diffusion/tokenizer.js";
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
export { loadPretrained, savePretrained } from "./models/lm/hf.js";
export {
  collatePromptCompletion,
  maskedNLL,
  nextTokenLogProbs,
  sequenceLogProbs,
} from "./models/lm/logprobs.js";
export { fetchModelFiles, type ModelFiles, modelFromFiles } from "./models/lm/model-files.js";
export { completionLogProbs } from "./models/lm/pair-logprobs.js";
export { initParams, type LMParams } from "./models/lm/params.js";
export { RewardModel, rewardScores } from "./models/lm/reward-model.js";
export { sampleBatch } from "./models/lm/sample-batch.js";
export { LMTokenizer } from "./models/lm/tokenizer.js";
export {
  classifyDigits,
  type DigitClassifier,
  loadClassifier,
  predictDigits,
} from "./models/vision/digit-classifier.js";
export {
  CALIBRATION as STROKE_CALIBRATION,
  calibrateMeasures,
  measureDigit,
  strokeSlant,
  strokeThickness,
} from "./models/vision/measures.js";
// objectives (DESIGN §1)
export { bradleyTerryLoss } from "./objectives/bradley-terry.js";
export { denoisingErrors, denoisingLoss } from "./objectives/denoising.js";
export { diffusionDpoLoss, diffusionDpoMargin } from "./objectives/diffusion-dpo.js";
export { dpoLoss } from "./objectives/dpo.js";
export { duoLoss, outputPreservationLoss } from "./objectives/duo.js";
export { esdTarget } from "./objectives/esd.js";
export { klDivergence, klOptimum, klRegularisedObjective } from "./objectives/optimum.js";
export { type PreferenceLossType, preferenceLoss } from "./objectives/preference-loss.js";
export { klPenalisedRewards, rlooAdvantages, rlooLoss } from "./objectives/rloo.js";
export { runClassifierTrain } from "./pipelines/classifier-train.js";
export {
  DIFFUSION_DPO_DEFAULTS,
  type DiffusionDpoTrainOptions,
  runDiffusionDpo,
  UNET_LORA_TARGETS,
} from "./pipelines/diffusion-dpo.js";
export {
  type DiffusionDpoBatch,
  diffusionDpoBatch,
  diffusionDpoBatchFromHost,
  diffusionDpoNoised,
  diffusionDpoObjective,
  makeDiffusionDpoStep,
  makeDiffusionSftStep,
} from "./pipelines/diffusion-dpo-step.js";
export { type DiffusionTrainOptions, runDiffusionTrain } from "./pipelines/diffusion-train.js";
export { type DpoOptions, runDpo } from "./pipelines/dpo.js";
export {
  type DpoStepMetrics,
  DpoStepper,
  type DpoStepperOptions,
} from "./pipelines/dpo-stepper.js";
export {
  DUO_DEFAULTS,
  type DuoOptions,
  type DuoPreserve,
  type DuoPromptMode,
  duoHyperparameters,
  trainDuo,
} from "./pipelines/duo.js";
export { type DuoBatch, makeDuoStep, priorNoiseFromHost } from "./pipelines/duo-step.js";
export { ESD_DEFAULTS, makeEsdStep, trainEsd } from "./pipelines/esd.js";
export { type PretrainOptions, runPretrain } from "./pipelines/pretrain.js";
export { type RewardOptions, runReward } from "./pipelines/reward.js";
export { type RlhfOptions, runRlhf } from "./pipelines/rlhf.js";
export { runSft, type SftOptions } from "./pipelines/sft.js";
export {
  type CurvesFigure,
  type CurvesOptions,
  curvesFigure,
  runCurves,
  writeCurves,
} from "./report/curves.js";
export { imageGrid, writeImageGrid } from "./report/image-grid.js";
export {
  latestCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
  type TrainerState,
} from "./train/checkpoint.js";
export { MetricsLogger, readMetrics } from "./train/metrics.js";
export {
  type AdamState,
  type AdamwOptions,
  adamw,
  clipByGlobalNorm,
  decayMatrices,
  globalNorm,
} from "./train/optimizer.js";
export { ProgressBar } from "./train/progress.js";
export { cachedRefLogps, refCacheKey } from "./train/ref-logp-cache.js";
export type { TrainRunOptions } from "./train/run-options.js";
export {
  constantSchedule,
  cosineWarmup,
  linearWarmupDecay,
  type Schedule,
} from "./train/schedules.js";
export {
  NonFiniteLossError,
  runTraining,
  type Snapshot,
  type TrainingOptions,
  type TrainingResult,
} from "./train/trainer.js";
