import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  captionWords,
  isHeldOutCombo,
  makeCaption,
  parseCaption,
  THICKNESS_WORDS,
} from "../../src/data/captions.js";
import {
  measureSet,
  sampleCaptionedBatch,
  trainingCaption,
} from "../../src/data/digit-captions.js";
import { loadMnist, loadMnistSplit, PIXELS } from "../../src/data/mnist.js";
import { HostRng } from "../../src/engine/random.js";
import {
  defaultVocabulary,
  NULL_TOKEN,
  tokenize,
  UNK,
} from "../../src/models/diffusion/tokenizer.js";
import {
  CALIBRATION,
  calibrateMeasures,
  measureDigit,
  strokeSlant,
  strokeThickness,
} from "../../src/models/vision/measures.js";
import { assertClose } from "../helpers.js";

/** A 28×28 image with a bar of width w from row 4 to row 23 whose centre shifts by k pixels per row going up. */
function bar(w: number, k = 0): Float32Array {
  const img = new Float32Array(PIXELS);
  for (let y = 4; y < 24; y++) {
    const x0 = Math.round(14 + k * (14 - y) - w / 2);
    for (let x = x0; x < x0 + w; x++) img[y * 28 + x] = 1;
  }
  return img;
}

describe("MNIST, measures and captions", () => {
  it("loads 10 000 MNIST digits and a disjoint held-out split", () => {
    const all = loadMnist();
    assert.ok(all.n >= 9000);
    const { train, test } = loadMnistSplit();
    assert.equal(train.n + test.n, all.n);
    assert.ok(test.n > 1000);
    for (let d = 0; d < 10; d++) assert.ok(test.labels.includes(d));
  });

  it("thickness of a bar is its width; slant of a sheared bar is its shear", () => {
    for (const w of [2, 3, 5]) {
      const t = strokeThickness(bar(w));
      // 2·area/perimeter = 2wL/(2L + 2w) for L = 20
      assertClose(t / ((2 * w * 20) / (2 * 20 + 2 * w)), 1, 0.05, `width ${w}`);
    }
    assertClose(strokeSlant(bar(3, 0)), 0, 1e-6);
    assertClose(strokeSlant(bar(3, 0.3)), 0.3, 0.05);
    assert.ok(strokeSlant(bar(3, -0.3)) < -0.2);
  });

  it("the calibration is the tertiles of real MNIST", () => {
    const all = loadMnist();
    const cal = calibrateMeasures(all.pixels, all.n);
    assertClose(cal.thickness, CALIBRATION.thickness, 1e-3);
    assertClose(cal.slant, CALIBRATION.slant, 1e-3);
  });

  it("captions agree with the measured properties, across synonyms and word orders", () => {
    const { test } = loadMnistSplit();
    const set = measureSet({ ...test, n: 300 });
    const rng = new HostRng(1);
    const orders = new Set<string>();
    for (let i = 0; i < set.n; i++) {
      const img = set.pixels.subarray(i * PIXELS, (i + 1) * PIXELS);
      const m = measureDigit(img);
      const cap = makeCaption(
        { digit: set.labels[i], thickness: m.thicknessClass, slant: m.slantClass },
        rng,
      );
      const p = parseCaption(cap);
      assert.equal(p.digit, set.labels[i], cap);
      assert.equal(p.thickness, m.thicknessClass, cap);
      assert.equal(p.slant, m.slantClass, cap);
      orders.add(
        captionWords(cap)
          .map((w) => (THICKNESS_WORDS.thick.includes(w) ? "T" : w))
          .join(" "),
      );
      // a training caption never states a held-out combination, but always the digit
      const tc = parseCaption(trainingCaption(set, i, rng));
      assert.equal(tc.digit, set.labels[i]);
      if (tc.thickness && tc.slant)
        assert.ok(!isHeldOutCombo(tc.digit ?? -1, tc.thickness, tc.slant));
    }
    assert.ok(orders.size > 100, "varied captions");
  });

  it("caption dropout yields the null prompt; tokens map to the vocabulary", () => {
    const { test } = loadMnistSplit();
    const set = measureSet({ ...test, n: 50 });
    const b = sampleCaptionedBatch(set, 400, new HostRng(2), { captionDropout: 0.25 });
    const empty = b.captions.filter((c) => c === "").length;
    assert.ok(empty > 60 && empty < 140, `${empty} empty captions of 400`);
    assert.ok(b.pixels.every((v) => v >= -1 && v <= 1));
    const vocab = defaultVocabulary();
    const tok = tokenize(["", "a bold 7 leaning left", "purple"], vocab, 8);
    assert.equal(tok[0], NULL_TOKEN);
    assert.deepEqual(
      Array.from(tok.slice(8, 13)).map((i) => vocab[i]),
      ["a", "bold", "7", "leaning", "left"],
    );
    assert.equal(tok[16], UNK);
  });
});
