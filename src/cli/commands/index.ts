/** Every command group of the CLI; add one line per group. */
import type { Command } from "commander";

export function registerCommands(program: Command): void {
  void program;
}
