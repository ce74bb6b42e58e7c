// Every training step and sampler on WebGPU against the CPU backend: the
// fixture (fixtures/device-steps.ts) runs each through the library's own entry
// point (DpoStepper, the Diffusion-DPO step, runReward, runSft, runRlhf's RLOO,
// runDiffusionTrain, trainDuo, trainEsd, DDPM and DDIM sampling, LM generation)
// with tiny shapes, once with --device cpu and once with --device webgpu (each in
// its own process), and each test below asks for the same metrics, updated
// weights, pixels and tokens within float32 tolerance, and prints the largest
// differences. Without a GPU this runs on SwiftShader, the CPU Vulkan driver
// that Chromium ships (/usr/lib/chromium/vk_swiftshader_icd.json; Dawn from the
// optional package `webgpu` runs the same WGSL shaders a browser would).
// Skipped, saying why, where neither the package nor a Vulkan driver is
// present; VK_ICD_FILENAMES set by the caller (a real GPU's driver) is used as it is.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";

const SWIFTSHADER = "/usr/lib/chromium/vk_swiftshader_icd.json";

function webgpuEnv(): NodeJS.ProcessEnv | string {
  try {
    createRequire(import.meta.url).resolve("webgpu");
  } catch {
    return "the optional package 'webgpu' is not installed";
  }
  if (process.env.VK_ICD_FILENAMES) return { ...process.env };
  if (!existsSync(SWIFTSHADER))
    return `no Vulkan driver named (VK_ICD_FILENAMES) and no ${SWIFTSHADER}`;
  const lib = dirname(SWIFTSHADER);
  return {
    ...process.env,
    VK_ICD_FILENAMES: SWIFTSHADER,
    LD_LIBRARY_PATH: [lib, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":"),
  };
}

type Part = {
  engine: string;
  metrics: Record<string, number>[];
  exact: number[][];
  floats: Float32Array;
};

function runDevice(device: string, env: NodeJS.ProcessEnv, dir: string): void {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "fixtures", "device-steps.ts"), device, dir],
    { env, encoding: "utf8", timeout: 20 * 60_000 },
  );
  assert.equal(r.status, 0, `${device} run failed:\n${r.stderr}`);
}

function readPart(dir: string, device: string, name: string): Part {
  const j = JSON.parse(readFileSync(join(dir, `${device}.${name}.json`), "utf8"));
  const b = readFileSync(join(dir, `${device}.${name}.bin`));
  return { ...j, floats: new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4) };
}

/**
 * What each part must meet. Weights: Adam's m/√v is about a sign where a
 * gradient is ~0, so one weight may move by up to 2·lr per update differently
 * on the two devices (lr 1e-3, two updates: 4e-3); the mean difference stays at
 * float32 noise. `noisy1`: metrics that at step 1 (policy = reference) compare
 * two equal numbers, so their sign is rounding noise.
 */
type Spec = {
  what: string;
  steps: number;
  weights: { max: number; mean: number };
  noisy1?: string[];
  /** Tolerance of the gradient norm and derived metrics (rewards, accuracies) where not the default. */
  loose?: { rel: number; abs: number };
  /** Checks that the run did what it should on the CPU (not a vacuous comparison). */
  sane?: (cpu: Part) => void;
};
const LOG2 = Math.log(2);
const trained = (c: Part) =>
  assert.notEqual(c.metrics[1].loss, c.metrics[0].loss, "the loss should move after one update");
