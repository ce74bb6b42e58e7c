/** prefopt: the public library API. */

export { UserError } from "./engine/errors.js";
export { initEngine } from "./engine/init.js";

// objectives (DESIGN §1)
export { bradleyTerryLoss } from "./objectives/bradley-terry.js";
export { denoisingErrors, denoisingLoss } from "./objectives/denoising.js";
export { diffusionDpoLoss, diffusionDpoMargin } from "./objectives/diffusion-dpo.js";
export { dpoLoss } from "./objectives/dpo.js";
export { duoLoss, outputPreservationLoss } from "./objectives/duo.js";
export { esdTarget } from "./objectives/esd.js";
export { klDivergence, klOptimum, klRegularisedObjective } from "./objectives/optimum.js";
export { type PreferenceLossType, preferenceLoss } from "./objectives/preference-loss.js";
