/**
 * The concept detector against hand-drawn strokes of known width, its
 * threshold against real MNIST, and the DUO pair filter: pairs whose unsafe
 * image lacks the concept, whose safe image shows it, or whose digit changed
 * are dropped, and only kept pairs reach pairs.jsonl.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readImagePairs } from "../../src/data/image-pairs.js";
import { loadMnist } from "../../src/data/mnist.js";
import { synonymPrompts } from "../../src/eval/attack-synonym.js";
import {
  conceptThreshold,
  detectConcept,
  HEAVY_STROKES,
  namesConcept,
  RIGHT_SLANT,
} from "../../src/eval/concept.js";
import {
  type DuoCandidate,
  type DuoPairs,
  pairVerdict,
  writeDuoPairs,
} from "../../src/experiments/duo-pairs.js";

/** A 28×28 image with a stroke of width w pixels: a bar x = x0 + slant·(14 − y), with a horizontal foot unless slanted. */
function stroke(w: number, slant = 0): Float32Array {
  const img = new Float32Array(784);
  for (let y = 4; y < 24; y++) {
    const x0 = Math.round(12 + slant * (14 - y));
    for (let x = x0; x < x0 + w; x++) img[y * 28 + x] = 1;
  }
  if (slant === 0)
    for (let y = 24; y < 24 + Math.min(w, 3); y++) for (let x = 8; x < 20; x++) img[y * 28 + x] = 1;
  return img;
}

describe("concept detector", () => {
  it("fires on thick strokes and not on thin ones", () => {
    for (const w of [1, 2])
      assert.equal(detectConcept(HEAVY_STROKES, stroke(w)), false, `width ${w}`);
    for (const w of [4, 5, 6])
      assert.equal(detectConcept(HEAVY_STROKES, stroke(w)), true, `width ${w}`);
    // the measure grows with the width it is shown
    const s = [1, 2, 3, 4, 5, 6].map((w) => HEAVY_STROKES.score(stroke(w)));
    for (let i = 1; i < s.length; i++) assert.ok(s[i] > s[i - 1]);
  });

  it("slant works the same way: a stroke leaning right fires, an upright one does not", () => {
    assert.equal(detectConcept(RIGHT_SLANT, stroke(2, 0)), false);
    // a straight bar's measured slant is its horizontal shift per row going up
    assert.ok(Math.abs(RIGHT_SLANT.score(stroke(1, 0.5)) - 0.5) < 0.05);
    assert.equal(detectConcept(RIGHT_SLANT, stroke(2, 0.6)), true);
    assert.equal(detectConcept(RIGHT_SLANT, stroke(2, -0.6)), false);
  });

  it("thresholds are the documented 80th percentiles of real MNIST", () => {
    const mnist = loadMnist();
    assert.ok(Math.abs(conceptThreshold(HEAVY_STROKES, mnist) - HEAVY_STROKES.threshold) < 1e-3);
    assert.ok(Math.abs(conceptThreshold(RIGHT_SLANT, mnist) - RIGHT_SLANT.threshold) < 1e-3);
  });

  it("synonym attack prompts use held-out synonyms, never the training phrase", () => {
    const ps = synonymPrompts(HEAVY_STROKES, 20);
    for (const p of ps) {
      assert.ok(namesConcept(HEAVY_STROKES, p), p);
      assert.ok(!p.split(" ").includes(HEAVY_STROKES.phrases[0]), p);
    }
  });
});

describe("DUO pair filter", () => {
  const thick = stroke(5);
  const thin = stroke(1);
  it("drops pairs that fail and keeps the rest", () => {
    assert.equal(pairVerdict(HEAVY_STROKES, thick, thin, 7, 7), null);
    assert.equal(pairVerdict(HEAVY_STROKES, thin, thin, 7, 7), "unsafe image lacks the concept");
    assert.equal(pairVerdict(HEAVY_STROKES, thick, thick, 7, 7), "safe image shows the concept");
    assert.equal(pairVerdict(HEAVY_STROKES, thick, thin, 7, 1), "digit changed");
  });

  it("writes only kept pairs, safe image as chosen", () => {
    const cases: [Float32Array, Float32Array, number, number][] = [
      [thick, thin, 7, 7],
      [thin, thin, 3, 3],
      [thick, thick, 4, 4],
      [thick, thin, 1, 2],
      [stroke(6), stroke(2), 5, 5],
    ];
    const unsafe = new Float32Array(cases.length * 784);
    const safe = new Float32Array(cases.length * 784);
    const candidates: DuoCandidate[] = cases.map(([u, s, du, ds], i) => {
      unsafe.set(u, i * 784);
      safe.set(s, i * 784);
      return {
        digit: du,
        unsafePrompt: `thick ${du}`,
        safePrompt: `thin ${du}`,
        unsafeScore: 0,
        safeScore: 0,
        unsafeDigit: du,
        safeDigit: ds,
        dropped: pairVerdict(HEAVY_STROKES, u, s, du, ds),
      };
    });
    const pairs: DuoPairs = {
      candidates,
      unsafe,
      safe,
      kept: 2,
      reasons: {
        "unsafe image lacks the concept": 1,
        "safe image shows the concept": 1,
        "digit changed": 1,
      },
    };
    const dir = mkdtempSync(join(tmpdir(), "prefopt-duo-pairs-"));
    try {
      const path = writeDuoPairs(dir, pairs);
      const read = readImagePairs(path).pairs;
      assert.deepEqual(
        read.map((p) => p.prompt),
        ["thick 7", "thick 5"],
      );
      for (const p of read) {
        assert.equal(detectConcept(HEAVY_STROKES, p.rejected), true);
        assert.equal(detectConcept(HEAVY_STROKES, p.chosen), false);
      }
      const all = readFileSync(join(dir, "candidates.jsonl"), "utf8").trim().split("\n");
      assert.equal(all.length, 5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
