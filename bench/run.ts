/**
 * prefopt's benchmarks: one JSON object per line.
 *
 *   npm run bench                      dpo, reward, diffusion-dpo, sample-lm, sample-diffusion
 *   npm run bench -- dpo               only the DPO step (+ the PyTorch anchor and the ratio)
 *   npm run bench -- dpo-variants      the DPO step's formulations side by side
 *   npm run bench -- profile           a DPO step by kernel category, GFLOP/s vs the engine's matmul peak
 *   npm run bench -- scaling           the DPO step at 1–16 threads, modelled from its kernels' cut
 *                                      (bench/scaling-model.ts; --threads picks the counts)
 *   npm run bench -- memory            the engine heap during a DPO step, by kind (bench/memory.ts;
 *                                      --lora-rank R, --stream off; --steps 2 is enough)
 *   npm run bench -- --help            this text
 *
 * Flags (those of ../shared/bench/torch_dpo_step.py): --layers 4 --dim 256 --heads 4
 * --vocab 4096 --prompt-len 64 --response-len 64 --pairs 8 --steps 5 --beta 0.1, and
 * --threads 1,2 (engine worker threads, one child process per setting: the engine reads
 * PREFOPT_THREADS at start-up), --repeat 3 (rounds; each figure is the best round).
 * --kv-heads K --ff F: a LLaMA-family model (RMSNorm, RoPE, SwiGLU of width F) whose K key/value
 * heads are shared by the --heads query heads (tied embeddings); --ff alone widens GPT-2's MLP.
 * --preset gpt2 | qwen-0.5b sets the model to a real shape (bench/presets.ts; explicit flags
 * still override it, and --repeat defaults to 1): gpt2 is GPT-2 small (12 × 768, 12 heads,
 * vocab 50257, 124M), qwen-0.5b Qwen2.5-0.5B's shape (24 × 896, 14 query / 2 key-value heads,
 * SwiGLU 4864, q/k/v/o biases, RoPE θ 1e6, tied embeddings, vocab 151936, 494M; its weights
 * are made on the host, bench/host-weights.ts). --lora-rank R: the DPO step trains LoRA
 * adapters of rank R (α = 2R) on every linear layer of the blocks over the frozen base, as
 * `prefopt dpo --lora-rank R` does; 0 (the default) is full fine-tuning with AdamW.
 * Before a DPO child builds its step it checks `prefopt dpo`'s heap estimate
 * (src/models/lm/memory-fit.ts, reported as `estimate_gib`); a setting that cannot fit the
 * engine heap prints `{"bench":"dpo_step","fits":false,"estimate_gib":…,"reason":…}` (the CLI's
 * one-line refusal, with the flags that would fit) instead of dying with the engine's
 * RangeError, and the anchor row at that shape is still measured. E.g.
 *   npm run bench -- dpo --preset gpt2 --pairs 2 --steps 1 --warmup 1 --threads 1
 *   npm run bench -- dpo --preset gpt2 --pairs 2 --steps 1 --warmup 1 --threads 1 --lora-rank 8
 *   npm run bench -- dpo --preset qwen-0.5b --pairs 1 --steps 1 --warmup 1 --threads 1 --lora-rank 8
 * Rounds interleave every setting and, for the DPO step, the anchor run with the same
 * thread count, so background load hits them alike; the ratio is prefopt pairs/s ÷
 * torch pairs/s at equal threads (and rss_ratio: peak resident memory, prefopt ÷ torch,
 * each child process's own maximum, `peak_rss_mib`), and then (`"comparison": "fastest"`) each side at its
 * fastest thread count. --stream off: DPO steps without streaming jit. --warmup 3: untimed steps before the timed ones (JIT tier-up).
 * The anchor: ../shared/bench/torch_dpo_step.py for full fine-tuning of GPT-2 shapes, and
 * prefopt's own bench/torch_llama_dpo_step.py (the same step in plain PyTorch, for GPT-2 and
 * LLaMA-family shapes, full or LoRA: the reference is the model with its adapters off) for
 * LLaMA shapes, LoRA or --ff; it warms up one step and times --steps.
 * The anchor runs when Debian's python3-torch imports (PREFOPT_TORCH_ANCHOR overrides the shared
 * script's path, PREFOPT_TORCH_OWN_ANCHOR the own one's, PREFOPT_TORCH_PYTHON the python). One-thread settings run with
 * PREFOPT_INLINE=1: kernels on the calling thread instead of one worker.
 * PREFOPT_PROFILE_TOP=N prints a kernel profile (by category, then the N slowest kernels) on
 * stderr: of the DPO step with `profile`, of any benchmark's step when its child is run directly,
 * e.g. PREFOPT_THREADS=1 PREFOPT_PROFILE_TOP=10 node --import tsx bench/run.ts --child reward.
 * A flag out of range, unknown or without its value stops the run before any benchmark with one
 * line naming it, exit code 2 (bench/presets.ts checks them).
 * --device webgpu: prefopt's steps run on WebGPU (src/engine/webgpu.ts; --threads defaults to 1, the
 * CPU backend idles), and the DPO anchor runs with `--device cuda` when that torch sees a CUDA GPU
 * (the ratio row names both devices); scripts/gpu-check.sh is the prepared run for a GPU machine.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../src/engine/errors.js";
import type { numpy as np } from "../src/engine/jax.js";
import { anchorModelFlags, flagValue, resolveShape, runFlags, shapeConfig } from "./presets.js";
import {
  computeMs,
  fitHostCost,
  type HostCost,
  type KernelCut,
  splitKernels,
  stepMs,
  workerMessages,
  worstCut,
} from "./scaling-model.js";

const args = process.argv.slice(2);
const SELF = fileURLToPath(import.meta.url);
const ROOT = resolve(dirname(SELF), "..");
const ALL = ["dpo", "reward", "diffusion-dpo", "sample-lm", "sample-diffusion"];
const KNOWN = [...ALL, "dpo-variants", "profile", "scaling", "memory"];
if (args.includes("--help") || args.includes("-h")) {
  // the usage is this file's opening comment
  const head = readFileSync(SELF, "utf8").split("*/")[0];
  console.log(
    head
      .replace(/^\/\*\*\n?/, "")
      .replace(/^ \* ?/gm, "")
      .trimEnd(),
  );
  process.exit(0);
}
/** Bad flags: one line naming the flag, exit 2 (as the CLI does), no stack trace. */
function checked<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    process.stderr.write(`bench: ${e.message}\n`);
    process.exit(2);
  }
}
const shape = checked(() => resolveShape(args));
const RUN = checked(() => runFlags(args, KNOWN, ALL));
const flag = (name: string, def: string) => flagValue(args, name) ?? def;
const WARMUP = RUN.warmup;
const DEVICE = RUN.device;

