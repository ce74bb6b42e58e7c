/** Every command group of the CLI; add one line per group. */
import type { Command } from "commander";
import { registerLM } from "./lm.js";

export function registerCommands(program: Command): void {
  registerLM(program);
}
