/**
 * The prefopt command line. Each command group lives in its own file under
 * commands/ and registers itself on the program.
 */
import { Command } from "commander";
import { UserError } from "../engine/errors.js";
import { registerCommands } from "./commands/index.js";

const program = new Command("prefopt")
  .description(
    "Align generative models with human preferences: reward models, DPO, RLHF, Diffusion-DPO, DUO.",
  )
  .option("--debug", "print stack traces for errors")
  .showHelpAfterError();

registerCommands(program);

try {
  await program.parseAsync();
} catch (err) {
  const debug = process.argv.includes("--debug");
  if (err instanceof UserError && !debug) {
    console.error(`prefopt: ${err.message}`);
    process.exit(2);
  }
  if (!debug) {
    console.error(`prefopt: ${(err as Error).message ?? err}`);
    console.error("(run with --debug for the stack trace)");
    process.exit(1);
  }
  throw err;
}
