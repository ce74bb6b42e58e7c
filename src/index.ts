/** prefopt: the public library API. */

// engine I/O: safetensors, atomic writes
export { writeFileAtomic, writeJsonAtomic } from "./engine/atomic.js";
export { UserError } from "./engine/errors.js";
export { initEngine } from "./engine/init.js";
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
// objectives (DESIGN §1)
export { bradleyTerryLoss } from "./objectives/bradley-terry.js";
export { denoisingErrors, denoisingLoss } from "./objectives/denoising.js";
export { diffusionDpoLoss, diffusionDpoMargin } from "./objectives/diffusion-dpo.js";
export { dpoLoss } from "./objectives/dpo.js";
export { duoLoss, outputPreservationLoss } from "./objectives/duo.js";
export { esdTarget } from "./objectives/esd.js";
export { klDivergence, klOptimum, klRegularisedObjective } from "./objectives/optimum.js";
export { type PreferenceLossType, preferenceLoss } from "./objectives/preference-loss.js";
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