type Row = Record<string, unknown> & { bench: string };
const emit = (r: Row) => console.log(JSON.stringify(r));
const round = (x: number, d = 3) => Number(x.toFixed(d));

// ---------------------------------------------------------------- children

async function child(name: string): Promise<void> {
  // the profiler's timed Worker must be in place before the engine loads
  if (name.startsWith("profile") || name.startsWith("scaling") || process.env.PREFOPT_PROFILE_TOP)
    await import("./profiler.js");
  const { initEngine, parseDevice, webgpuErrors } = await import("../src/engine/init.js");
  const info = await initEngine({ device: parseDevice(DEVICE) });
  const run = CHILDREN[name];
  if (!run) throw new Error(`unknown benchmark ${name}`);
  const r = await run(info.threads);
  // a WebGPU error leaves every later command buffer invalid: the figures would be stale
  const errors = webgpuErrors();
  if (errors.length > 0)
    throw new Error(`${name}: WebGPU reported ${errors.length} error(s), first: ${errors[0]}`);
  // the process's peak resident set (engine heap + Node + compiled kernels), comparable to the anchor's
  const peakRss = process.resourceUsage().maxRSS / 1024;
  console.log(
    JSON.stringify({
      ...r,
      device: info.device,
      threads: info.threads,
      peak_rss_mib: round(peakRss, 1),
      ...(info.gpu ? { max_buffer_mib: round(info.gpu.limits.maxBufferSize / 2 ** 20, 0) } : {}),
    }),
  );
}

/**
 * Mean ms per call of `fn` over `steps` calls after `--warmup` calls (default 3). The first
 * call traces and compiles; the next one or two still run slower while V8 settles the new
 * WebAssembly kernels (DPO step at 2 threads, TRACE_STEPS=1 --warmup 0: 1.37 s, 1.46 s, 1.04 s,
 * then 0.8–0.9 s). The anchor has no JIT and warms up in one step; `--warmup 1` is its protocol.
 * TRACE_STEPS=1 prints every call's ms.
 */
async function timeSteps(fn: () => Promise<void>, steps: number): Promise<number> {
  const trace = (ms: number) => {
    if (process.env.TRACE_STEPS) process.stderr.write(`${ms.toFixed(0)} `);
  };
  for (let i = 0; i < WARMUP; i++) {
    const t = performance.now();
    await fn();
    trace(performance.now() - t);
  }
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    await fn();
    trace(performance.now() - t);
  }
  const ms = (performance.now() - t0) / steps;
  if (process.env.PREFOPT_PROFILE_TOP) {
    // any benchmark's step, profiled 3 more times after the timed ones, fastest per kernel
    // (its child needs workers: run it with PREFOPT_THREADS and without PREFOPT_INLINE)
    const prof = await import("./profiler.js");
    const recs = await prof.profileMin(await import("../src/engine/jax.js"), fn, 3);
    for (const r of prof.byCategory(recs))
      process.stderr.write(`${r.category}: ${r.kernels} kernels, ${r.ms.toFixed(1)} ms\n`);
    printTopKernels(recs);
  }
  return ms;
}

/**
 * The benchmarks' model (bench/presets.ts: the flags and `--preset`) with fresh weights
 * (bench/host-weights.ts `benchParams`), and `--pairs` random preference pairs.
 */
async function lmSetup() {
  const { numpy: np } = await import("../src/engine/jax.js");
  const { HostRng } = await import("../src/engine/random.js");
  const { benchParams } = await import("./host-weights.js");
  const c = shapeConfig(shape);
  const params = benchParams(c);
  const rng = new HostRng(0);
  const toks = (n: number) => Array.from({ length: n }, () => rng.int(shape.vocab));
  const pairs = Array.from({ length: shape.pairs }, () => ({
    prompt: toks(shape.promptLen),
    chosen: toks(shape.responseLen),
    rejected: toks(shape.responseLen),
  }));
  return { np, c, params, pairs };
}

/**
 * The engine-heap estimate of a DPO step at this shape (src/models/lm/memory-fit.ts, the one
 * `prefopt dpo` checks before training), and, when it exceeds the heap, the row saying so in
 * place of a measurement: `prefopt dpo`'s one-line message with the flags that would fit.
 */
