/**
 * `npm run bench -- memory`: where the engine heap goes during a DPO step at
 * a given shape (the flags of bench/run.ts, plus --lora-rank R, 0 = full
 * fine-tuning, and --stream off to lay jit programs out without streaming,
 * the engine's behaviour before prefopt's patch). One JSON line: the bytes of
 * weights, trainable parameters, optimiser state (AdamW's two moments) and
 * the cached reference log-probs, measured as the heap's live bytes before
 * and after each is created; the step's peak live bytes, of which the part
 * above the persistent state is the step's transient: gradients, activations
 * and logits together (they exist only inside the compiled program, so they
 * are not separable by measurement; `logits_bytes` and `grad_bytes` give
 * their sizes from the shape); the heap's high-water mark, and its free
 * extents after the step (fragmentation). `--kv-heads K --ff F` switch to a LLaMA-family
 * shape with K grouped key/value heads and SwiGLU width F (tied embeddings).
 */
import type { numpy as np } from "../src/engine/jax.js";
import { type BenchShape, shapeConfig } from "./presets.js";

/** The benchmark's shape (bench/presets.ts; --preset works here too) and --stream. */
export type MemoryShape = Omit<BenchShape, "preset"> & { stream: boolean };

export async function memoryChild(shape: MemoryShape): Promise<Record<string, unknown>> {
  const { numpy: npm, tree } = await import("../src/engine/jax.js");
  const { heapStats, setJitStreaming } = await import("../src/engine/memory-stats.js");
  const { makeKey, HostRng } = await import("../src/engine/random.js");
  const { refTree } = await import("../src/engine/pytree.js");
  const { benchParams } = await import("./host-weights.js");
  const { packPairs } = await import("../src/models/lm/pair-pack.js");
  const { completionLogProbs, packedArrays } = await import("../src/models/lm/pair-logprobs.js");
  const { adaptLora, defaultLoraTargets, initLora } = await import("../src/models/lm/lora.js");
  const { makeDpoStep } = await import("../src/pipelines/dpo-step.js");
  const { adamw } = await import("../src/train/optimizer.js");
  type LMParams = import("../src/models/lm/params.js").LMParams;

  setJitStreaming(shape.stream);
  const live = () => heapStats()?.liveBytes ?? 0;
  const bytesOf = (t: unknown) =>
    (tree.leaves(t as never) as np.Array[]).reduce((s, x) => s + x.size * 4, 0);
  const c = shapeConfig(shape);
  const l0 = live();
  const base = benchParams(c);
  await Promise.all((tree.leaves(base as never) as np.Array[]).map((x) => x.blockUntilReady()));
  const weights = live() - l0;
  const loraCfg =
    shape.loraRank > 0
      ? { rank: shape.loraRank, alpha: 2 * shape.loraRank, targets: defaultLoraTargets(c) }
      : undefined;
  // trained leaves: the adapters under LoRA, else the model itself (no copy)
  const params: unknown = loraCfg ? initLora(base, loraCfg, makeKey(17)) : base;
  const trainable = bytesOf(params);
  const opt = adamw({ learningRate: 1e-5 });
  let state = opt.init(refTree(params as LMParams));
  // AdamW's moments (zeros are lazy: they take heap only once the first step writes them)
  const optimiser = bytesOf(state);

  const rng = new HostRng(0);
  const toks = (n: number) => Array.from({ length: n }, () => rng.int(shape.vocab));
  const pairs = Array.from({ length: shape.pairs }, () => ({
    prompt: toks(shape.promptLen),
    chosen: toks(shape.responseLen),
    rejected: toks(shape.responseLen),
  }));
  const packed = packPairs(pairs, { maxPositions: c.maxPositions });
  // reference log-probs computed once (the frozen reference = the initial policy)
  heapStats({ reset: true });
  const refModel = refTree(base);
  const rows = pairs.flatMap((p) => [
    { prompt: p.prompt, completion: p.chosen },
    { prompt: p.prompt, completion: p.rejected },
  ]);
  const lp = await completionLogProbs(c, refModel, rows, { batchSize: shape.pairs });
  tree.dispose(refModel as never);
  const refPeak = heapStats()?.peakLiveBytes ?? 0;
  const refC = new Float32Array(lp.filter((_, i) => i % 2 === 0));
  const refR = new Float32Array(lp.filter((_, i) => i % 2 === 1));
  const cached = (refC.length + refR.length) * 4;

  // the policy as training builds it: adapters applied unmerged (src/nn/low-rank-adapted.ts)
  const policyOf = loraCfg
    ? (t: unknown, b: unknown) =>
        adaptLora(b as LMParams, t as Parameters<typeof adaptLora>[1], loraCfg)
    : undefined;
  const step = makeDpoStep<unknown, unknown>(c, opt as never, { beta: shape.beta }, policyOf);
  const persistent = live();
  heapStats({ reset: true });
  let p: unknown = params;
  let loss = 0;
  const t0 = performance.now();
  for (let i = 0; i < shape.steps; i++) {
    const out = step(
      p,
      loraCfg ? refTree(base) : {},
      state as never,
      packedArrays(packed),
      npm.array(refC),
      npm.array(refR),
      npm.array(1e-5, { dtype: npm.float32 }),
    );
    p = out.params;
    state = out.state as never;
    out.gradNorm.dispose();
    for (const x of Object.values(out.aux)) x.dispose();
    loss = (await out.loss.data())[0];
  }
  const ms = (performance.now() - t0) / shape.steps;
  const after = heapStats();
  const persistentAfter = after?.liveBytes ?? 0;
  const n = packed.n;
  const scored = n * packed.C; // positions where the head runs
  const mib = (x: number) => Number((x / 2 ** 20).toFixed(1));
  return {
    bench: "memory",
    step: "dpo",
    mode: loraCfg ? `lora-${shape.loraRank}` : "full",
    stream: shape.stream,
    pairs: shape.pairs,
    weights_mib: mib(weights),
    trainable_mib: mib(trainable),
    optimiser_state_mib: mib(optimiser),
    ref_logps_bytes: cached,
    ref_pass_peak_live_mib: mib(refPeak),
    persistent_mib: mib(persistent),
    persistent_after_step_mib: mib(persistentAfter),
    step_peak_live_mib: mib(after?.peakLiveBytes ?? 0),
    step_transient_mib: mib((after?.peakLiveBytes ?? 0) - persistentAfter),
    grad_mib: mib(trainable),
    logits_mib: mib(scored * shape.vocab * 4),
    heap_high_water_mib: mib(after?.peakHeapBytes ?? 0),
    heap_size_mib: mib(after?.heapBytes ?? 0),
    free_after_step_mib: mib(after?.freeBytes ?? 0),
    free_extents: after?.freeExtents ?? 0,
    rss_mib: mib(process.memoryUsage().rss),
    ms_per_step: Number(ms.toFixed(0)),
    loss: Number(loss.toFixed(5)),
  };
}
