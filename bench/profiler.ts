/**
 * Kernel-level profiler for the WebAssembly engine. It installs, before the
 * engine loads, a `Worker` like src/engine/worker-shim.ts whose threads time
 * every kernel they run (performance.now around the call, inside the worker),
 * and turns on the engine's own dispatch trace, which names each kernel in
 * dispatch order (its expression, size and reduction). Dispatches run in
 * that same order on a serial queue, so the i-th traced kernel is the i-th
 * kernel message: with one engine thread a kernel is one message; with two,
 * a kernel's halves are summed (wall time of a kernel = its slowest half).
 *
 * Categories: `matmul` (a sum over a product of two arrays, both read along
 * the reduction index: a matrix product; FLOPs = 2·size·reduction), other
 * `reduction` (softmax/norm sums, maxima), `elementwise`, and routines by
 * name. Import this module before anything that imports the engine. With two or more
 * threads it keeps every chunk of a kernel in the workers (the engine patch would run the
 * first one on the calling thread, out of the profiler's sight), so its wall time is that of
 * the unpatched two-worker dispatch; kernel times are unaffected.
 */
import { resolveObjectURL } from "node:buffer";
import { Worker as NodeWorker } from "node:worker_threads";

const BOOTSTRAP = `
const { parentPort, workerData } = require("node:worker_threads");
globalThis.self = globalThis;
let t0 = 0;
globalThis.postMessage = (data) => {
  if (data && data.type === "done") data.ms = performance.now() - t0;
  parentPort.postMessage(data);
};
parentPort.on("message", (data) => {
  t0 = performance.now();
  if (typeof self.onmessage === "function") self.onmessage({ data });
});
(0, eval)(workerData.source);
`;

type Sent = { kind: string; seq: number; ms?: number; begin?: number; end?: number };
/** Every kernel/routine message, in send order, with the worker's own run time once answered. */
const sent: Sent[] = [];
let seq = 0;
let recording = false;

class ProfilingWorker {
  onmessage: ((e: { data: unknown }) => void) | null = null;
  onerror: ((e: { message: string }) => void) | null = null;
  #worker: NodeWorker | null = null;
  #queued: unknown[] = [];
  #pending: Sent[] = [];
  #outstanding = 0;

  constructor(url: string | URL) {
    const blob = resolveObjectURL(String(url));
    if (!blob) throw new Error(`profiler: cannot resolve ${url}`);
    blob.text().then((source) => this.#start(source));
  }

  #start(source: string): void {
    const w = new NodeWorker(BOOTSTRAP, { eval: true, workerData: { source } });
    w.on("message", (data: { type?: string; ms?: number }) => {
      if (--this.#outstanding <= 0) {
        this.#outstanding = 0;
        w.unref();
      }
      if (data?.type === "done") {
        const s = this.#pending.shift();
        if (s) s.ms = data.ms;
      }
      this.onmessage?.({ data });
    });
    w.on("error", (err: Error) => this.onerror?.({ message: err.message }));
    this.#worker = w;
    if (this.#outstanding === 0) w.unref();
    for (const m of this.#queued) w.postMessage(m);
    this.#queued = [];
  }

  postMessage(data: { type?: string; begin?: number; end?: number }): void {
    this.#outstanding++;
    if (data?.type === "kernel" || data?.type === "routine") {
      // the halves of one kernel share a sequence number (the first half has begin 0)
      if (data.type === "routine" || data.begin === 0) seq++;
      const s: Sent = { kind: data.type, seq, begin: data.begin, end: data.end };
      this.#pending.push(s);
      if (recording) sent.push(s);
    }
    if (this.#worker) {
      this.#worker.ref();
      this.#worker.postMessage(data);
    } else this.#queued.push(data);
  }

  terminate(): void {
    void this.#worker?.terminate();
  }
}

(globalThis as Record<string, unknown>).Worker = ProfilingWorker;
// every kernel half in a worker, where it is timed: the engine patch otherwise runs the first
// chunk of each kernel on the calling thread (patches/@jax-js+jax+0.1.25.patch)
(globalThis as Record<string, unknown>).__jaxWasmMainChunk = false;

export type KernelRecord = {
  category: string;
  label: string;
  exp: string;
  size: number;
  reduction: number;
  flops: number;
  ms: number;
  /** The work items (output elements) of each chunk the pool split the kernel into; [] for a routine. */
  chunks: number[];
};

type Measure = PerformanceEntry & {
  detail?: { devtools?: { properties?: [string, string][] } };
};

/** A matrix product: an Add-reduction of a product of two global reads, both indexed by $ridx. */
function classify(label: string, exp: string, reduction: string | undefined): string {
  if (!label.startsWith("Kernel")) return label;
  if (!reduction) return "elementwise";
  const [op] = reduction.split(":");
  const prod =
    /^\(GV_(\d+)<float32>\{[^}]*\}\[[^\]]*\$ridx[^\]]*\] \* GV_(\d+)<float32>\{[^}]*\}\[[^\]]*\$ridx[^\]]*\]\)$/;
  const m = prod.exec(exp);
  if (op === "Add" && m && m[1] !== m[2]) return "matmul";
  return "reduction";
}