async function dpoFit(
  c: import("../src/models/lm/config.js").LMConfig,
  params: import("../src/models/lm/params.js").LMParams,
  pairs: { prompt: number[]; chosen: number[]; rejected: number[] }[],
  lora: { rank: number; targets: string[] } | undefined,
): Promise<{ estimateGib: number; refusal?: Row }> {
  const { checkDpoFits, heapLimitBytes } = await import("../src/models/lm/memory-fit.js");
  const { defaultLoraTargets } = await import("../src/models/lm/lora.js");
  const { UserError } = await import("../src/engine/errors.js");
  const run = {
    rows: pairs.length,
    accumulation: 1,
    maxLength: c.maxPositions,
    lora,
    loraTargets: defaultLoraTargets(c),
  };
  const gib = (b: number) => round(b / 2 ** 30, 3);
  const estimateGib = gib(checkDpoFits(c, params, pairs, run, Number.POSITIVE_INFINITY).total);
  try {
    checkDpoFits(c, params, pairs, run);
    return { estimateGib };
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return {
      estimateGib,
      refusal: {
        bench: "dpo_step",
        fits: false,
        estimate_gib: estimateGib,
        heap_limit_gib: gib(heapLimitBytes()),
        reason: e.message,
      },
    };
  }
}

type DpoVariant = "shared" | "shared+ref" | "plain";

/** The DPO step on the anchor's shape; `variant` picks the formulation. */
async function dpoChild(
  variant: DpoVariant,
  profile: "" | "profile" | "scaling" = "",
): Promise<Row> {
  const { jit, numpy: np, tree } = await import("../src/engine/jax.js");
  const { refTree } = await import("../src/engine/pytree.js");
  const { packPairs } = await import("../src/models/lm/pair-pack.js");
  const { collatePairs } = await import("../src/data/preference-collate.js");
  const { packedArrays, pairLogProbs } = await import("../src/models/lm/pair-logprobs.js");
  const { sequenceLogProbs } = await import("../src/models/lm/logprobs.js");
  const { makeDpoStep } = await import("../src/pipelines/dpo-step.js");
  const { adamw } = await import("../src/train/optimizer.js");
  const { valueAndGrad } = await import("../src/engine/jax.js");
  const { dpoLoss } = await import("../src/objectives/dpo.js");
  type LMParams = import("../src/models/lm/params.js").LMParams;
  type AdamState = import("../src/train/optimizer.js").AdamState<LMParams>;
  const { setJitStreaming } = await import("../src/engine/memory-stats.js");
  // as in training (src/train/trainer.ts): kernels submitted as the program is laid out, so a
  // step reuses the buffers it frees (--stream off: the engine's unstreamed layout)
  setJitStreaming(RUN.stream);
  const { adaptLora, defaultLoraTargets, initLora } = await import("../src/models/lm/lora.js");
  const { makeKey } = await import("../src/engine/random.js");
  type LoraParams = import("../src/models/lm/lora.js").LoraParams;
  const { c, params: p0, pairs } = await lmSetup();
  const n = shape.pairs;
  // --lora-rank R: adapters of rank R (α = 2R, prefopt dpo's default) on every linear layer of
  // the blocks, applied unmerged over the frozen base, as `prefopt dpo --lora-rank` trains
  const loraCfg =
    shape.loraRank > 0
      ? { rank: shape.loraRank, alpha: 2 * shape.loraRank, targets: defaultLoraTargets(c) }
      : undefined;
  if (loraCfg && variant !== "shared")
    throw new Error(`--lora-rank: the ${variant} formulation is full fine-tuning only`);
  const training = loraCfg ? `lora-${loraCfg.rank}` : "full";
  const fit = await dpoFit(c, p0, pairs, loraCfg);
  if (fit.refusal) return { ...fit.refusal, variant, training };
  const opt = adamw({ learningRate: 1e-5 }); // torch.optim.AdamW(lr=1e-5), weight decay 0.01
  // the trained leaves: the model itself, or the adapters beside the frozen base p0
  let params: LMParams = loraCfg ? (initLora(p0, loraCfg, makeKey(17)) as unknown as LMParams) : p0;
  let state: AdamState = opt.init(refTree(params));
  const ref: LMParams = loraCfg ? p0 : refTree(params); // the frozen reference = the initial policy
  const packed = packPairs(pairs, { maxPositions: c.maxPositions });
  const refFn = jit((p: LMParams, b: ReturnType<typeof packedArrays>) => {
    const r = pairLogProbs(c, p, b);
    return [r.chosen, r.rejected];
  });
  // reference log-probs computed once (what src/train/ref-logp-cache.ts stores)
  const [rc0, rr0] = refFn(refTree(ref), packedArrays(packed));
  const refC = new Float32Array((await rc0.data()) as Float32Array);
  const refR = new Float32Array((await rr0.data()) as Float32Array);
  const lr = () => np.array(1e-5, { dtype: np.float32 });
  let loss = 0;
  let stepFn: () => Promise<void>;
  if (variant === "plain") {
    // TRL's concatenated forward: [prompt+chosen; prompt+rejected], logits at every position
    const b = collatePairs(pairs, { padMultiple: 8 });
    const objective = (pp: LMParams, ids: np.Array, mask: np.Array, a: np.Array, r: np.Array) => {
      const lp = sequenceLogProbs(c, pp, ids, mask);
      const out = dpoLoss(
        {
          policyChosenLogps: lp.ref.slice([0, n]),
          policyRejectedLogps: lp.slice([n, 2 * n]),
          refChosenLogps: a,
          refRejectedLogps: r,
        },
        { beta: shape.beta },
      );
      for (const x of [out.losses, out.chosenRewards, out.rejectedRewards, out.margins])
        x.dispose();
      out.accuracy.dispose();
      return out.loss;
    };
    const step = jit(
      (pp: LMParams, st: AdamState, ids: np.Array, mask: np.Array, a: np.Array, r: np.Array) => {
        const [l, g] = valueAndGrad(objective)(refTree(pp), ids, mask, a, r);
        const nx = opt.step(pp, g, st, lr());
        return { loss: l, params: nx.params, state: nx.state, gradNorm: nx.gradNorm };
      },
    );
    stepFn = async () => {
      const ids = np.array(b.ids, { dtype: np.int32 }).reshape([b.B, b.T]);
      const mask = np.array(b.mask).reshape([b.B, b.T]);
      const r = step(params, state, ids, mask, np.array(refC), np.array(refR));
      params = r.params;
      state = r.state;
      r.gradNorm.dispose();
      loss = (await r.loss.data())[0];
    };
  } else {
    const step = makeDpoStep<LMParams, LMParams>(
      c,
      opt,
      { beta: shape.beta },
      loraCfg ? (t, b) => adaptLora(b, t as unknown as LoraParams, loraCfg) : undefined,
    );
    stepFn = async () => {
      let a: np.Array;
      let r: np.Array;
      if (variant === "shared+ref") {
        // no cache: the reference forward runs every step, as in the anchor
        [a, r] = refFn(refTree(ref), packedArrays(packed));
      } else {
        a = np.array(refC);
        r = np.array(refR);
      }
      const base = (loraCfg ? refTree(p0) : {}) as LMParams;
      const out = step(params, base, state, packedArrays(packed), a, r, lr());
      params = out.params;
      state = out.state;
      out.gradNorm.dispose();
      for (const x of Object.values(out.aux)) x.dispose();
      loss = (await out.loss.data())[0];
    };
  }
  const settle = async () => {
    for (const x of tree.leaves({ params, state } as never) as np.Array[])
      await x.blockUntilReady();
  };
  if (profile) {
    // one step and its settling, twice untimed (compilation, V8 tier-up) before the profile
    const full = async () => {
      await stepFn();
      await settle();
    };
    await full();
    await full();
    return profile === "profile" ? profileChild(full) : scalingChild(full);
  }
  const ms = await timeSteps(stepFn, shape.steps);
  return {
    bench: "dpo_step",
    variant,
    training,
    ...(shape.preset ? { preset: shape.preset } : {}),
    warmup_steps: WARMUP,
    pairs_per_s: round((n * 1000) / ms),
    ms_per_step: round(ms, 1),
    loss: round(loss, 5),
    estimate_gib: fit.estimateGib,
  };
}

