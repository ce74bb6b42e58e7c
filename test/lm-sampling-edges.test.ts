// Edges of next-token sampling and prompt/completion collation: ties under top-k, a top-k that
// is off, logits far from 0, and a completion longer than the room left by a short prompt.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { HostRng } from "../src/engine/random.js";
import { collatePromptCompletion } from "../src/models/lm/logprobs.js";
import { type SamplingOptions, sampleToken } from "../src/models/lm/sampling.js";

const draws = (logits: number[], o: SamplingOptions, n = 2000, seed = 5) => {
  const rng = new HostRng(seed);
  return Array.from({ length: n }, () => sampleToken(logits, rng, o));
};

describe("sampling and collation edges", () => {
  test("top-k keeps the lowest ids among tied logits", () => {
    assert.deepEqual(new Set(draws([1, 5, 5, 0], { topK: 1 }, 200)), new Set([1]));
    const two = draws([5, 0, 5, 5, 0], { topK: 2 });
    assert.deepEqual(new Set(two), new Set([0, 2]), "ids 0 and 2 of the three tied at 5");
  });

  test("top-p keeps the smallest set that reaches p, even when it reaches p exactly", () => {
    // two equal tokens: the first alone has probability 0.5 = p
    assert.deepEqual(new Set(draws([0, 0], { topP: 0.5 }, 200)), new Set([0]));
    assert.deepEqual(new Set(draws([0, 0], { topP: 0.51 }, 200)), new Set([0, 1]));
  });

  test("a top-k of 0 or below is off: the same draws as without one", () => {
    const logits = [0, 2, -1, 1];
    const plain = draws(logits, {});
    assert.deepEqual(draws(logits, { topK: 0 }), plain);
    assert.deepEqual(draws(logits, { topK: -1 }), plain);
  });

  test("logits far from 0 sample as their differences say (softmax shifted by the max)", () => {
    for (const shift of [800, -800]) {
      const d = draws([shift, shift - Math.log(3)], { temperature: 1 }, 4000);
      const p0 = d.filter((t) => t === 0).length / d.length;
      assert.ok(Math.abs(p0 - 0.75) < 0.04, `shift ${shift}: P(0) = ${p0}, softmax says 0.75`);
    }
  });

  test("a short prompt is kept whole and a long completion is cut to the room left", () => {
    const prompt = [1, 2, 3];
    const completion = [4, 5, 6, 7, 8, 9, 10, 11];
    const c = collatePromptCompletion([{ prompt, completion }], 0, { maxLength: 10 });
    assert.equal(c.T, 10);
    assert.deepEqual(Array.from(c.ids), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.deepEqual(Array.from(c.completionMask), [0, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
  });
});