const SPECS: Record<string, Spec> = {
  dpo: {
    what: "DPO step (DpoStepper, bundled text model)",
    steps: 2,
    weights: { max: 4e-3, mean: 1e-6 },
    noisy1: ["rewards/accuracies"],
    sane: (c) => {
      assert.ok(Math.abs(c.metrics[0].loss - LOG2) < 1e-4);
      assert.ok(c.metrics[1].loss < 0.5, `step 2 loss ${c.metrics[1].loss} should have fallen`);
    },
  },
  "diffusion-dpo": {
    what: "Diffusion-DPO step (small UNet)",
    steps: 2,
    weights: { max: 4e-3, mean: 1e-6 },
    sane: (c) => {
      assert.ok(Math.abs(c.metrics[0].loss - LOG2) < 1e-4);
      trained(c);
    },
  },
  reward: {
    what: "reward step (runReward, Bradley–Terry)",
    steps: 2,
    weights: { max: 4e-3, mean: 1e-6 },
    sane: trained,
  },
  sft: { what: "SFT step (runSft)", steps: 2, weights: { max: 4e-3, mean: 1e-6 }, sane: trained },
  rloo: {
    what: "RLOO step (runRlhf, AFINN reward, sampling included)",
    steps: 2,
    weights: { max: 4e-3, mean: 1e-6 },
    sane: (c) => {
      trained(c);
      assert.ok(c.metrics[1]["objective/kl"] > 0, "step 2 samples from the updated policy");
    },
  },
  diffusion: {
    // runDiffusionTrain draws its own initial weights with the engine's random.normal, which on
    // WebGPU differs from the CPU's by up to ~2e-4·|z| (SwiftShader's cos, within WGSL's bound)
    what: "diffusion denoising step (runDiffusionTrain, small model, EMA saved)",
    steps: 2,
    weights: { max: 2e-3, mean: 5e-5 },
    sane: trained,
  },
  duo: {
    what: "DUO step (trainDuo, small UNet)",
    steps: 2,
    weights: { max: 4e-3, mean: 1e-6 },
    noisy1: ["implicit_accuracy"],
    // β 50 turns the weights' float32-noise difference after the first update (above) into
    // implicit rewards ~7e-4 apart at step 2 and gradient norms 1.6e-4 relative apart
    loose: { rel: 2e-3, abs: 2e-3 },
    sane: (c) => {
      assert.ok(Math.abs(c.metrics[0].loss - LOG2) < 1e-4);
      trained(c);
    },
  },
  esd: {
    what: "ESD step (trainEsd, small UNet)",
    steps: 2,
    weights: { max: 4e-3, mean: 1e-6 },
    sane: (c) => {
      assert.ok(c.metrics[0].loss > 0, "ESD's loss is 0 only when ε ignores the prompt");
      trained(c);
    },
  },
  // pixels in [−1, 1]; the samplers' noise is the engine's random.normal (Box–Muller) on each
  // device, whose cos on SwiftShader is off by up to 1.9e-4 (WGSL allows 2^-11 ≈ 4.9e-4)
  ddpm: {
    what: "DDPM sampling (generateImages, 4 steps)",
    steps: 0,
    weights: { max: 1e-2, mean: 5e-4 },
  },
  ddim: {
    what: "DDIM sampling, η = 1 (generateImages, 4 steps)",
    steps: 0,
    weights: { max: 1e-2, mean: 5e-4 },
  },
  generate: {
    what: "LM generation, greedy and seeded sampling (tokens equal; logits of one prompt)",
    steps: 0,
    weights: { max: 1e-4, mean: 1e-5 },
  },
};

/** Tolerance of one metric: the loss and gradient norm tight, derived metrics looser. */
function tolerance(key: string, loose?: Spec["loose"]): { rel: number; abs: number } {
  if (["step", "epoch", "learning_rate"].includes(key)) return { rel: 0, abs: 0 };
  if (/(^|_)loss$/.test(key)) return { rel: 1e-4, abs: 1e-5 };
  if (key === "grad_norm") return loose ?? { rel: 1e-4, abs: 1e-5 };
  return loose ?? { rel: 1e-3, abs: 1e-4 };
}

