/**
 * A web `Worker` on top of Node's `worker_threads`, just enough for the
 * @jax-js/jax WebAssembly thread pool: it is built from a blob: URL holding a
 * classic script that uses `self.onmessage` and `postMessage`, receives a
 * shared `WebAssembly.Memory` and compiled modules, and answers every message
 * it gets exactly once. Threads are unref'd while idle so a finished program
 * exits, and ref'd while they owe an answer so an awaited kernel keeps the
 * process alive.
 */
import type { Worker as NodeWorker } from "node:worker_threads";
import { nodeBuiltin } from "./node-builtins.js";

const BOOTSTRAP = `
const { parentPort, workerData } = require("node:worker_threads");
globalThis.self = globalThis;
globalThis.postMessage = (data) => parentPort.postMessage(data);
parentPort.on("message", (data) => {
  if (typeof self.onmessage === "function") self.onmessage({ data });
});
(0, eval)(workerData.source);
`;

type MessageHandler = ((e: { data: unknown }) => void) | null;

export class NodeWebWorker {
  onmessage: MessageHandler = null;
  onerror: ((e: { message: string }) => void) | null = null;
  #worker: NodeWorker | null = null;
  #queued: unknown[] = [];
  #pending = 0;
  #terminated = false;

  constructor(url: string | URL, _options?: { type?: string }) {
    const href = String(url);
    const blob = nodeBuiltin("buffer").resolveObjectURL(href);
    if (!blob) throw new Error(`worker-shim: cannot resolve ${href}`);
    blob.text().then(
      (source) => this.#start(source),
      (err: Error) => this.onerror?.({ message: err.message }),
    );
  }

  #start(source: string): void {
    if (this.#terminated) return;
    const w = new (nodeBuiltin("worker_threads").Worker)(BOOTSTRAP, {
      eval: true,
      workerData: { source },
    });
    w.on("message", (data) => {
      if (--this.#pending <= 0) {
        this.#pending = 0;
        w.unref();
      }
      this.onmessage?.({ data });
    });
    w.on("error", (err: Error) => this.onerror?.({ message: err.message }));
    this.#worker = w;
    if (this.#pending === 0) w.unref();
    for (const m of this.#queued) w.postMessage(m);
    this.#queued = [];
  }

  postMessage(data: unknown): void {
    this.#pending++;
    if (this.#worker) {
      this.#worker.ref();
      this.#worker.postMessage(data);
    } else this.#queued.push(data);
  }

  terminate(): void {
    this.#terminated = true;
    void this.#worker?.terminate();
  }
}

/** Installs the shim as the global `Worker` where none exists (Node). */
export function installWorkerShim(): void {
  const g = globalThis as Record<string, unknown>;
  if (typeof g.Worker === "undefined") g.Worker = NodeWebWorker;
}