/** Bradley–Terry reward-model step (transformer + scalar head on the last token) on the same shape. */
async function rewardChild(): Promise<Row> {
  const { jit, random, valueAndGrad } = await import("../src/engine/jax.js");
  const { refTree } = await import("../src/engine/pytree.js");
  const { collateForReward, rewardScores } = await import("../src/models/lm/reward-model.js");
  const { bradleyTerryLoss } = await import("../src/objectives/bradley-terry.js");
  const { adamw } = await import("../src/train/optimizer.js");
  type RewardParams = import("../src/models/lm/reward-model.js").RewardParams;
  type AdamState = import("../src/train/optimizer.js").AdamState<RewardParams>;
  const { c, params: backbone, pairs } = await lmSetup();
  const n = shape.pairs;
  let params: RewardParams = {
    backbone,
    score: { weight: random.normal(random.key(1), [1, c.dModel]).mul(0.02) },
  };
  const opt = adamw({ learningRate: 1e-5 });
  let state: AdamState = opt.init(refTree(params));
  const rows = [
    ...pairs.map((p) => [...p.prompt, ...p.chosen]),
    ...pairs.map((p) => [...p.prompt, ...p.rejected]),
  ];
  const objective = (p: RewardParams, ids: np.Array, last: np.Array) => {
    const r = rewardScores(c, p, ids, last);
    const out = bradleyTerryLoss(r.ref.slice([0, n]), r.slice([n, 2 * n]));
    out.accuracy.dispose();
    return out.loss;
  };
  const step = jit((p: RewardParams, st: AdamState, ids: np.Array, last: np.Array) => {
    const [l, g] = valueAndGrad(objective)(refTree(p), ids, last);
    const nx = opt.step(p, g, st);
    return { loss: l, params: nx.params, state: nx.state, gradNorm: nx.gradNorm };
  });
  let loss = 0;
  const ms = await timeSteps(async () => {
    const b = collateForReward(rows, 0);
    const r = step(params, state, b.ids, b.last);
    params = r.params;
    state = r.state;
    r.gradNorm.dispose();
    loss = (await r.loss.data())[0];
  }, shape.steps);
  return {
    bench: "reward_step",
    pairs_per_s: round((n * 1000) / ms),
    ms_per_step: round(ms, 1),
    loss: round(loss, 5),
  };
}

