/**
 * The engine heap's figures, from the allocator in prefopt's engine patch
 * (vendor/jax-js): live bytes and buffers, their peak, the heap's high-water
 * mark, and the free extents below it (fragmentation = free bytes the heap
 * holds but no live buffer uses). WebAssembly memory never shrinks, so the
 * high-water mark is what the process keeps; it must stay under 4 GiB.
 */
import * as engine from "./jax.js";

export type HeapStats = {
  /** bytes in live buffers now */
  liveBytes: number;
  liveBuffers: number;
  /** most bytes live at once since the last reset */
  peakLiveBytes: number;
  /** highest address the allocator has handed out since the last reset */
  peakHeapBytes: number;
  /** the WebAssembly memory's size (only grows) */
  heapBytes: number;
  /** free bytes below the allocator's top, and in how many extents */
  freeBytes: number;
  freeExtents: number;
  largestFree: number;
};

type PatchedEngine = {
  wasmMemoryStats?: (o?: { reset?: boolean }) => (HeapStats & { totalAllocated: number }) | null;
  setJitStreaming?: (on: boolean) => boolean;
};

const patched = engine as unknown as PatchedEngine;

/** The heap's figures now (null off the CPU backend); `reset` restarts the peaks afterwards. */
export function heapStats(opts: { reset?: boolean } = {}): HeapStats | null {
  const s = patched.wasmMemoryStats?.(opts);
  if (!s) return null;
  const { totalAllocated: _top, ...rest } = s;
  return rest;
}

/**
 * Whether jit programs submit kernels as they are laid out, so that buffers a
 * program frees are reused by its later steps (off by default: a streamed
 * program's results can only be read with `await data()`, a synchronous
 * `dataSync()` throws while its kernels are queued). Returns the previous
 * setting.
 */
export function setJitStreaming(on: boolean): boolean {
  return patched.setJitStreaming?.(on) ?? false;
}

/**
 * Runs `fn` with streaming jit execution on (the training step and the
 * batched log-prob passes, which read their results asynchronously: this is
 * what keeps GPT-2 small's step under the 4 GiB heap), then waits until every
 * array in `settle` is computed, so later synchronous reads of them work.
 */
export async function withJitStreaming<T>(fn: () => Promise<T>, settle?: unknown): Promise<T> {
  const prev = setJitStreaming(true);
  try {
    const out = await fn();
    if (settle !== undefined) await engine.blockUntilReady(settle as never);
    return out;
  } finally {
    setJitStreaming(prev);
  }
}

/** 1234567890 → "1.15 GiB" */
export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}

/**
 * Heap figures as training metrics (MiB): live bytes now, the peak of live
 * bytes since the previous call (the step's working set) and the heap's
 * high-water mark; restarts the peaks. Empty off the CPU backend.
 */
export function heapMetrics(): Record<string, number> {
  const s = heapStats({ reset: true });
  if (!s) return {};
  const mib = (x: number) => Math.round((x / 2 ** 20) * 10) / 10;
  return {
    heap_live_mib: mib(s.liveBytes),
    heap_peak_mib: mib(s.peakLiveBytes),
    heap_top_mib: mib(s.peakHeapBytes),
    heap_free_mib: mib(s.freeBytes),
  };
}
