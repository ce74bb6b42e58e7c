// AdamW's refusals of a state that does not fit its params and of a scheduled step without its
// rate, and cosine's first step without warm-up: cases the closed-form files do not reach
// (found by `npm run mutate -- optimizer`, issue 20).
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { UserError } from "../../src/engine/errors.js";
import { numpy as np, tree } from "../../src/engine/jax.js";
import { adamw, leafNames } from "../../src/train/optimizer.js";
import { constantSchedule, cosineWarmup, linearWarmupDecay } from "../../src/train/schedules.js";
import { setup } from "../helpers.js";

before(setup);

describe("adamw inputs", () => {
  test("a scheduled step without lr is refused with how to pass it, not a TypeError", () => {
    const opt = adamw({
      learningRate: linearWarmupDecay({ peak: 1, warmupSteps: 0, totalSteps: 3 }),
    });
    assert.throws(
      () => opt.step([np.array([1])], [np.array([2])], opt.init([np.array([1])])),
      (e: Error) => !(e instanceof TypeError) && /opt\.learningRate\(step\)/.test(e.message),
    );
  });

  test("an lr passed to a step overrides the constant rate", () => {
    // t = 1, no decay: the step is lr·sign(g), so it shows which rate was used
    const opt = adamw({ learningRate: 0.5, weightDecay: 0 });
    for (const lr of [0.1, np.array(0.1)]) {
      const out = opt.step([np.array([1])], [np.array([2])], opt.init([np.array([1])]), lr);
      const p = (out.params[0].dataSync() as Float32Array)[0];
      assert.ok(Math.abs(p - 0.9) < 1e-6, `p = ${p}`);
    }
  });

  test("first or second moments with other leaves than the params are refused", () => {
    const opt = adamw({ learningRate: 0.1 });
    const two = () => [np.array([1]), np.array([2])];
    const good = opt.init(two());
    const one = opt.init([np.array([1])]);
    // mu from a one-leaf tree, nu right
    assert.throws(
      () => opt.step(two(), two(), { count: good.count.ref, mu: one.mu, nu: good.nu }),
      /mu 1, nu 2/,
    );
    // nu from a one-leaf tree, mu right
    const good2 = opt.init(two());
    const one2 = opt.init([np.array([1])]);
    assert.throws(
      () => opt.step(two(), two(), { count: good2.count, mu: good2.mu, nu: one2.nu }),
      /mu 2, nu 1/,
    );
  });
});

describe("leaf names", () => {
  test("line up with tree.flatten's leaves, null and undefined leaves included", () => {
    const t = { a: null, b: [undefined, 2], c: { d: 3 } };
    const [leaves] = tree.flatten(t as never);
    assert.deepEqual(leaves, [null, undefined, 2, 3]);
    assert.deepEqual(leafNames(t), ["a", "b.0", "b.1", "c.d"]);
  });
});

describe("adamw's step count", () => {
  test("is an int32 scalar, exact where a float32 count would round (2²⁴ + 1)", () => {
    const opt = adamw({ learningRate: 0.1 });
    const st = opt.init({ w: np.array([1]) });
    assert.equal(st.count.dtype, np.int32);
    st.count.dispose();
    const out = opt.step(
      { w: np.array([1]) },
      { w: np.array([1]) },
      { ...st, count: np.array(2 ** 24, { dtype: np.int32 }) },
    );
    assert.equal(out.state.count.dtype, np.int32);
    assert.equal((out.state.count.dataSync() as Int32Array)[0], 2 ** 24 + 1);
  });
});

describe("schedule errors name the bad field", () => {
  test("learning rate, peak and end", () => {
    const names = (f: () => unknown, field: RegExp) =>
      assert.throws(f, (e: Error) => e instanceof UserError && field.test(e.message));
    names(() => constantSchedule(-1), /learning rate must/);
    names(() => linearWarmupDecay({ peak: -1, warmupSteps: 0, totalSteps: 2 }), /peak must/);
    names(() => linearWarmupDecay({ peak: 1, warmupSteps: 0, totalSteps: 2, end: -1 }), /end must/);
    names(() => cosineWarmup({ peak: Number.NaN, warmupSteps: 0, totalSteps: 2 }), /peak must/);
  });
});

describe("one-step schedules", () => {
  test("totalSteps = 1 is allowed: the one update is at the peak", () => {
    assert.equal(linearWarmupDecay({ peak: 0.5, warmupSteps: 0, totalSteps: 1 })(0), 0.5);
    assert.equal(cosineWarmup({ peak: 0.5, warmupSteps: 0, totalSteps: 1 })(0), 0.5);
  });
});

describe("cosine without warm-up", () => {
  test("the first update is at the peak (progress 0: ½(1 + cos 0) = 1)", () => {
    const s = cosineWarmup({ peak: 0.3, warmupSteps: 0, totalSteps: 8, minRatio: 0.1 });
    assert.equal(s(0), 0.3);
    // a quarter of the way: 0.3·(0.1 + 0.9·½(1 + cos(π/4)))
    assert.ok(Math.abs(s(2) - 0.3 * (0.1 + 0.9 * 0.5 * (1 + Math.SQRT1_2))) < 1e-12);
  });
});
