/**
 * The studio end to end in a real browser (Debian's Chromium through
 * playwright-core) against a real `prefopt studio` process: a labeler labels
 * text pairs with the keyboard (left, right, skip, undo, tie), the server is
 * killed with SIGKILL and restarted and the page carries on where it was, a
 * blinded image evaluation answers the lecture's three questions, the export
 * is downloaded, and DPO is trained on it from the Train tab (`prefopt dpo`
 * as a child process) with its curves drawn. A prompt and a candidate carry
 * markup and script; they must show as text and never run.
 * With PREFOPT_STUDIO_SCREENSHOTS=<dir>, the views are saved there as PNG.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { IMAGE_SIZE, imageAt, loadMnist } from "../../src/data/mnist.js";
import { encodeGrayPng } from "../../src/engine/png.js";
import { importJsonl } from "../../src/studio/import.js";
import { Store } from "../../src/studio/store.js";
import { CHROMIUM, NO_CHROMIUM, tempDir } from "./helpers.js";
import { freePort, type StudioProcess, startStudio, stopStudio } from "./studio-process.js";

const XSS_PROMPT = `Review: <img src=x onerror="window.__xss=1"><script>window.__xss=2</script>`;
const PAIRS = [
  {
    prompt: XSS_PROMPT,
    chosen: ' <b onmouseover="window.__xss=3">bold</b> and fun',
    rejected: " dull.",
  },
  { prompt: "The acting was", chosen: " superb and moving.", rejected: " wooden." },
  { prompt: "The plot", chosen: " grips from start to end.", rejected: " drags on." },
  { prompt: "The music", chosen: " soars.", rejected: " is forgettable." },
];
const SHOTS = process.env.PREFOPT_STUDIO_SCREENSHOTS;
/** DPO steps run from the Train tab (more for screenshots, so the curves have a shape). */
const TRAIN_STEPS = SHOTS ? 40 : 2;

/** Three evaluation pairs of real MNIST digits: model A draws the prompt's digit, model B another. */
function evalRows(dir: string): string {
  const m = loadMnist();
  const find = (digit: number, k: number) => {
    let seen = 0;
    for (let i = 0; i < m.n; i++) if (m.labels[i] === digit && seen++ === k) return i;
    throw new Error("no such digit");
  };
  const words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
  return [7, 3, 5]
    .map((d, k) => {
      const a = `eval-${k}-a.png`;
      const b = `eval-${k}-b.png`;
      writeFileSync(join(dir, a), encodeGrayPng(imageAt(m, find(d, k)), IMAGE_SIZE, IMAGE_SIZE));
      writeFileSync(
        join(dir, b),
        encodeGrayPng(imageAt(m, find((d + 1) % 10, k)), IMAGE_SIZE, IMAGE_SIZE),
      );
      return JSON.stringify({
        prompt: `a handwritten ${words[d]}`,
        a,
        b,
        judge: { overall: "a", appeal: "tie", alignment: "a" },
      });
    })
    .join("\n");
}

async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