/** Diffusion-DPO step on the embedded UNet configuration, 8 pairs. */
async function diffusionDpoChild(): Promise<Row> {
  const { numpy: np, random } = await import("../src/engine/jax.js");
  const { refTree } = await import("../src/engine/pytree.js");
  const { HostRng, makeKey } = await import("../src/engine/random.js");
  const { defaultDiffusionConfig, initDiffusion } = await import(
    "../src/models/diffusion/model.js"
  );
  const { makeSchedule } = await import("../src/models/diffusion/schedule.js");
  const { diffusionDpoBatch, makeDiffusionDpoStep } = await import(
    "../src/pipelines/diffusion-dpo-step.js"
  );
  const { adamw } = await import("../src/train/optimizer.js");
  const config = defaultDiffusionConfig();
  const { unet: u0, text } = initDiffusion(makeKey(0), config);
  const refUnet = refTree(u0);
  let unet = u0;
  const opt = adamw({ learningRate: 1e-5 });
  let state = opt.init(refTree(unet));
  const schedule = makeSchedule(config.schedule.kind, config.schedule.T);
  const n = 8;
  const S = config.imageSize;
  const img = (k: number) => np.tanh(random.normal(random.key(k), [n, S, S, 1]));
  const winner = img(1);
  const loser = img(2);
  const rng = new HostRng(0);
  const tok = new Int32Array(n * config.text.maxLen);
  for (let i = 0; i < tok.length; i++) tok[i] = 3 + rng.int(config.vocab.length - 3);
  const tokens = np.array(tok, { dtype: np.int32 }).reshape([n, config.text.maxLen]);
  const step = makeDiffusionDpoStep(config, opt, { beta: 2000 });
  let key = makeKey(1);
  let loss = 0;
  const ms = await timeSteps(async () => {
    const [k1, k2] = random.split(key, 2);
    key = k1;
    const batch = diffusionDpoBatch(schedule, winner.ref, loser.ref, tokens.ref, k2, rng);
    const r = step(
      unet,
      state,
      refTree(refUnet),
      refTree(text),
      batch,
      np.array(1e-5, { dtype: np.float32 }),
    );
    unet = r.unet;
    state = r.state;
    r.gradNorm.dispose();
    for (const x of Object.values(r.aux)) x.dispose();
    loss = (await r.loss.data())[0];
  }, shape.steps);
  return {
    bench: "diffusion_dpo_step",
    pairs_per_s: round((n * 1000) / ms),
    ms_per_step: round(ms, 1),
    loss: round(loss, 5),
  };
}

/** KV-cached sampling on the anchor-shaped LM: 8 prompts of prompt-len tokens, response-len new tokens each. */
async function sampleLmChild(): Promise<Row> {
  const { generateBatch } = await import("../src/models/lm/generate.js");
  const { c, params, pairs } = await lmSetup();
  const prompts = pairs.map((p) => p.prompt);
  const o = { maxNewTokens: shape.responseLen, temperature: 1, seed: 0 };
  let tokens = 0;
  const ms = await timeSteps(async () => {
    const out = await generateBatch(c, params, prompts, o);
    tokens = out.reduce((s, r) => s + r[0].length, 0);
  }, 2);
  return {
    bench: "sample_lm",
    rows: prompts.length,
    new_tokens: tokens,
    tokens_per_s: round((tokens * 1000) / ms, 1),
    ms_per_batch: round(ms, 1),
  };
}

/** Guided DDIM sampling (50 steps, classifier-free guidance 3) of 8 images on the embedded UNet. */
async function sampleDiffusionChild(): Promise<Row> {
  const { makeKey } = await import("../src/engine/random.js");
  const { defaultDiffusionConfig, initDiffusion } = await import(
    "../src/models/diffusion/model.js"
  );
  const { generateImages } = await import("../src/models/diffusion/generate.js");
  const config = defaultDiffusionConfig();
  const model = { config, params: initDiffusion(makeKey(0), config) };
  const n = 8;
  const ms = await timeSteps(async () => {
    await generateImages(model, "a digit seven", n, { seed: 0, steps: 50, method: "ddim" });
  }, 1);
  return {
    bench: "sample_diffusion",
    images: n,
    sampler: "ddim-50, guidance 3",
    images_per_s: round((n * 1000) / ms),
    ms_per_batch: round(ms, 1),
  };
}

/**
 * PREFOPT_PROFILE_TOP=N: the N slowest kernels of a profile on stderr, each with its category,
 * size, reduction length, GFLOP/s (products) and the first PREFOPT_PROFILE_EXP characters
 * (default 160) of its expression.
 */
function printTopKernels(recs: import("./profiler.js").KernelRecord[]): void {
  const top = Number(process.env.PREFOPT_PROFILE_TOP ?? 0);
  const chars = Number(process.env.PREFOPT_PROFILE_EXP ?? 160);
  for (const k of [...recs].sort((x, y) => y.ms - x.ms).slice(0, top))
    process.stderr.write(
      `${k.ms.toFixed(1)} ms ${k.category} size ${k.size} red ${k.reduction} ${k.flops ? (k.flops / k.ms / 1e6).toFixed(1) : ""} ${k.exp.slice(0, chars)}\n`,
    );
}

