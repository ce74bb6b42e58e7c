/**
 * The prefopt command line. Each command group lives in its own file under
 * commands/ and registers itself on the program.
 */
import { Command, CommanderError } from "commander";
import { Interrupted, UserError } from "../engine/errors.js";
import { initEngine, parseDevice } from "../engine/init.js";
import { registerCommands } from "./commands/index.js";
import { VERSION } from "./version.js";

/**
 * Commander's usage errors as one prefopt line: "option '--n <n>' argument
 * '0' is invalid. expected …" becomes "--n: expected …".
 */
function usageError(text: string): string {
  const line = text.trim().replace(/^error: /, "");
  const m = /^option '(-[^' ]+)[^']*' argument '([^']*)' is invalid\. (.*)$/s.exec(line);
  return `prefopt: ${m ? `${m[1]}: ${m[3]}` : line} (see --help)\n`;
}

const program = new Command("prefopt")
  .description(
    "Align generative models with human preferences: reward models, DPO and its variants and RLHF for " +
      "language models; Diffusion-DPO and DUO concept unlearning for text-to-image diffusion; export to TRL for GPUs.",
  )
  .version(VERSION, "-V, --version", "print the version of prefopt")
  .option("--debug", "print stack traces for errors")
  .option(
    "--device <device>",
    "where arrays compute: cpu (WebAssembly, the default), webgpu (the GPU through WebGPU; in Node the optional package 'webgpu'), auto (webgpu when an adapter answers, else cpu); also PREFOPT_DEVICE",
  )
  // the device is chosen once, before any command computes
  .hook("preAction", async (cmd) => {
    const device = cmd.opts().device as string | undefined;
    if (device !== undefined) await initEngine({ device: parseDevice(device) });
  })
  // usage errors (unknown option, bad option value) exit 2 like bad input, on one line
  .configureOutput({ outputError: (text, write) => write(usageError(text)) })
  .exitOverride();

registerCommands(program);

const PATH_ERRORS = new Set([
  "ENOENT",
  "ENOTDIR",
  "EISDIR",
  "EACCES",
  "EPERM",
  "EROFS",
  "EEXIST",
  "ENOSPC",
  "ENAMETOOLONG",
]);

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
  const debug = process.argv.includes("--debug");
  // a run stopped by SIGINT/SIGTERM after saving: the message says how to continue
  if (err instanceof Interrupted) {
    console.error(`prefopt: ${err.message}`);
    process.exit(err.exitCode);
  }
  // a path that cannot be read or written (bad --out, missing file, no permission) is bad input too
  const fsErr = err as NodeJS.ErrnoException;
  if (!debug && typeof fsErr?.code === "string" && PATH_ERRORS.has(fsErr.code) && fsErr.path) {
    const what = fsErr.message.replace(/^[A-Z]+: /, "").replace(/, \w+ '.*'$/, "");
    console.error(
      `prefopt: ${fsErr.path}: cannot ${fsErr.syscall ?? "access"} (${fsErr.code}: ${what})`,
    );
    process.exit(2);
  }
  if (err instanceof UserError && !debug) {
    console.error(`prefopt: ${err.message.replace(/\s*\n\s*/g, " ")}`);
    process.exit(2);
  }
  if (!debug) {
    console.error(`prefopt: ${(err as Error).message ?? err}`);
    console.error("(run with --debug for the stack trace)");
    process.exit(1);
  }
  throw err;
}
