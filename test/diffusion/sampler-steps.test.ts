// The reverse-process samplers step by step against float64 transcriptions of the papers'
// update rules, fed the same noise draws, and against the DDPM ≡ DDIM(η = 1) identity
// (issue 20: the DDPM variance must be β̃_t, not β_t; DDIM's η must enter σ).
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { numpy as np, random } from "../../src/engine/jax.js";
import { makeKey, splitKey } from "../../src/engine/random.js";
import {
  type EpsFn,
  type SamplerOptions,
  sampleLoop,
  samplerTimesteps,
} from "../../src/models/diffusion/samplers.js";
import {
  alphaBarAt,
  makeSchedule,
  type NoiseSchedule,
  qSample,
  spacedTimesteps,
} from "../../src/models/diffusion/schedule.js";
import { assertClose, read, setup } from "../helpers.js";

const N = 48;
/**
 * An ε-predictor that depends on x and t: the exact one for data N(0.3, 0.5²),
 * E[ε | x_t] = (x − √ᾱ_t·0.3)·√(1−ᾱ_t)/(ᾱ_t·0.25 + 1 − ᾱ_t), plus 0.05·tanh(x).
 */
const MU = 0.3;
const S2 = 0.25;
const epsFn =
  (s: NoiseSchedule): EpsFn =>
  (x, t) => {
    const ab = s.alphaBars[t];
    return x.ref
      .sub(Math.sqrt(ab) * MU)
      .mul(Math.sqrt(1 - ab) / (ab * S2 + 1 - ab))
      .add(np.tanh(x).mul(0.05));
  };
const epsHost = (x: number, t: number, s: NoiseSchedule) => {
  const ab = s.alphaBars[t];
  return ((x - Math.sqrt(ab) * MU) * Math.sqrt(1 - ab)) / (ab * S2 + 1 - ab) + 0.05 * Math.tanh(x);
};

/** The noise draws the sampler makes: keys split up front, one normal draw per step. */
function draws(s: NoiseSchedule, key: number, opts: SamplerOptions): number[][] {
  const ts = samplerTimesteps(s, opts);
  return splitKey(makeKey(key), ts.length).map((k) => read(random.normal(k, [N])));
}

const start = (seed: number) => read(random.normal(makeKey(seed), [N]));

/** DDPM ancestral sampling (Ho et al., eq. 11) respaced to the visited timesteps, float64. */
function ddpmHost(s: NoiseSchedule, x0: number[], z: number[][], opts: SamplerOptions): number[] {
  const ts = samplerTimesteps(s, opts);
  let x = x0.slice();
  ts.forEach((t, i) => {
    const prev = i + 1 < ts.length ? ts[i + 1] : -1;
    const ab = s.alphaBars[t];
    const abPrev = prev < 0 ? 1 : s.alphaBars[prev];
    const beta = 1 - ab / abPrev; // the respaced β_t (= β_t when every step is visited)
    const alpha = 1 - beta;
    const betaTilde = ((1 - abPrev) / (1 - ab)) * beta;
    x = x.map((xi, j) => {
      // μ_θ = (x_t − β_t/√(1−ᾱ_t) ε_θ)/√α_t, then + √β̃_t z except at the last step
      const mu = (xi - (beta / Math.sqrt(1 - ab)) * epsHost(xi, t, s)) / Math.sqrt(alpha);
      return prev >= 0 ? mu + Math.sqrt(betaTilde) * z[i][j] : mu;
    });
  });
  return x;
}

/** DDIM (Song et al., eq. 12) with stochasticity η, float64, no clipping. */
function ddimHost(
  s: NoiseSchedule,
  x0: number[],
  z: number[][],
  eta: number,
  opts: SamplerOptions,
): number[] {
  const ts = samplerTimesteps(s, opts);
  let x = x0.slice();
  ts.forEach((t, i) => {
    const prev = i + 1 < ts.length ? ts[i + 1] : -1;
    const ab = s.alphaBars[t];
    const abPrev = prev < 0 ? 1 : s.alphaBars[prev];
    const sigma = eta * Math.sqrt((1 - abPrev) / (1 - ab)) * Math.sqrt(1 - ab / abPrev);
    x = x.map((xi, j) => {
      const e = epsHost(xi, t, s);
      const pred0 = (xi - Math.sqrt(1 - ab) * e) / Math.sqrt(ab);
      const dir = Math.sqrt(1 - abPrev - sigma * sigma) * e;
      return Math.sqrt(abPrev) * pred0 + dir + (prev >= 0 ? sigma * z[i][j] : 0);
    });
  });
  return x;
}

async function run(s: NoiseSchedule, xSeed: number, key: number, opts: SamplerOptions) {
  return read(await sampleLoop(epsFn(s), s, np.array(start(xSeed)), makeKey(key), opts));
}

