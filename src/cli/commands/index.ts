/** Every command group of the CLI; add one line per group. */
import type { Command } from "commander";
import { registerData } from "./data.js";
import { registerDiffusion } from "./diffusion.js";
import { registerEval } from "./eval.js";
import { registerExperiment } from "./experiment.js";
import { registerExport } from "./export.js";
import { registerLM } from "./lm.js";
import { registerPreference } from "./preference.js";
import { registerStudio } from "./studio.js";
import { registerUnlearning } from "./unlearning.js";
import { registerVerify } from "./verify.js";
import { registerViz } from "./viz.js";

export function registerCommands(program: Command): void {
  registerData(program);
  registerDiffusion(program);
  registerEval(program);
  registerExperiment(program);
  registerExport(program);
  registerLM(program);
  registerPreference(program);
  registerStudio(program);
  registerUnlearning(program);
  registerVerify(program);
  registerViz(program);
}
