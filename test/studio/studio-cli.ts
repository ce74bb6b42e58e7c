/**
 * `prefopt studio` with only the studio's command group registered: the same
 * command code as the CLI, without loading every other command's modules, so
 * the tests' server processes start in a second or two.
 */
import { Command } from "commander";
import { registerStudio } from "../../src/cli/commands/studio.js";

const program = new Command("prefopt");
registerStudio(program);
await program.parseAsync();