const env = webgpuEnv();
describe("every step and sampler on WebGPU equals the CPU backend within float32 tolerance", {
  skip: typeof env === "string" ? env : false,
}, () => {
  let dir = "";
  before(
    () => {
      dir = mkdtempSync(join(tmpdir(), "prefopt-webgpu-"));
      runDevice("cpu", { ...process.env }, dir);
      runDevice("webgpu", env as NodeJS.ProcessEnv, dir);
    },
    { timeout: 40 * 60_000 },
  );
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the WebGPU device gets the adapter's buffer limits and reports no error; DPO's heap check has no 4 GiB limit there", () => {
    const read = (d: string) => JSON.parse(readFileSync(join(dir, `${d}.engine.json`), "utf8"));
    const [cpu, gpu] = [read("cpu"), read("webgpu")];
    assert.equal(gpu.device, "webgpu");
    // WebGPU's defaults (256 MiB, 128 MiB) unless asked for more: the engine asks for the adapter's
    assert.deepEqual(gpu.gpu.limits, gpu.gpu.adapterLimits);
    assert.ok(gpu.gpu.limits.maxBufferSize >= 256 * 2 ** 20);
    assert.ok(gpu.gpu.limits.maxStorageBufferBindingSize >= 128 * 2 ** 20);
    console.log(`webgpu buffer limits (device = adapter): ${JSON.stringify(gpu.gpu.limits)}`);
    assert.equal(gpu.heapLimit, null); // Infinity in JSON
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "webgpu.errors.json"), "utf8")), []);
    if (process.env.PREFOPT_HEAP_LIMIT === undefined) assert.equal(cpu.heapLimit, 4 * 2 ** 30);
  });

  for (const [name, spec] of Object.entries(SPECS)) {
    test(spec.what, () => {
      const cpu = readPart(dir, "cpu", name);
      const gpu = readPart(dir, "webgpu", name);
      assert.equal(cpu.engine, "wasm");
      assert.equal(gpu.engine, "webgpu");
      spec.sane?.(cpu);
      // metrics, step by step
      assert.equal(cpu.metrics.length, spec.steps);
      assert.equal(gpu.metrics.length, spec.steps);
      let worst = { rel: 0, what: "none" };
      cpu.metrics.forEach((c, i) => {
        const g = gpu.metrics[i];
        assert.deepEqual(Object.keys(g).sort(), Object.keys(c).sort());
        for (const [k, a] of Object.entries(c)) {
          if (i === 0 && spec.noisy1?.includes(k)) continue;
          const b = g[k];
          const { rel, abs } = tolerance(k, spec.loose);
          assert.ok(
            Math.abs(a - b) <= abs + rel * Math.abs(a),
            `${name} step ${i + 1} ${k}: cpu ${a}, webgpu ${b}`,
          );
          const r = Math.abs(a - b) / Math.max(Math.abs(a), 1e-12);
          if (k === "loss" && r >= worst.rel)
            worst = { rel: r, what: `step ${i + 1} loss ${a} / ${b}` };
        }
      });
      // host values (token ids) exactly
      assert.deepEqual(gpu.exact, cpu.exact);
      // weights or pixels or logits
      assert.equal(gpu.floats.length, cpu.floats.length);
      assert.ok(cpu.floats.length > 0);
      let max = 0;
      let sum = 0;
      let scale = 0;
      for (let i = 0; i < cpu.floats.length; i++) {
        const d = Math.abs(cpu.floats[i] - gpu.floats[i]);
        sum += d;
        if (d > max) max = d;
        if (Math.abs(cpu.floats[i]) > scale) scale = Math.abs(cpu.floats[i]);
      }
      assert.ok(Number.isFinite(sum), `${name}: a value is not finite`);
      const mean = sum / cpu.floats.length;
      console.log(
        `webgpu vs cpu, ${name}: ${worst.what === "none" ? "" : `largest loss difference ${worst.rel.toExponential(2)} relative (${worst.what}); `}${cpu.floats.length} ${spec.steps ? "weights" : "values"} (max |x| ${scale.toFixed(2)}): max |Δ| ${max.toExponential(2)}, mean |Δ| ${mean.toExponential(2)}${cpu.exact.length ? `; ${cpu.exact.flat().length} tokens equal` : ""}`,
      );
      assert.ok(max <= spec.weights.max, `${name}: max |Δ| ${max} > ${spec.weights.max}`);
      assert.ok(mean <= spec.weights.mean, `${name}: mean |Δ| ${mean} > ${spec.weights.mean}`);
    });
  }
});
