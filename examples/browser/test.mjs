#!/usr/bin/env node
// The browser example, tested in headless Chromium (Debian's package, driven by
// playwright-core): builds and serves the page, loads the bundled model, samples,
// runs the DPO steps on the page's preferences and samples again, then checks
// what a DPO step must do — first loss log 2 (policy = reference), falling loss,
// a larger chosen-over-rejected margin — and that no page error occurred.
// Usage: node examples/browser/test.mjs [--screenshot FILE]
//   CHROMIUM=/path/to/chromium overrides /usr/bin/chromium.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { serve } from "./serve.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const shotAt = process.argv.indexOf("--screenshot");
const shot = shotAt > 0 ? process.argv[shotAt + 1] : join(here, "dist", "screenshot.png");

const b = spawnSync(process.execPath, [join(here, "build.mjs")], { stdio: "inherit" });
if (b.status !== 0) process.exit(1);
const server = await serve(0);
const url = `http://127.0.0.1:${server.address().port}/?autotrain`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
const fail = (msg) => {
  console.error(`browser example: FAILED: ${msg}`);
  process.exitCode = 1;
};
try {
  const page = await browser.newPage({ viewport: { width: 1180, height: 1000 } });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForFunction(
    () => globalThis.prefoptDemo?.done || globalThis.prefoptDemo?.error,
    undefined,
    { timeout: 9 * 60_000, polling: 500 },
  );
  const s = await page.evaluate(() => {
    const d = globalThis.prefoptDemo;
    return {
      before: d.before,
      after: d.after,
      metrics: d.metrics,
      margins: d.margins,
      error: d.error,
      engine: document.getElementById("engine").textContent,
      isolated: globalThis.crossOriginIsolated,
    };
  });
  await page.screenshot({ path: shot, fullPage: true });
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  console.log(`page ${url} ${s.engine}, cross-origin isolated: ${s.isolated}, ${secs} s`);
  if (s.error) throw new Error(`page error: ${s.error}`);
  for (const [i, m] of s.metrics.entries()) {
    console.log(
      `step ${i + 1}: loss ${m.loss.toFixed(4)}, margin ${m["rewards/margins"].toFixed(4)}, ` +
        `accuracy ${m["rewards/accuracies"].toFixed(2)}, ${m.ms.toFixed(0)} ms`,
    );
  }
  console.log(
    `log π(chosen) − log π(rejected): ${s.margins.before.toFixed(3)} → ${s.margins.after.toFixed(3)}`,
  );
  console.log("before:", JSON.stringify(s.before[0]));
  console.log("after: ", JSON.stringify(s.after[0]));
  const shape = (rows) => rows?.length === 4 && rows.every((r) => r.length === 3);
  if (!shape(s.before) || !shape(s.after)) fail("expected 3 samples for each of 4 prompts");
  if (s.metrics.length < 2) fail(`expected the page's DPO steps, got ${s.metrics.length}`);
  if (Math.abs(s.metrics[0].loss - Math.log(2)) > 1e-3)
    fail(`first DPO loss ${s.metrics[0].loss}, expected log 2 = ${Math.log(2)}`);
  if (!(s.metrics.at(-1).loss < s.metrics[0].loss)) fail("the DPO loss did not fall");
  if (!(s.margins.after > s.margins.before)) fail("the chosen-over-rejected margin did not grow");
  if (JSON.stringify(s.before) === JSON.stringify(s.after)) fail("samples unchanged by training");
  if (errors.length) fail(`console errors: ${errors.join(" | ")}`);
  console.log(`screenshot: ${shot}`);
} catch (err) {
  fail(err.message);
} finally {
  await browser.close();
  server.close();
}
if (!process.exitCode) console.log("browser example: ok");