/** Kernel profile of `full` (a warmed step; best of 3 runs per kernel) and the engine's matmul peak in the same process. */
async function profileChild(full: () => Promise<void>): Promise<Row> {
  const prof = await import("./profiler.js");
  const eng = await import("../src/engine/jax.js");
  const { jit, numpy: np, random } = eng;
  const t0 = performance.now();
  const recs = await prof.profileMin(eng, full, 3);
  const wall = (performance.now() - t0) / 3;
  // the engine's matmul peak: its best matrix product, timed the same way
  const mm = jit((a: np.Array, b: np.Array) => np.matmul(a, b));
  let peak = 0;
  const peakShapes: string[] = [];
  for (const [M, K, N] of [
    [1024, 1024, 1024],
    [1024, 256, 4096],
    [1536, 256, 1024],
  ]) {
    const a = random.normal(random.key(1), [M, K]);
    const b = random.normal(random.key(2), [K, N]);
    const run = async () => {
      await mm(a.ref, b.ref).blockUntilReady();
    };
    await run();
    const r = (await prof.profileMin(eng, run, 3)).filter((k) => k.category === "matmul");
    const g = r.reduce((s, k) => s + k.flops, 0) / r.reduce((s, k) => s + k.ms, 0) / 1e6;
    peakShapes.push(`${M}x${K}x${N}:${g.toFixed(1)}`);
    peak = Math.max(peak, g);
    a.dispose();
    b.dispose();
  }
  const rows = prof.byCategory(recs);
  printTopKernels(recs);
  const total = recs.reduce((s, k) => s + k.ms, 0);
  const flops = recs.reduce((s, k) => s + k.flops, 0);
  const matmulMs = recs.filter((k) => k.category === "matmul").reduce((s, k) => s + k.ms, 0);
  return {
    bench: "profile",
    categories: rows.map((r) => ({
      category: r.category,
      kernels: r.kernels,
      ms: round(r.ms, 1),
      share: round(r.share),
      ...(r.gflops ? { gflops: round(r.gflops, 1) } : {}),
    })),
    kernels: recs.length,
    kernel_ms: round(total, 1),
    wall_ms: round(wall, 1),
    matmul_gflop: round(flops / 1e9, 2),
    matmul_gflops: round(flops / matmulMs / 1e6, 1),
    step_gflops: round(flops / total / 1e6, 1),
    peak_gflops: round(peak, 1),
    peak_shapes: peakShapes.join(" "),
    matmul_of_peak: round(flops / matmulMs / 1e6 / peak),
  };
}

/**
 * The kernels of one DPO step as the pool splits them at this thread count (the chunks each
 * kernel's work is cut into), and at one thread each kernel's time, the fastest of 3 steps
 * (bench/scaling-model.ts turns both into the step time at N cores).
 */
async function scalingChild(full: () => Promise<void>): Promise<Row> {
  const prof = await import("./profiler.js");
  const eng = await import("../src/engine/jax.js");
  const threads = Number(process.env.PREFOPT_THREADS);
  const recs =
    threads === 1 ? await prof.profileMin(eng, full, 3) : await prof.profileKernels(eng, full);
  return {
    bench: "scaling_kernels",
    // [ms, work items, chunk sizes, what]: ms is meaningful at one thread only
    kernels: recs.map((k) => [
      round(k.ms, 4),
      k.size,
      k.chunks,
      `${k.category} ${k.size}${k.reduction ? `x${k.reduction}` : ""}`,
    ]),
  };
}

const CHILDREN: Record<string, (threads: number) => Promise<Row>> = {
  dpo: () => dpoChild("shared"),
  "dpo:shared": () => dpoChild("shared"),
  "dpo:shared+ref": () => dpoChild("shared+ref"),
  "dpo:plain": () => dpoChild("plain"),
  "profile:shared": () => dpoChild("shared", "profile"),
  "profile:plain": () => dpoChild("plain", "profile"),
  "scaling:kernels": () => dpoChild("shared", "scaling"),
  reward: () => rewardChild(),
  "diffusion-dpo": () => diffusionDpoChild(),
  "sample-lm": () => sampleLmChild(),
  "sample-diffusion": () => sampleDiffusionChild(),
  memory: async () =>
    (await import("./memory.js")).memoryChild({
      ...shape,
      stream: RUN.stream,
    }) as Promise<Row>,
};

// ---------------------------------------------------------------- parent

function runChild(name: string, threads: number): Row {
  const extra = args.filter((a, i) => a.startsWith("--") || args[i - 1]?.startsWith("--"));
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", SELF, "--child", name, ...extra.filter((a) => a !== "--child")],
    {
      // one thread: kernels on the calling thread, no worker (src/engine/setup.ts)
      env: {
        ...process.env,
        PREFOPT_THREADS: String(threads),
        ...(threads === 1 && !/^(profile|scaling)/.test(name) ? { PREFOPT_INLINE: "1" } : {}),
      },
      encoding: "utf8",
      cwd: ROOT,
    },
  );
  const line = r.stdout.trim().split("\n").pop() ?? "";
  if (r.status !== 0 || !line.startsWith("{")) {
    process.stderr.write(r.stderr);
    throw new Error(`benchmark ${name} with PREFOPT_THREADS=${threads} failed (exit ${r.status})`);
  }
  const row = JSON.parse(line) as Row;
  if (row.threads !== threads)
    throw new Error(`${name}: child reports ${row.threads} threads, asked for ${threads}`);
  return row;
}

const TORCH =
  process.env.PREFOPT_TORCH_ANCHOR ?? join(ROOT, "..", "shared", "bench", "torch_dpo_step.py");
/**
 * prefopt's own anchor (LLaMA-family shapes, LoRA, a GPT-2 MLP width of its own); the shared
 * script above stays the anchor of full GPT-2 fine-tuning, as in the earlier figures.
 * PREFOPT_TORCH_OWN_ANCHOR overrides its path.
 */
const OWN_TORCH =
  process.env.PREFOPT_TORCH_OWN_ANCHOR ?? join(ROOT, "bench", "torch_llama_dpo_step.py");
