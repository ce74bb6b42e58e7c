/**
 * The DPO step's time at N cores, modelled from what can be measured on fewer: each kernel's
 * time on one thread, how the engine's pool cuts each kernel into chunks at N threads (recorded
 * by running the step with N workers: the cut depends only on the kernel's size and tiling, not
 * on the cores), and the host's costs, fitted to the measured one- and two-thread steps: per
 * kernel (the calling thread's work for any kernel) and per hand-off (a split kernel's round trip
 * to the workers and back; at two threads a split kernel sends exactly one message).
 *
 *   step(N) = compute(N) + perKernel · kernels + perHandOff · split(N) + extra · (messages(N) − split(N))
 *   compute(N) = Σ_k t1_k · (largest chunk of k at N) / (work of k)
 *
 * `extra` is what each further message of a kernel adds, which two cores cannot show: 0 when the
 * messages' round trips overlap completely, perHandOff when they queue one after another. The
 * two bound the step. compute(N) assumes a chunk runs at one thread's speed, so it is the best
 * the split allows (memory bandwidth shared by 16 cores only makes it slower).
 */

/** One kernel: its time on one thread (ms), its work items, its chunks' work items, what it is. */
export type KernelCut = [ms: number, size: number, chunks: number[], label?: string];

/** A kernel's time at a cut: its longest chunk's share of its one-thread time (all of it when uncut or a routine). */
function longestChunkMs(ms: number, size: number, chunks: number[]): number {
  return chunks.length > 0 && size > 0 ? (ms * Math.max(...chunks)) / size : ms;
}

/** Time of the longest chunk, kernel by kernel, summed: the step's kernel time at this cut. */
export function computeMs(oneThread: KernelCut[], cut: KernelCut[]): number {
  if (oneThread.length !== cut.length)
    throw new Error(`scaling: ${oneThread.length} kernels at one thread, ${cut.length} cut`);
  let total = 0;
  oneThread.forEach(([ms, size], i) => {
    const [, n, chunks] = cut[i];
    if (n !== size) throw new Error(`scaling: kernel ${i} has ${size} items, ${n} when cut`);
    total += longestChunkMs(ms, size, chunks);
  });
  return total;
}

/** Messages to worker threads in one step: every chunk but the one the calling thread runs. */
export function workerMessages(cut: KernelCut[]): number {
  return cut.reduce((s, [, , chunks]) => s + Math.max(0, chunks.length - 1), 0);
}

/** Kernels cut into two or more chunks: each is one hand-off to the workers. */
export function splitKernels(cut: KernelCut[]): number {
  return cut.filter(([, , chunks]) => chunks.length > 1).length;
}

export type HostCost = { perKernelMs: number; perHandOffMs: number };

/**
 * The host's costs, from the step measured at one thread (kernels inline: no hand-offs) and at
 * two (one message per split kernel).
 */
export function fitHostCost(
  kernels: number,
  one: { wallMs: number; computeMs: number },
  two: { wallMs: number; computeMs: number; split: number },
): HostCost {
  const perKernelMs = Math.max(0, (one.wallMs - one.computeMs) / kernels);
  const rest = two.wallMs - two.computeMs - perKernelMs * kernels;
  return { perKernelMs, perHandOffMs: two.split > 0 ? Math.max(0, rest / two.split) : 0 };
}

/** The modelled step time (ms): `extraMessageMs` is what each message past a kernel's first adds. */
export function stepMs(
  compute: number,
  cut: { kernels: number; split: number; messages: number },
  host: HostCost,
  extraMessageMs: number,
): number {
  return (
    compute +
    host.perKernelMs * cut.kernels +
    host.perHandOffMs * cut.split +
    extraMessageMs * (cut.messages - cut.split)
  );
}

/**
 * The kernels that lose the most to the cut: one-thread ms beyond a perfect split over `threads`,
 * with their work items and chunk count, largest loss first.
 */
export function worstCut(
  oneThread: KernelCut[],
  cut: KernelCut[],
  threads: number,
  top = 8,
): { label: string; ms: number; lostMs: number; chunks: number }[] {
  return oneThread
    .map(([ms, size, , label], index) => {
      const chunks = cut[index][2];
      return {
        label: label ?? `kernel ${index}`,
        ms,
        lostMs: longestChunkMs(ms, size, chunks) - ms / threads,
        chunks: chunks.length,
      };
    })
    .sort((a, b) => b.lostMs - a.lostMs)
    .slice(0, top);
}
