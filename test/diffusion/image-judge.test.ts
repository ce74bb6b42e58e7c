import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { loadMnistSplit } from "../../src/data/mnist.js";
import { decodeGrayPng } from "../../src/engine/png.js";
import { digitWorldJudges, digitWorldScores, strayInk } from "../../src/eval/image-judge.js";
import { parseImageVerdict, visionJudge } from "../../src/eval/image-judge-llm.js";
import { defaultModelDir } from "../../src/models/default-model.js";
import { type DigitClassifier, loadClassifier } from "../../src/models/vision/digit-classifier.js";
import { measureDigit } from "../../src/models/vision/measures.js";
import { setup } from "../helpers.js";

const P = 784;

describe("image judges of the text-to-digit world (Q1, Q2, Q3)", () => {
  let clf: DigitClassifier;
  let imgs: { pixels: Float32Array; labels: Int32Array; n: number };
  const img = (i: number) => imgs.pixels.slice(i * P, (i + 1) * P);
  const find = (pred: (i: number) => boolean) => {
    for (let i = 0; i < imgs.n; i++) if (pred(i)) return i;
    throw new Error("no such test image");
  };
  before(async () => {
    await setup();
    clf = loadClassifier(defaultModelDir("digit-classifier"));
    imgs = loadMnistSplit().test;
  });

  it("a blank image loses Q2 (and Q1) to a real digit, whatever the prompt", async () => {
    const j = digitWorldJudges(clf);
    const blank = new Float32Array(P);
    const items = [0, 1, 2].map((k) => ({ prompt: `a thin ${k}`, a: blank, b: img(k) }));
    assert.deepEqual(await j.appeal.compare(items), [0, 0, 0]);
    assert.deepEqual(await j.general.compare(items), [0, 0, 0]);
    // and swapping the sides swaps the verdict
    const swapped = items.map((x) => ({ prompt: x.prompt, a: x.b, b: x.a }));
    assert.deepEqual(await j.appeal.compare(swapped), [1, 1, 1]);
  });

  it("a wrong digit loses Q3; Q2 ignores the prompt", async () => {
    const j = digitWorldJudges(clf);
    const three = img(find((i) => imgs.labels[i] === 3));
    const seven = img(find((i) => imgs.labels[i] === 7));
    const out = await j.alignment.compare([
      { prompt: "a 3", a: three, b: seven },
      { prompt: "number seven", a: three, b: seven },
    ]);
    assert.deepEqual(out, [1, 0]);
    // appeal does not read the prompt: the same pair gets the same verdict under both prompts
    const ap = await j.appeal.compare([
      { prompt: "a 3", a: three, b: seven },
      { prompt: "number seven", a: three, b: seven },
    ]);
    assert.equal(ap[0], ap[1]);
  });

  it("Q3 reads the thickness word: a thick digit fits 'thick', a thin one fits 'thin'", async () => {
    const s = digitWorldScores(clf);
    const thick = img(find((i) => imgs.labels[i] === 0 && measureDigit(img(i)).thickness > 3));
    const thin = img(find((i) => imgs.labels[i] === 0 && measureDigit(img(i)).thickness < 1.9));
    const sc = await s.alignment([
      { prompt: "a thick 0", image: thick },
      { prompt: "a thick 0", image: thin },
      { prompt: "a thin 0", image: thick },
      { prompt: "a thin 0", image: thin },
    ]);
    assert.ok(sc[0] > sc[1], `thick prompt: ${sc[0]} vs ${sc[1]}`);
    assert.ok(sc[3] > sc[2], `thin prompt: ${sc[3]} vs ${sc[2]}`);
  });

  it("stray ink: a speck far from the digit is measured and lowers Q2", async () => {
    const clean = img(find((i) => imgs.labels[i] === 1 && strayInk(img(i)) === 0));
    const specked = clean.slice();
    for (const p of [0, 1, 28, 29, 27, 55]) specked[p] = 1; // two specks in the corners
    assert.equal(strayInk(clean), 0);
    let ink = 0;
    for (const v of clean) ink += v > 0.25 ? v : 0;
    assertCloseTo(strayInk(specked), 6 / (ink + 6), 1e-5);
    const [v] = await digitWorldJudges(clf).appeal.compare([{ prompt: "", a: clean, b: specked }]);
    assert.equal(v, 1);
  });
});

function assertCloseTo(a: number, b: number, tol: number) {
  assert.ok(Math.abs(a - b) <= tol, `${a} ≠ ${b}`);
}

describe("vision judge against a local fake OpenAI-compatible server", () => {
  let server: Server;
  let base = "";
  let mode: "ink" | "alwaysA" | "tie" = "ink";
  const seen: { text: string; urls: string[] }[] = [];
  before(async () => {
    await setup();
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (d) => {
        body += d;
      });
      req.on("end", () => {
        const parts = JSON.parse(body).messages[0].content as {
          type: string;
          text?: string;
          image_url?: { url: string };
        }[];
        const urls = parts.filter((p) => p.type === "image_url").map((p) => p.image_url?.url ?? "");
        seen.push({ text: parts[0].text ?? "", urls });
        // the fake model prefers the image with more ink, read from the PNGs it was sent
        const ink = urls.map((u) => {
          const png = decodeGrayPng(
            Buffer.from(u.replace(/^data:image\/png;base64,/, ""), "base64"),
          );
          return png.pixels.reduce((s, v) => s + v, 0);
        });
        const pick =
          mode === "alwaysA" ? "A" : mode === "tie" ? "tie" : ink[0] > ink[1] ? "A" : "B";
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(
            JSON.stringify({ choices: [{ message: { content: `Looks so.\nVerdict: ${pick}` } }] }),
          );
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  after(() => server.close());

  it("sends both images as base64 PNG data URLs in both orders; ties and split verdicts are 0.5", async () => {
    const dark = new Float32Array(P);
    const bright = new Float32Array(P).fill(0.2);
    for (let i = 300; i < 400; i++) bright[i] = 1;
    const j = visionJudge({ url: base, model: "fake-vlm", question: "appeal", retries: 0 });
    const items = [
      { prompt: "a 1", a: bright, b: dark },
      { prompt: "a 1", a: dark, b: bright },
    ];
    mode = "ink";
    assert.deepEqual(await j.compare(items), [1, 0]);
    assert.equal(seen.length, 4, "two comparisons × both orders");
    assert.equal(seen[0].urls.length, 2);
    const png = decodeGrayPng(
      Buffer.from(seen[0].urls[0].replace(/^data:image\/png;base64,/, ""), "base64"),
    );
    assert.equal(png.width, 224, "28×28 upscaled ×8");
    assert.match(seen[0].text, /more visually appealing/);
    assert.match(seen[0].text, /"a 1"/);
    mode = "alwaysA"; // position bias: A, then A after the swap → a split, a tie
    assert.deepEqual(await j.compare(items), [0.5, 0.5]);
    mode = "tie";
    assert.deepEqual(await j.compare(items), [0.5, 0.5]);
  });

  it("parses verdicts", () => {
    assert.equal(parseImageVerdict("Both fine.\nVerdict: tie"), "tie");
    assert.equal(parseImageVerdict("Verdict: **B**"), "B");
    assert.equal(parseImageVerdict("A"), "A");
    assert.equal(parseImageVerdict("no idea"), null);
  });
});
