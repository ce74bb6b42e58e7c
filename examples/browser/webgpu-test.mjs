#!/usr/bin/env node
// The browser example on WebGPU against the CPU backend, in headless Chromium
// with WebGPU on (SwiftShader's Vulkan where there is no GPU): the page loads
// the bundled model, samples, and runs 3 DPO steps on its preferences, once
// with ?device=cpu and once with ?device=webgpu; the per-step loss, margin and
// gradient norm must agree within float32 tolerance and no page error occur.
// Usage: node examples/browser/webgpu-test.mjs   (after or without test.mjs;
// it builds the page itself). CHROMIUM=/path overrides /usr/bin/chromium.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "./serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const STEPS = 3;
const b = spawnSync(process.execPath, [join(here, "build.mjs")], { stdio: "inherit" });
if (b.status !== 0) process.exit(1);
const server = await serve(0);
const base = `http://127.0.0.1:${server.address().port}/`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-background-networking",
    "--enable-unsafe-webgpu",
    "--enable-features=Vulkan",
    "--use-vulkan=swiftshader",
    "--use-webgpu-adapter=swiftshader",
    "--disable-vulkan-surface",
  ],
});
const fail = (msg) => {
  console.error(`browser WebGPU check: FAILED: ${msg}`);
  process.exitCode = 1;
};

async function runPage(device) {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  const t0 = Date.now();
  await page.goto(`${base}?device=${device}`);
  const wait = (fn) => page.waitForFunction(fn, undefined, { timeout: 9 * 60_000, polling: 500 });
  await wait(() => !document.getElementById("train").disabled || globalThis.prefoptDemo?.error);
  await page.fill("#steps", String(STEPS));
  await page.click("#train");
  await wait(() => globalThis.prefoptDemo?.done || globalThis.prefoptDemo?.error);
  const s = await page.evaluate(() => ({
    metrics: globalThis.prefoptDemo.metrics,
    error: globalThis.prefoptDemo.error,
    engine: document.getElementById("engine").textContent,
  }));
  await page.close();
  console.log(`${device}: ${s.engine}, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  if (s.error) throw new Error(`${device} page error: ${s.error}`);
  if (errors.length) throw new Error(`${device} console errors: ${errors.join(" | ")}`);
  return s;
}

try {
  const cpu = await runPage("cpu");
  const gpu = await runPage("webgpu");
  if (!/engine: webgpu/.test(gpu.engine)) fail(`the WebGPU page ran on ${gpu.engine}`);
  if (cpu.metrics.length !== STEPS || gpu.metrics.length !== STEPS)
    fail(`expected ${STEPS} steps, got ${cpu.metrics.length} and ${gpu.metrics.length}`);
  let worst = 0;
  for (let i = 0; i < STEPS; i++) {
    const [c, g] = [cpu.metrics[i], gpu.metrics[i]];
    const line = [];
    for (const k of ["loss", "rewards/margins", "grad_norm", "logps/chosen", "logps/rejected"]) {
      const d = Math.abs(c[k] - g[k]);
      const tol = 1e-4 * Math.max(1, Math.abs(c[k]));
      worst = Math.max(worst, d / Math.max(1, Math.abs(c[k])));
      line.push(`${k} ${c[k].toFixed(6)} / ${g[k].toFixed(6)}`);
      if (!(d <= tol)) fail(`step ${i + 1} ${k}: cpu ${c[k]}, webgpu ${g[k]}`);
    }
    console.log(`step ${i + 1} cpu / webgpu: ${line.join(", ")}`);
  }
  if (!(cpu.metrics.at(-1).loss < cpu.metrics[0].loss)) fail("the DPO loss did not fall");
  console.log(`largest difference (relative to max(1, |cpu|)): ${worst.toExponential(2)}`);
} catch (err) {
  fail(err.message);
} finally {
  await browser.close();
  server.close();
}
if (!process.exitCode) console.log("browser WebGPU check: ok");