describe("studio in Chromium", { skip: NO_CHROMIUM, timeout: SHOTS ? 900_000 : 240_000 }, () => {
  let dir: string;
  let server: StudioProcess;
  let browser: Browser;
  let page: Page;
  let url: string;
  let port: number;
  const dialogs: string[] = [];

  before(async () => {
    dir = tempDir();
    const s = new Store(dir);
    importJsonl(s, PAIRS.map((p) => JSON.stringify(p)).join("\n"), "pairs.jsonl", {
      task: "pairs",
      baseDir: dir,
    });
    const src = tempDir("prefopt-studio-eval-");
    importJsonl(s, evalRows(src), "eval.jsonl", {
      task: "eval",
      baseDir: src,
      modelA: "dpo-tuned",
      modelB: "base",
    });
    s.close();
    port = await freePort();
    server = await startStudio(dir, port);
    url = server.url;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    page = await browser.newPage({ viewport: { width: 1100, height: 720 }, acceptDownloads: true });
    page.on("dialog", (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  });
  after(async () => {
    await browser?.close();
    if (server) await stopStudio(server);
  });

  const progress = (n: number) =>
    page.waitForFunction(
      (want) => document.querySelector("[data-testid=progress]")?.textContent?.startsWith(want),
      `${n} / ${PAIRS.length} done`,
    );
  /** The app's key handler is attached (keys pressed before it would be ignored). */
  const keysOn = () => page.waitForSelector("body[data-keys=on]", { state: "attached" });
  const leftText = () => page.textContent("[data-side=left] pre");
  const prompt = () => page.textContent("[data-testid=prompt]");
  /** The key that picks the candidate `text` (by the side it is shown on). */
  const keyFor = async (text: string) => ((await leftText()) === text ? "ArrowLeft" : "ArrowRight");

  it("labels with the keyboard; markup in model outputs stays text", async () => {
    await page.goto(url);
    await page.fill("input[name=labeler]", "ada");
    await page.keyboard.press("Enter");
    await progress(0);
    await keysOn();
    // the XSS pair is first: shown literally, nothing ran, no element was made from it
    assert.equal(await prompt(), XSS_PROMPT);
    const xss = await page.evaluate(() => ({
      flag: (window as unknown as { __xss?: number }).__xss,
      imgs: document.querySelectorAll(".prompt img, .candidate img, .candidate b, main script")
        .length,
    }));
    assert.deepEqual(xss, { flag: undefined, imgs: 0 });
    const texts = await page.$$eval(".candidate pre", (els) => els.map((e) => e.textContent));
    assert.ok(texts.includes(PAIRS[0].chosen));
    await page.hover(".candidate pre");
    await page.keyboard.press(await keyFor(PAIRS[0].chosen));
    await progress(1);
    // pair 2: skip, undo (the same pair comes back), then pick its "rejected" with the number keys
    assert.equal(await prompt(), PAIRS[1].prompt);
    const orderBefore = await leftText();
    await page.keyboard.press("s");
    await progress(2);
    assert.equal(await prompt(), PAIRS[2].prompt);
    await shot(page, "studio-label");
    await page.keyboard.press("u");
    await progress(1);
    assert.equal(await prompt(), PAIRS[1].prompt);
    assert.equal(await leftText(), orderBefore);
    await page.keyboard.press((await keyFor(PAIRS[1].rejected)) === "ArrowLeft" ? "1" : "2");
    await progress(2);
    assert.equal(
      await page.evaluate(() => (window as unknown as { __xss?: number }).__xss),
      undefined,
    );
    assert.deepEqual(dialogs, []);
  });

  it("kill -9 and restart of the server: the page carries on where it was", async () => {
    await stopStudio(server, "SIGKILL");
    server = await startStudio(dir, port);
    await page.reload();
    await progress(2);
    await keysOn();
    assert.equal(await prompt(), PAIRS[2].prompt);
    await page.keyboard.press(await keyFor(PAIRS[2].chosen));
    await progress(3);
    await page.keyboard.press("t");
    await progress(4);
    await page.waitForSelector("[data-testid=all-done]");
  });

  it("blinded evaluation: three questions per image pair, live win rates", async () => {
    await page.click("[data-tab=evaluate]");
    await page.waitForSelector(".candidate img");
    await keysOn();
    assert.equal(await page.locator(".question .q").count(), 3);
    const natural = await page.$eval(
      ".candidate img",
      (img) => (img as HTMLImageElement).naturalWidth,
    );
    assert.equal(natural, 28);
    // first pair: left on every question; second: right, tie, left
    for (const keys of [
      ["ArrowLeft", "ArrowLeft", "ArrowLeft"],
      ["ArrowRight", "t", "ArrowLeft"],
    ]) {
      const before = await page.getAttribute(".compare", "data-item");
      for (const k of keys) await page.keyboard.press(k);
      await page.waitForFunction(
        (b) => document.querySelector(".compare")?.getAttribute("data-item") !== b,
        before,
      );
    }
    await page.waitForFunction(() => {
      const cell =
        document.querySelector("tr[data-question=overall] td:nth-child(2)")?.textContent ?? "";
      const [w, t, l] = cell.split("/").map((x) => Number(x.trim()));
      return w + t + l === 2;
    });
    const appeal = await page.textContent("tr[data-question=appeal] td:nth-child(2)");
    const [w, t, l] = appeal!.split("/").map((x) => Number(x.trim()));
    assert.equal(w + t + l, 2);
    assert.ok(t >= 1, "the tie on visual appeal counted");
    await shot(page, "studio-evaluate");
  });

  let downloaded = "";
  it("exports TRL JSONL with the labels made by keyboard", async () => {
    await page.click("[data-tab=data]");
    await page.waitForSelector("[data-testid=summary]");
    assert.match(
      (await page.textContent("[data-testid=summary]"))!,
      /3 pairs have a majority label, 1 are tied/,
    );
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.click("a[href*='media=text']"),
    ]);
    const path = join(dir, "downloaded.jsonl");
    await download.saveAs(path);
    downloaded = readFileSync(path, "utf8");
    assert.deepEqual(
      downloaded
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l)),
      [
        { prompt: PAIRS[0].prompt, chosen: PAIRS[0].chosen, rejected: PAIRS[0].rejected },
        { prompt: PAIRS[1].prompt, chosen: PAIRS[1].rejected, rejected: PAIRS[1].chosen },
        { prompt: PAIRS[2].prompt, chosen: PAIRS[2].chosen, rejected: PAIRS[2].rejected },
      ],
    );
    await shot(page, "studio-data");
  });

  it("trains DPO on the export from the Train tab and draws its curves", async () => {
    await page.click("[data-tab=train]");
    await page.fill(".train input >> nth=0", String(TRAIN_STEPS));
    await page.fill(".train input >> nth=2", "2");
    await page.click(".train button[type=submit]");
    await page.waitForSelector("ul.runs li", { timeout: 20_000 });
    await page.waitForFunction(
      () => /— (done|failed|killed)/.test(document.querySelector("ul.runs li")?.textContent ?? ""),
      null,
      { timeout: SHOTS ? 600_000 : 180_000, polling: 1000 },
    );
    const status = await page.textContent("ul.runs li");
    const log = await page.textContent("pre.log");
    assert.match(status!, /— done/, log ?? "");
    await page.waitForSelector("svg.chart");
    const id = status!.split(" — ")[0];
    // the run trained on exactly the file the Data tab downloads
    assert.equal(readFileSync(join(dir, "exports", `${id}.jsonl`), "utf8"), downloaded);
    const metrics = readFileSync(join(dir, "runs", id, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.equal(metrics.at(-1).step, TRAIN_STEPS);
    assert.ok(Number.isFinite(metrics.at(-1).loss));
    assert.ok(existsSync(join(dir, "runs", id, "model.safetensors")));
    await shot(page, "studio-train");
    await page.click("[data-tab=reports]");
    // the reports view shows the run's curves as drawn by report/curves.ts
    await page.waitForFunction(() => {
      const img = document.querySelector("img.curves") as HTMLImageElement | null;
      return img?.complete && img.naturalWidth > 300;
    });
    await shot(page, "studio-reports");
  });
});
