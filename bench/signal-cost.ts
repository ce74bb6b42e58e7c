/**
 * What one kernel chunk's hand-off to a worker thread costs, by mechanism, with no kernel work:
 * the engine pool's message round trip (a kernel message out, a "done" message back, as
 * src/engine/worker-shim.ts carries them), against a round trip through shared memory
 * (Atomics.notify out, the worker awaiting Atomics.waitAsync; Atomics.notify back, the main
 * thread awaiting Atomics.waitAsync), which is how a pool could signal all its workers at once.
 *
 *   npx tsx bench/signal-cost.ts [--rounds 20000]
 *
 * Prints one JSON line: µs per round trip for each (median of 5 batches).
 */
import { Worker } from "node:worker_threads";

const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf("--rounds") + 1] || 20000);

const WORKER = `
const { parentPort } = require("node:worker_threads");
let ctl = null;
parentPort.on("message", async (m) => {
  if (m.type === "kernel") { parentPort.postMessage({ type: "done", ok: true }); return; }
  if (m.type === "shared") {
    ctl = m.ctl;
    let seen = 0;
    for (;;) {
      const r = Atomics.waitAsync(ctl, 0, seen);
      if (r.async) await r.value;
      seen = Atomics.load(ctl, 0);
      if (seen < 0) return;
      Atomics.store(ctl, 1, seen);
      Atomics.notify(ctl, 1);
    }
  }
});
`;

/** Atomics.waitAsync (ES2024; Node 20 has it, TypeScript's ES2022 library does not declare it). */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: unknown };
  }
).waitAsync;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function messages(w: Worker, n: number): Promise<number> {
  const msg = { type: "kernel", kernelHash: "k", ptrs: [64, 128, 256, 512], begin: 0, end: 512 };
  const t0 = performance.now();
  for (let i = 0; i < n; i++)
    await new Promise<void>((resolve) => {
      w.once("message", () => resolve());
      w.postMessage(msg);
    });
  return ((performance.now() - t0) * 1000) / n;
}

async function shared(ctl: Int32Array, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const gen = Atomics.add(ctl, 0, 1) + 1;
    Atomics.notify(ctl, 0);
    while (Atomics.load(ctl, 1) !== gen) {
      const r = waitAsync(ctl, 1, Atomics.load(ctl, 1));
      if (r.async) await r.value;
    }
  }
  return ((performance.now() - t0) * 1000) / n;
}

const w = new Worker(WORKER, { eval: true });
const ctl = new Int32Array(new SharedArrayBuffer(8));
await messages(w, 2000);
const msgUs: number[] = [];
for (let b = 0; b < 5; b++) msgUs.push(await messages(w, rounds / 5));
w.postMessage({ type: "shared", ctl });
await shared(ctl, 2000);
const sharedUs: number[] = [];
for (let b = 0; b < 5; b++) sharedUs.push(await shared(ctl, rounds / 5));
Atomics.store(ctl, 0, -1);
Atomics.notify(ctl, 0);
await w.terminate();
console.log(
  JSON.stringify({
    bench: "signal_cost",
    message_round_trip_us: Number(median(msgUs).toFixed(2)),
    shared_memory_round_trip_us: Number(median(sharedUs).toFixed(2)),
  }),
);