const OWN_ANCHOR = shape.kvHeads > 0 || shape.loraRank > 0 || shape.ff > 0;
const ANCHOR = OWN_ANCHOR ? OWN_TORCH : TORCH;
const PYTHON = process.env.PREFOPT_TORCH_PYTHON ?? "/usr/bin/python3";
/** The anchor's device: cuda beside prefopt on WebGPU when that torch sees a GPU, else cpu. */
let torchDevice = "cpu";

/** Debian's python with the OpenBLAS overrides removed (for that command alone). */
function torchEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  return env;
}

function torchAvailable(): boolean {
  if (!existsSync(ANCHOR) || !existsSync(PYTHON)) return false;
  const r = spawnSync(PYTHON, ["-c", "import torch; print(torch.cuda.is_available())"], {
    env: torchEnv(),
    encoding: "utf8",
  });
  if (r.status !== 0) return false;
  torchDevice = DEVICE === "webgpu" && r.stdout.trim() === "True" ? "cuda" : "cpu";
  return true;
}

function runTorch(threads: number): Row {
  const run = [
    ["prompt-len", shape.promptLen],
    ["response-len", shape.responseLen],
    ["pairs", shape.pairs],
    ["steps", shape.steps],
    ["beta", shape.beta],
  ];
  const flags = [
    ...(OWN_ANCHOR
      ? [...anchorModelFlags(shapeConfig(shape)), "--lora-rank", String(shape.loraRank)]
      : [
          ["layers", shape.layers],
          ["dim", shape.dim],
          ["heads", shape.heads],
          ["vocab", shape.vocab],
        ].flatMap(([k, v]) => [`--${k}`, String(v)])),
    ...run.flatMap(([k, v]) => [`--${k}`, String(v)]),
  ];
  // the script as it is, then its process's peak resident set (ru_maxrss, KiB on Linux)
  const wrapper = [
    "import json, resource, runpy, sys",
    "sys.argv = sys.argv[1:]",
    "runpy.run_path(sys.argv[0], run_name='__main__')",
    "print(json.dumps({'maxrss_kib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))",
  ].join("\n");
  const r = spawnSync(
    PYTHON,
    ["-c", wrapper, ANCHOR, ...flags, "--threads", String(threads), "--device", torchDevice],
    { env: torchEnv(), encoding: "utf8" },
  );
  const lines = r.stdout.trim().split("\n");
  const [line, rss] = [lines.at(-2) ?? "", lines.at(-1) ?? ""];
  if (r.status !== 0 || !line.startsWith("{") || !rss.startsWith("{")) {
    process.stderr.write(r.stderr);
    throw new Error(`torch anchor failed (exit ${r.status})`);
  }
  const peak = (JSON.parse(rss) as { maxrss_kib: number }).maxrss_kib / 1024;
  return {
    bench: "dpo_step_torch",
    anchor: OWN_ANCHOR ? "bench/torch_llama_dpo_step.py" : "shared/bench/torch_dpo_step.py",
    training: shape.loraRank > 0 ? `lora-${shape.loraRank}` : "full",
    ...JSON.parse(line),
    peak_rss_mib: round(peak, 1),
  };
}

/** Keeps, per key, the row with the largest `metric`. */
function keepBest(best: Map<string, Row>, key: string, row: Row, metric: string) {
  const prev = best.get(key);
  if (!prev || (row[metric] as number) > (prev[metric] as number)) best.set(key, row);
}

function main(): void {
  // a preset's real shape takes minutes a round: one round unless --repeat says otherwise
  const { names: selected, threads, repeat } = RUN;
  const metricOf: Record<string, string> = {
    dpo_step: "pairs_per_s",
    dpo_step_torch: "pairs_per_s",
    reward_step: "pairs_per_s",
    diffusion_dpo_step: "pairs_per_s",
    sample_lm: "tokens_per_s",
    sample_diffusion: "images_per_s",
  };
  for (const name of selected) {
    if (name === "memory") {
      for (const t of threads) emit({ ...runChild("memory", t), load: loadAvg() });
      continue;
    }
    if (name === "profile") {
      for (const t of threads) {
        // LoRA is trained by the shared formulation only
        for (const v of shape.loraRank > 0 ? ["shared"] : ["plain", "shared"]) {
          const row = runChild(`profile:${v}`, t);
          emit({ ...row, variant: v, load: loadAvg() });
        }
      }
      continue;
    }
    if (name === "scaling") {
      scaling(args.includes("--threads") ? threads : [1, 2, 4, 8, 16], repeat);
      continue;
    }
    const children =
      name === "dpo-variants" ? ["dpo:plain", "dpo:shared+ref", "dpo:shared"] : [name];
    const withTorch = (name === "dpo" || name === "dpo-variants") && torchAvailable();
    const best = new Map<string, Row>();
    for (let rep = 0; rep < repeat; rep++) {
      for (const t of threads) {
        // load: the 1-minute load average as the run ends (other processes on the machine)
        if (withTorch)
          keepBest(best, `torch:${t}`, { ...runTorch(t), load: loadAvg() }, "pairs_per_s");
        for (const ch of children) {
          // a setting that does not fit the heap is said so once (its row is not a measurement)
          if (best.get(`${ch}:${t}`)?.fits === false) continue;
          const row = { ...runChild(ch, t), load: loadAvg() };
          keepBest(best, `${ch}:${t}`, row, metricOf[row.bench]);
        }
      }
    }
    for (const t of threads) {
      const torch = best.get(`torch:${t}`);
      for (const ch of children) {
        const row = best.get(`${ch}:${t}`) as Row;
        emit({ ...row, best_of: repeat });
        if (torch && row.bench === "dpo_step" && row.fits !== false)
          emit({
            bench: "dpo_step_ratio",
            variant: row.variant,
            device: row.device,
            anchor_device: torch.device,
            threads: t,
            ratio: round((row.pairs_per_s as number) / (torch.pairs_per_s as number)),
            // peak resident memory, prefopt ÷ anchor (each process's own maximum)
            rss_ratio: round((row.peak_rss_mib as number) / (torch.peak_rss_mib as number)),
          });
      }
      if (torch) emit({ ...torch, best_of: repeat });
    }
    // each side at its fastest thread count: what a user of either gets on this machine
    if (withTorch)
      for (const ch of children) {
        const fastest = (key: (t: number) => string) =>
          threads
            .map((t) => best.get(key(t)) as Row)
            .reduce((a, b) => ((b.pairs_per_s as number) > (a.pairs_per_s as number) ? b : a));
        const ours = fastest((t) => `${ch}:${t}`);
        const torch = fastest((t) => `torch:${t}`);
        if (ours.bench !== "dpo_step" || ours.fits === false) continue;
        emit({
          bench: "dpo_step_ratio",
          variant: ours.variant,
          comparison: "fastest",
          threads: ours.threads,
          torch_threads: torch.threads,
          ratio: round((ours.pairs_per_s as number) / (torch.pairs_per_s as number)),
        });
      }
  }
}

