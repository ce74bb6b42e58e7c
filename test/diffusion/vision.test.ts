import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { loadMnistSplit } from "../../src/data/mnist.js";
import { decodeGrayPng, encodeGrayPng, readGrayPng, writeGrayPng } from "../../src/engine/png.js";
import { defaultModelDir } from "../../src/models/default-model.js";
import { loadClassifier } from "../../src/models/vision/digit-classifier.js";
import { heldOutAccuracy } from "../../src/pipelines/classifier-train.js";
import { imageGrid } from "../../src/report/image-grid.js";
import { setup } from "../helpers.js";

describe("digit classifier and PNGs", () => {
  before(setup);

  it("the bundled classifier is ≥ 97% accurate on held-out MNIST", async () => {
    const model = loadClassifier(defaultModelDir("digit-classifier"));
    const acc = await heldOutAccuracy(model, loadMnistSplit().test);
    assert.ok(acc >= 0.97, `held-out accuracy ${acc}`);
  });

  it("grayscale PNGs round-trip to 8 bits; grids place tiles row-major", () => {
    const px = Float32Array.from({ length: 28 * 28 }, (_, i) => (i % 256) / 255);
    const back = decodeGrayPng(encodeGrayPng(px, 28, 28));
    assert.equal(back.width, 28);
    for (let i = 0; i < px.length; i++) assert.ok(Math.abs(back.pixels[i] - px[i]) < 1 / 255);
    const dir = mkdtempSync(join(tmpdir(), "png-"));
    writeGrayPng(join(dir, "a.png"), px, 28, 28);
    assert.equal(readGrayPng(join(dir, "a.png")).pixels.length, 784);
    const tiles = Float32Array.from([0, 0, 0, 0, 1, 1, 1, 1, 0.25, 0.25, 0.25, 0.25]);
    const g = imageGrid(tiles, 3, 2, 2, { cols: 2, pad: 1, border: 0.5 });
    assert.equal(g.width, 7);
    assert.equal(g.height, 7);
    assert.equal(g.pixels[1 * 7 + 1], 0); // tile 0
    assert.equal(g.pixels[1 * 7 + 4], 1); // tile 1
    assert.equal(g.pixels[4 * 7 + 1], 0.25); // tile 2, second row
    assert.equal(g.pixels[0], 0.5); // border
  });
});