/**
 * Runs `fn` (which must await all its work) with tracing on and returns one
 * record per kernel, in dispatch order, with the worker time of each.
 */
export async function profileKernels(
  engine: { profiler: { startTrace(): void; stopTrace(): void } },
  fn: () => Promise<void>,
): Promise<KernelRecord[]> {
  const measures: Measure[] = [];
  const obs = new PerformanceObserver((l) => {
    for (const e of l.getEntries()) measures.push(e as Measure);
  });
  obs.observe({ entryTypes: ["measure"] });
  sent.length = 0;
  recording = true;
  engine.profiler.startTrace();
  await fn();
  engine.profiler.stopTrace();
  recording = false;
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  performance.clearMeasures();
  // group sent messages by kernel sequence: wall = max over halves
  const bySeq = new Map<number, { ms: number; chunks: number[] }>();
  const order: number[] = [];
  for (const s of sent) {
    let k = bySeq.get(s.seq);
    if (!k) {
      order.push(s.seq);
      k = { ms: 0, chunks: [] };
      bySeq.set(s.seq, k);
    }
    k.ms = Math.max(k.ms, s.ms ?? 0);
    if (s.kind === "kernel") k.chunks.push((s.end ?? 0) - (s.begin ?? 0));
  }
  const noRun = () => ({ ms: 0, chunks: [] as number[] });
  const runs = order.map((k) => bySeq.get(k) ?? noRun());
  const out: KernelRecord[] = [];
  let i = 0;
  for (const m of measures) {
    const props = Object.fromEntries(m.detail?.devtools?.properties ?? []);
    const size = Number(props.size ?? 0);
    const exp = props.exp ?? "";
    const red = props.reduction as string | undefined;
    const rsize = red ? Number(red.split(":")[1]) : 0;
    const category = classify(m.name, exp, red);
    // kernels of size 0 send no message
    const run = m.name.startsWith("Kernel") && size === 0 ? noRun() : (runs[i++] ?? noRun());
    out.push({
      category,
      label: m.name,
      exp,
      size,
      reduction: rsize,
      flops: category === "matmul" ? 2 * size * rsize : 0,
      ms: run.ms,
      chunks: run.chunks,
    });
  }
  if (i !== runs.length)
    process.stderr.write(`profiler: ${measures.length} traced kernels, ${runs.length} timed\n`);
  return out;
}

export type CategoryRow = {
  category: string;
  kernels: number;
  ms: number;
  share: number;
  gflops?: number;
};

/** Time per category (sorted by time), with achieved GFLOP/s for matrix products. */
export function byCategory(records: KernelRecord[]): CategoryRow[] {
  const total = records.reduce((s, r) => s + r.ms, 0);
  const rows = new Map<string, { kernels: number; ms: number; flops: number }>();
  for (const r of records) {
    const row = rows.get(r.category) ?? { kernels: 0, ms: 0, flops: 0 };
    row.kernels++;
    row.ms += r.ms;
    row.flops += r.flops;
    rows.set(r.category, row);
  }
  return [...rows.entries()]
    .map(([category, r]) => ({
      category,
      kernels: r.kernels,
      ms: r.ms,
      share: r.ms / total,
      gflops: r.flops > 0 ? r.flops / r.ms / 1e6 : undefined,
    }))
    .sort((a, b) => b.ms - a.ms);
}

/**
 * Profiles `fn` `runs` times and keeps, per kernel, its fastest run: on a
 * shared machine a kernel's worker time includes the moments its thread was
 * descheduled, and the minimum over runs strips most of that.
 */
export async function profileMin(
  engine: { profiler: { startTrace(): void; stopTrace(): void } },
  fn: () => Promise<void>,
  runs: number,
): Promise<KernelRecord[]> {
  let best: KernelRecord[] | null = null;
  for (let r = 0; r < runs; r++) {
    const recs = await profileKernels(engine, fn);
    if (!best) best = recs;
    else if (best.length === recs.length)
      for (let i = 0; i < recs.length; i++)
        if (best[i].exp === recs[i].exp) best[i].ms = Math.min(best[i].ms, recs[i].ms);
  }
  return best ?? [];
}
