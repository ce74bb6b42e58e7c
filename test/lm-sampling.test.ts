// Next-token sampling against its definition (issue 20): with a fixed seed, 40 000 draws per case
// match softmax(logits/T) restricted to the top-k or the nucleus and renormalised, to within
// 0.012 per token (about five standard deviations of a frequency at N = 40 000).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HostRng } from "../src/engine/random.js";
import { type SamplingOptions, sampleToken } from "../src/models/lm/sampling.js";

const N = 40_000;

function frequencies(logits: number[], o: SamplingOptions, seed = 1): number[] {
  const rng = new HostRng(seed);
  const f = logits.map(() => 0);
  for (let i = 0; i < N; i++) f[sampleToken(logits, rng, o)] += 1 / N;
  return f;
}

/** softmax(logits/T) over the kept ids, 0 elsewhere. */
function expected(logits: number[], T: number, kept: number[]): number[] {
  const w = logits.map((l, i) => (kept.includes(i) ? Math.exp(l / T) : 0));
  const z = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / z);
}

function near(got: number[], want: number[], what: string) {
  for (let i = 0; i < want.length; i++)
    assert.ok(Math.abs(got[i] - want[i]) < 0.012, `${what}[${i}]: ${got[i]} vs ${want[i]}`);
}

// probabilities at T = 1: ≈ [0.0871, 0.6439, 0.0321, 0.2369]
const logits = [0, 2, -1, 1];

describe("sampleToken", () => {
  test("temperature 0 (or below) is the argmax, the first one on ties", () => {
    const rng = new HostRng(3);
    assert.equal(sampleToken(logits, rng, { temperature: 0 }), 1);
    assert.equal(sampleToken(logits, rng, { temperature: -1 }), 1);
    assert.equal(sampleToken([5, 7, 7, 1], rng, { temperature: 0 }), 1);
    assert.equal(sampleToken([9, 7, 7, 1], rng, { temperature: 0 }), 0);
  });

  for (const T of [1, 0.5, 2.5]) {
    test(`temperature ${T}: frequencies are softmax(logits/T)`, () => {
      near(frequencies(logits, { temperature: T }), expected(logits, T, [0, 1, 2, 3]), `T=${T}`);
    });
  }

  test("top-k keeps the k most likely, renormalised; 0 or more than V keeps all", () => {
    near(frequencies(logits, { topK: 2 }), expected(logits, 1, [1, 3]), "k=2");
    near(frequencies(logits, { topK: 3, temperature: 2 }), expected(logits, 2, [0, 1, 3]), "k=3");
    near(frequencies(logits, { topK: 0 }), expected(logits, 1, [0, 1, 2, 3]), "k=0");
    near(frequencies(logits, { topK: 9 }), expected(logits, 1, [0, 1, 2, 3]), "k=9");
  });

  test("top-k 1 among tied maxima keeps the lowest id", () => {
    const rng = new HostRng(5);
    for (let i = 0; i < 100; i++) assert.equal(sampleToken([1, 3, 3, 0], rng, { topK: 1 }), 1);
  });

  test("top-p keeps the smallest most-likely set whose probability reaches p", () => {
    // cumulative at T = 1: 0.644, 0.881, 0.968, 1
    near(frequencies(logits, { topP: 0.6 }), [0, 1, 0, 0], "p=0.6");
    near(frequencies(logits, { topP: 0.7 }), expected(logits, 1, [1, 3]), "p=0.7");
    near(frequencies(logits, { topP: 0.9 }), expected(logits, 1, [0, 1, 3]), "p=0.9");
    near(frequencies(logits, { topP: 1 }), expected(logits, 1, [0, 1, 2, 3]), "p=1");
    // at T = 2 the nucleus is wider: probabilities ≈ [0.167, 0.455, 0.102, 0.276]
    near(
      frequencies(logits, { topP: 0.6, temperature: 2 }),
      expected(logits, 2, [1, 3]),
      "p=0.6 T=2",
    );
    // after top-k, p is a share of the k kept: 0.644/(0.644 + 0.237) = 0.731 ≥ 0.7
    near(frequencies(logits, { topK: 2, topP: 0.7 }), [0, 1, 0, 0], "k=2 p=0.7");
  });

  test("a seed fixes the draws", () => {
    const a = new HostRng(11);
    const b = new HostRng(11);
    const xs = Array.from({ length: 50 }, () => sampleToken(logits, a, { topP: 0.95 }));
    const ys = Array.from({ length: 50 }, () => sampleToken(logits, b, { topP: 0.95 }));
    assert.deepEqual(xs, ys);
    assert.ok(new Set(xs).size > 1);
  });
});