/**
 * The DPO step at each thread count in `list`, modelled (bench/scaling-model.ts) from each
 * kernel's one-thread time, the pool's cut of every kernel at that count, and the host's costs
 * fitted to the step measured at one and two threads (best of `repeat`). The cut is recorded by
 * running the step with that many workers, which works on any machine; only the timing needs
 * the cores.
 */
function scaling(list: number[], repeat: number): void {
  const measured = new Map<string, Row>();
  for (let rep = 0; rep < repeat; rep++)
    for (const t of [1, 2]) keepBest(measured, String(t), runChild("dpo", t), "pairs_per_s");
  const kernelsAt = (t: number) => runChild("scaling:kernels", t).kernels as KernelCut[];
  const one = kernelsAt(1);
  const cuts = new Map<number, KernelCut[]>([[1, one]]);
  for (const t of new Set([2, ...list])) if (t > 1) cuts.set(t, kernelsAt(t));
  const at = (t: number) => {
    const cut = cuts.get(t) as KernelCut[];
    return {
      compute: computeMs(one, cut),
      shape: { kernels: cut.length, split: splitKernels(cut), messages: workerMessages(cut) },
    };
  };
  const wall = (t: number) => measured.get(String(t))?.ms_per_step as number;
  // --host-ms PER_KERNEL,PER_HAND_OFF: host costs from another run (to compare two engines alike)
  const given = flag("host-ms", "");
  const host: HostCost = given
    ? { perKernelMs: Number(given.split(",")[0]), perHandOffMs: Number(given.split(",")[1]) }
    : fitHostCost(
        one.length,
        { wallMs: wall(1), computeMs: at(1).compute },
        { wallMs: wall(2), computeMs: at(2).compute, split: at(2).shape.split },
      );
  // --extra-message-us X: one more model, each message past a kernel's first costing X µs
  const extraUs = flag("extra-message-us", "");
  emit({
    bench: "dpo_scaling_host",
    kernels: one.length,
    kernel_ms_1thread: round(at(1).compute, 1),
    per_kernel_ms: round(host.perKernelMs, 4),
    per_hand_off_ms: round(host.perHandOffMs, 4),
    host_costs: given ? "given (--host-ms)" : "fitted to the measured 1- and 2-thread steps",
    measured_ms_per_step: { 1: wall(1), 2: wall(2) },
    load: loadAvg(),
  });
  for (const t of list) {
    const { compute, shape: cut } = at(t);
    const model = (extraMs: number) => round(stepMs(compute, cut, host, extraMs), 1);
    const pairs = (ms: number) => round((shape.pairs * 1000) / ms);
    const overlapped = model(0);
    const serial = model(host.perHandOffMs);
    const calibrated = extraUs ? model(Number(extraUs) / 1000) : undefined;
    const m = measured.get(String(t));
    emit({
      bench: "dpo_scaling",
      threads: t,
      split_kernels: cut.split,
      worker_messages: cut.messages,
      compute_ms: round(compute, 1),
      perfect_split_ms: round(at(1).compute / t, 1),
      // each further message of a kernel free (round trips overlap) or a full hand-off (queued)
      model_ms_per_step: { overlapped, serial },
      model_pairs_per_s: { overlapped: pairs(overlapped), serial: pairs(serial) },
      ...(calibrated === undefined
        ? {}
        : {
            model_ms_at_extra_message_us: calibrated,
            model_pairs_per_s_at_extra_message_us: pairs(calibrated),
          }),
      ...(m ? { measured_pairs_per_s: m.pairs_per_s } : {}),
    });
  }
  const top = Math.max(...list);
  emit({
    bench: "dpo_scaling_worst_cut",
    threads: top,
    kernels: worstCut(one, cuts.get(top) as KernelCut[], top).map((k) => ({
      ...k,
      ms: round(k.ms, 2),
      lostMs: round(k.lostMs, 2),
    })),
  });
}

function loadAvg(): number {
  return round(os.loadavg()[0], 2);
}

if (args.includes("--child")) await child(args[args.indexOf("--child") + 1]);
else main();