describe("sampler steps against the papers' update rules", () => {
  before(setup);
  const short = makeSchedule("linear", 12);
  const long = makeSchedule("linear", 1000);

  it("DDPM over every timestep is x_{t−1} = μ_θ + √β̃_t·z with the sampler's own draws", async () => {
    const opts: SamplerOptions = { method: "ddpm", clipDenoised: false };
    assert.deepEqual(samplerTimesteps(short, opts), [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    const got = await run(short, 1, 2, opts);
    const want = ddpmHost(short, start(1), draws(short, 2, opts), opts);
    assertClose(got, want, 2e-4, "ddpm");
  });

  it("DDPM respaced to 7 of 1000 steps uses β = 1 − ᾱ_t/ᾱ_s and β̃ from it", async () => {
    const opts: SamplerOptions = { method: "ddpm", steps: 7, clipDenoised: false };
    const got = await run(long, 3, 4, opts);
    const want = ddpmHost(long, start(3), draws(long, 4, opts), opts);
    assertClose(got, want, 2e-4, "ddpm respaced");
  });

  for (const eta of [0, 0.5, 1]) {
    it(`DDIM with η = ${eta}: σ = η·√((1−ᾱ_s)/(1−ᾱ_t))·√(1−ᾱ_t/ᾱ_s)`, async () => {
      const opts: SamplerOptions = { method: "ddim", steps: 6, eta, clipDenoised: false };
      const got = await run(long, 5, 6, opts);
      const want = ddimHost(long, start(5), draws(long, 6, opts), eta, opts);
      assertClose(got, want, 2e-4, `ddim η=${eta}`);
      if (eta > 0) {
        // η really matters: the deterministic path differs
        const det = ddimHost(long, start(5), draws(long, 6, opts), 0, opts);
        assert.ok(Math.max(...det.map((v, j) => Math.abs(v - got[j]))) > 0.05);
      }
    });
  }

  for (const clipDenoised of [false, true]) {
    it(`DDIM with η = 1 is DDPM ancestral sampling, draw for draw (clipDenoised ${clipDenoised})`, async () => {
      // the DDIM paper's identity: with η = 1, σ² = β̃ and the mean is the posterior mean
      for (const steps of [5, 40]) {
        const a = await run(long, 7, 8, { method: "ddpm", steps, clipDenoised });
        const b = await run(long, 7, 8, { method: "ddim", steps, eta: 1, clipDenoised });
        assertClose(a, b, 5e-4, `steps ${steps}`);
        if (clipDenoised)
          assert.ok(
            a.some((v) => Math.abs(v) > 0),
            "moved",
          );
      }
    });
  }

  it("clipping x̂_0 to [−1, 1] changes the result only through x̂_0", async () => {
    // a predictor far off the data range: x̂_0 leaves [−1, 1], so clipping must act
    const s = makeSchedule("linear", 12);
    const wild: EpsFn = (x) => x.mul(-2);
    const x0 = start(9);
    const clipped = read(
      await sampleLoop(wild, s, np.array(x0), makeKey(1), { method: "ddim", steps: 1 }),
    );
    // one DDIM step from t = 11 to the end: x = √1·clip(x̂_0) + 0·ε̂
    const ab = s.alphaBars[11];
    const want = x0.map((x) =>
      Math.max(-1, Math.min(1, (x - Math.sqrt(1 - ab) * -2 * x) / Math.sqrt(ab))),
    );
    assertClose(clipped, want, 1e-5, "clipped x̂_0");
    assert.ok(want.some((v) => Math.abs(v) === 1));
  });

  it("timesteps: K evenly spaced from T−1, and a start step keeps K's share of them", () => {
    assert.equal(samplerTimesteps(long).length, 50, "DDIM's default 50 steps");
    assert.equal(samplerTimesteps(long, { method: "ddpm" }).length, 1000, "DDPM's default T");
    const ts = samplerTimesteps(long, { method: "ddim", steps: 40, startStep: 749 });
    assert.equal(ts.length, 30); // round(40·750/1000)
    assert.equal(ts[0], 749);
    assert.equal(ts[ts.length - 1], 0);
    const one = samplerTimesteps(long, { method: "ddim", steps: 1, startStep: 9 });
    assert.deepEqual(one, [9]);
    // the share counts timesteps 0…startStep, startStep + 1 of them: 10 · 5/10 = 5 steps
    const ten = makeSchedule("linear", 10);
    assert.deepEqual(samplerTimesteps(ten, { steps: 10, startStep: 4 }), [4, 3, 2, 1, 0]);
    assert.throws(() => samplerTimesteps(long, { method: "dpm" as "ddim" }), /method "dpm"/);
  });

  it("onStep reports every step of the loop", async () => {
    const seen: string[] = [];
    const x = await sampleLoop(epsFn(short), short, np.array(start(1)), makeKey(2), {
      method: "ddim",
      steps: 3,
      onStep: (i, of) => seen.push(`${i}/${of}`),
    });
    x.dispose();
    assert.deepEqual(seen, ["1/3", "2/3", "3/3"]);
  });

  it("schedule edges: T = 1, ᾱ_{−1} = 1, K capped at the start step, one shared coefficient pair", () => {
    const one = makeSchedule("linear", 1);
    assert.deepEqual(Array.from(one.betas), [1e-4]);
    assert.deepEqual(Array.from(one.alphaBars), [1 - 1e-4]);
    assert.equal(alphaBarAt(long, -1), 1);
    assert.equal(alphaBarAt(long, 10), long.alphaBars[10]);
    assert.deepEqual(spacedTimesteps(10, 20), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    assert.deepEqual(spacedTimesteps(1000, 1, 500), [500]);
    assert.deepEqual(spacedTimesteps(1000, 4, 2), [2, 1, 0]);
    assert.throws(() => makeSchedule("quadratic" as "linear", 10));
    // number coefficients apply to every element of a 2-D batch
    const x = read(
      qSample(
        np.array([
          [1, 2],
          [3, 4],
        ]),
        np.array([
          [1, 0],
          [0, -1],
        ]),
        0.5,
        2,
      ),
    );
    assertClose(x, [2.5, 1, 1.5, 0], 1e-6);
  });
});
