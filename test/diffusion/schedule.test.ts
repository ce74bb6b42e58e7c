import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { numpy as np, random } from "../../src/engine/jax.js";
import {
  makeSchedule,
  meanFromEps,
  posteriorMean,
  posteriorVariance,
  predictX0,
  qCoefficients,
  qSample,
  spacedTimesteps,
} from "../../src/models/diffusion/schedule.js";
import { assertClose, read, setup } from "../helpers.js";

describe("diffusion schedule", () => {
  before(setup);

  it("linear: β_t from 1e-4 to 0.02, ᾱ_t the running product", () => {
    const s = makeSchedule("linear", 1000);
    assertClose(s.betas[0], 1e-4, 1e-12);
    assertClose(s.betas[999], 0.02, 1e-12);
    assertClose(s.betas[500] - s.betas[499], (0.02 - 1e-4) / 999, 1e-9);
    let log = 0;
    for (let t = 0; t < 1000; t++) log += Math.log(1 - (1e-4 + ((0.02 - 1e-4) * t) / 999));
    assertClose(Math.log(s.alphaBars[999]), log, 1e-9);
    assert.ok(s.alphaBars[999] < 1e-4 && s.alphaBars[999] > 1e-5);
  });

  it("the default schedule is Ho et al.'s: linear over T = 1000", () => {
    const d = makeSchedule();
    const linear = makeSchedule("linear", 1000);
    assert.equal(d.kind, "linear");
    assert.equal(d.T, 1000);
    assert.deepEqual(d.betas, linear.betas);
    assert.deepEqual(makeSchedule(undefined, 10).betas, makeSchedule("linear", 10).betas);
  });

  it("cosine: ᾱ_t = f(t+1)/f(0) with f(u) = cos²((u/T + s)/(1+s)·π/2)", () => {
    const T = 1000;
    const s = makeSchedule("cosine", T);
    const f = (u: number) => Math.cos(((u / T + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    for (const t of [0, 10, 300, 700, 900]) assertClose(s.alphaBars[t], f(t + 1) / f(0), 1e-9);
    assert.ok(Math.max(...s.betas) <= 0.999);
  });

  it("q_sample: x_t = √ᾱ x0 + √(1−ᾱ) ε elementwise, per-example coefficients", () => {
    const s = makeSchedule("linear", 1000);
    const ts = [0, 499, 999];
    const x0 = [0.5, -0.2, 0.9];
    const eps = [1.0, -1.5, 0.3];
    const { a, b } = qCoefficients(s, ts);
    const got = read(qSample(np.array(x0), np.array(eps), np.array(a), np.array(b)));
    const want = ts.map(
      (t, i) => Math.sqrt(s.alphaBars[t]) * x0[i] + Math.sqrt(1 - s.alphaBars[t]) * eps[i],
    );
    assertClose(got, want, 1e-6);
  });

  it("the posterior mean of x_{t−1} given (x0, x_t) equals μ computed from the true ε", () => {
    for (const kind of ["linear", "cosine"] as const) {
      const s = makeSchedule(kind, 1000);
      for (const t of [1, 50, 400, 998]) {
        const x0 = random.normal(random.key(t), [16]);
        const eps = random.normal(random.key(t + 7), [16]);
        const ab = s.alphaBars[t];
        const xt = qSample(x0.ref, eps.ref, Math.sqrt(ab), Math.sqrt(1 - ab));
        const post = read(posteriorMean(s, x0.ref, xt.ref, t));
        const mu = read(meanFromEps(s, xt.ref, eps.ref, t));
        assertClose(mu, post, 2e-4, `${kind} t=${t}`);
        // and x̂0 recovered from the true ε is x0
        assertClose(read(predictX0(s, xt, eps, t)), read(x0), 2e-3, `${kind} x0 t=${t}`);
      }
    }
  });

  it("β̃_t = (1−ᾱ_{t−1})/(1−ᾱ_t) β_t, with β̃_0 = 0 and β̃_t < β_t", () => {
    const s = makeSchedule("linear", 1000);
    assert.equal(posteriorVariance(s, 0), 0);
    const t = 300;
    assertClose(
      posteriorVariance(s, t),
      ((1 - s.alphaBars[t - 1]) / (1 - s.alphaBars[t])) * s.betas[t],
      1e-12,
    );
    for (const u of [1, 10, 500, 999]) assert.ok(posteriorVariance(s, u) < s.betas[u]);
  });

  it("spaced timesteps run from T−1 down to 0 without repeats", () => {
    assert.deepEqual(spacedTimesteps(1000, 5), [999, 749, 500, 250, 0]);
    assert.equal(spacedTimesteps(1000, 1000).length, 1000);
    assert.deepEqual(spacedTimesteps(1000, 3, 100), [100, 50, 0]);
  });
});
