// The DPO and Diffusion-DPO steps on WebGPU against the CPU backend: two DPO
// updates of the bundled text model and two of a small UNet from the same
// weights and data, once with --device cpu and once
// with --device webgpu (each in its own process), must give the same loss,
// metrics and updated weights within float32 tolerance. Without a GPU this
// runs on SwiftShader, the CPU Vulkan driver that Chromium ships
// (/usr/lib/chromium/vk_swiftshader_icd.json; Dawn from the optional package
// `webgpu` renders the same WGSL shaders a browser would). Skipped, saying why,
// where neither the package nor a Vulkan driver is present; VK_ICD_FILENAMES
// set by the caller (a real GPU's driver) is used as it is.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";

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

type Run = {
  engine: string;
  metrics: Record<string, number>[];
  diffusion: { loss: number; grad_norm: number }[];
  params: Float32Array;
};

function run(device: string, env: NodeJS.ProcessEnv, dir: string): Run {
  const out = join(dir, `${device}.json`);
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", join(import.meta.dirname, "fixtures", "device-steps.ts"), device, out],
    { env, encoding: "utf8", timeout: 10 * 60_000 },
  );
  assert.equal(r.status, 0, `${device} run failed:\n${r.stderr}`);
  const j = JSON.parse(readFileSync(out, "utf8"));
  const b = readFileSync(`${out}.bin`);
  return { ...j, params: new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4) };
}

const env = webgpuEnv();
test("two DPO and two Diffusion-DPO steps on WebGPU equal the CPU backend's within float32 tolerance", {
  skip: typeof env === "string" ? env : false,
  timeout: 20 * 60_000,
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "prefopt-webgpu-"));
  try {
    const cpu = run("cpu", { ...process.env }, dir);
    const gpu = run("webgpu", env as NodeJS.ProcessEnv, dir);
    assert.equal(cpu.engine, "wasm");
    assert.equal(gpu.engine, "webgpu");
    const close = (a: number, b: number, rel: number, abs: number, what: string) =>
      assert.ok(Math.abs(a - b) <= abs + rel * Math.abs(a), `${what}: cpu ${a}, webgpu ${b}`);
    // step 1: policy = reference, the loss is log 2 on both; the gradient is the same
    for (const r of [cpu, gpu]) close(r.metrics[0].loss, Math.log(2), 0, 1e-4, "step 1 loss");
    close(cpu.metrics[0].grad_norm, gpu.metrics[0].grad_norm, 1e-4, 0, "step 1 grad_norm");
    // step 2: after one AdamW update the loss has moved far from log 2 on both alike
    const [c, g] = [cpu.metrics[1], gpu.metrics[1]];
    assert.ok(c.loss < 0.5, `step 2 loss ${c.loss} should have fallen`);
    close(c.loss, g.loss, 1e-4, 1e-6, "step 2 loss");
    close(c.grad_norm, g.grad_norm, 1e-4, 0, "step 2 grad_norm");
    for (const k of ["rewards/margins", "rewards/chosen", "rewards/rejected"])
      close(c[k], g[k], 1e-4, 1e-4, `step 2 ${k}`);
    for (const k of ["logps/chosen", "logps/rejected"]) close(c[k], g[k], 1e-5, 0, `step 2 ${k}`);
    // Diffusion-DPO (policy = reference at step 1: loss log 2), same noise and t on both
    for (let i = 0; i < 2; i++) {
      const [cd, gd] = [cpu.diffusion[i], gpu.diffusion[i]];
      close(cd.loss, gd.loss, 1e-4, 1e-6, `diffusion-dpo step ${i + 1} loss`);
      close(cd.grad_norm, gd.grad_norm, 1e-3, 0, `diffusion-dpo step ${i + 1} grad_norm`);
    }
    close(cpu.diffusion[0].loss, Math.log(2), 0, 1e-4, "diffusion-dpo step 1 loss");
    assert.notEqual(cpu.diffusion[1].loss, cpu.diffusion[0].loss);
    // weights (LM, then UNet) after both updates: float32 noise, except where a gradient is ~0 and
    // Adam's m/√v (≈ its sign) may differ — bounded by the step size lr = 1e-3 per step
    assert.equal(cpu.params.length, gpu.params.length);
    let sum = 0;
    let max = 0;
    let over = 0;
    for (let i = 0; i < cpu.params.length; i++) {
      const d = Math.abs(cpu.params[i] - gpu.params[i]);
      sum += d;
      max = Math.max(max, d);
      if (d > 1e-4) over++;
    }
    const n = cpu.params.length;
    console.log(
      `webgpu vs cpu: step 2 loss ${g.loss} / ${c.loss}; diffusion-dpo step 2 loss ${gpu.diffusion[1].loss} / ${cpu.diffusion[1].loss}; weights ${n}: mean |Δ| ${(sum / n).toExponential(2)}, max ${max.toExponential(2)}, ${over} above 1e-4`,
    );
    assert.ok(sum / n < 1e-6, `mean |Δweight| ${sum / n}`);
    assert.ok(max <= 2 * 2e-3, `max |Δweight| ${max}`);
    assert.ok(over <= n * 1e-3, `${over} of ${n} weights differ by more than 1e-4`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
