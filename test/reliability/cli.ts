/** Runs the real prefopt CLI as a child process (node bin/prefopt.js), for the reliability tests. */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const BIN = join(ROOT, "bin", "prefopt.js");

export type CliResult = {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
};

/** Runs `prefopt ...args` to completion (one engine thread: the tests share 2 cores). */
export function runCli(args: string[], opts: { timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, PREFOPT_THREADS: "1", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    // a safety net against a hung child only: loaded machines make honest runs slow
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 1_800_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** True when the text holds a JavaScript stack frame ("    at f (file:1:2)"). */
export function hasStack(text: string): boolean {
  return /^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>)\s*$/m.test(text);
}
