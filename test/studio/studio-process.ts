/**
 * Runs the `prefopt studio` command (studio-cli.ts: the CLI's studio command
 * group alone) as a child process on 127.0.0.1, and resolves with its URL
 * once it listens. Jobs the studio starts (DPO, generation) run the full CLI.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { type AddressInfo, createServer } from "node:net";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("./studio-cli.ts", import.meta.url));

export type StudioProcess = { child: ChildProcess; url: string; output: () => string };

export function startStudio(dataDir: string, port = 0): Promise<StudioProcess> {
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      CLI,
      "studio",
      "--data",
      dataDir,
      "--port",
      String(port),
      "--host",
      "127.0.0.1",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`prefopt studio did not start in 60 s:\n${out}`));
    }, 60_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /prefopt studio: (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], output: () => out });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`prefopt studio exited (${code}) before listening:\n${out}`));
    });
  });
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** Stops a studio process with `signal` and waits for it to exit. */
export function stopStudio(p: StudioProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  return new Promise((resolve) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
    p.child.once("exit", () => resolve());
    p.child.kill(signal);
  });
}
