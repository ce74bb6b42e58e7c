import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { numpy as np, random } from "../../src/engine/jax.js";
import { heapStats } from "../../src/engine/memory-stats.js";
import { makeKey } from "../../src/engine/random.js";
import { generateImages } from "../../src/models/diffusion/generate.js";
import { encodePrompts, guidedEps } from "../../src/models/diffusion/guidance.js";
import {
  type DiffusionModel,
  defaultDiffusionConfig,
  initDiffusion,
} from "../../src/models/diffusion/model.js";
import { type EpsFn, sampleLoop } from "../../src/models/diffusion/samplers.js";
import { makeSchedule } from "../../src/models/diffusion/schedule.js";
import { sdedit, sdeditStartStep } from "../../src/models/diffusion/sdedit.js";
import { assertClose, read, setup } from "../helpers.js";

const schedule = makeSchedule("linear", 1000);

/** The exact ε-predictor for data x0 ~ N(μ, s²) per coordinate: E[ε | x_t]. */
function gaussianEps(mu: number, s: number): EpsFn {
  return (x, t) => {
    const ab = schedule.alphaBars[t];
    return x.sub(Math.sqrt(ab) * mu).mul(Math.sqrt(1 - ab) / (ab * s * s + 1 - ab));
  };
}

function moments(xs: number[]): [number, number] {
  const m = xs.reduce((a, v) => a + v, 0) / xs.length;
  return [m, Math.sqrt(xs.reduce((a, v) => a + (v - m) ** 2, 0) / xs.length)];
}

/** A tiny randomly initialised text-to-digit model (fast; weights perturbed off zero-init). */
function tinyModel(): DiffusionModel {
  const config = defaultDiffusionConfig({ unet: { channels: [8, 16], condDim: 16, groups: 4 } });
  const params = initDiffusion(makeKey(1), config);
  // the output conv and FiLM start at zero; give them weights so prompts and noise matter
  params.unet.convOut.weight.dispose();
  params.unet.convOut.weight = random.normal(makeKey(2), [9 * 8, 4]).mul(0.1);
  params.unet.up.film.weight.dispose();
  params.unet.up.film.weight = random.normal(makeKey(3), [16, 16]).mul(0.5);
  return { config, params };
}

describe("samplers", () => {
  before(setup);

  it("a point mass: DDPM (all 1000 steps) and DDIM land exactly on it", async () => {
    const target = [0.3, -0.7, 0.9];
    const t0 = np.array(target);
    const eps: EpsFn = (x, t) => {
      const ab = schedule.alphaBars[t];
      return x.sub(t0.ref.mul(Math.sqrt(ab))).mul(1 / Math.sqrt(1 - ab));
    };
    for (const method of ["ddpm", "ddim"] as const) {
      const x = await sampleLoop(eps, schedule, random.normal(makeKey(4), [3]), makeKey(5), {
        method,
        steps: method === "ddpm" ? 1000 : 20,
        clipDenoised: false,
      });
      assertClose(read(x), target, 1e-3, method);
    }
    t0.dispose();
  });

  it("Gaussian data: DDPM ancestral and DDIM reproduce its mean and spread", async () => {
    const [mu, s] = [0.5, 0.2];
    for (const [method, steps] of [
      ["ddpm", 250],
      ["ddim", 200],
    ] as const) {
      const x = await sampleLoop(
        gaussianEps(mu, s),
        schedule,
        random.normal(makeKey(6), [4000]),
        makeKey(7),
        {
          method,
          steps,
          clipDenoised: false,
        },
      );
      const [m, sd] = moments(read(x));
      assertClose(m, mu, 0.02, `${method} mean`);
      assertClose(sd, s, 0.02, `${method} std`);
    }
  });

  it("classifier-free guidance is ε_∅ + g(ε_c − ε_∅)", () => {
    const model = tinyModel();
    const x = random.normal(makeKey(8), [2, 28, 28, 1]);
    const run = (g: number, cond: string, uncond: string) => {
      const f = guidedEps(
        model,
        encodePrompts(model, [cond, cond]),
        encodePrompts(model, [uncond, uncond]),
        g,
      );
      const out = read(f(x.ref, 500));
      f.dispose();
      return out;
    };
    const ec = run(1, "a thick 7", "");
    const eu = run(1, "", "");
    const g3 = run(3, "a thick 7", "");
    assertClose(
      g3,
      eu.map((u, i) => u + 3 * (ec[i] - u)),
      1e-4,
    );
    assert.ok(
      ec.some((v, i) => Math.abs(v - eu[i]) > 1e-4),
      "the prompt changes ε",
    );
    x.dispose();
  });

  it("guidedEps's dispose frees the prompt vectors it holds", () => {
    const model = tinyModel();
    const x = random.normal(makeKey(4), [2, 28, 28, 1]);
    const once = () => {
      const f = guidedEps(
        model,
        encodePrompts(model, ["a 3", "a 5"]),
        encodePrompts(model, ["", ""]),
        2,
      );
      read(f(x.ref, 300));
      f.dispose();
    };
    once(); // compiles and caches the forward
    const before = heapStats()?.liveBytes;
    once();
    assert.ok(before !== undefined, "the CPU backend reports its heap");
    assert.equal(heapStats()?.liveBytes, before, "nothing outlives dispose()");
    x.dispose();
  });

  it("sampling is reproducible from a seed", async () => {
    const model = tinyModel();
    const opts = { steps: 4, guidance: 2 };
    const a = await generateImages(model, "thin 3 leaning left", 3, { ...opts, seed: 11 });
    const b = await generateImages(model, "thin 3 leaning left", 3, { ...opts, seed: 11 });
    const c = await generateImages(model, "thin 3 leaning left", 3, { ...opts, seed: 12 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    const d1 = await generateImages(model, "bold 8", 2, { steps: 3, method: "ddpm", seed: 5 });
    const d2 = await generateImages(model, "bold 8", 2, { steps: 3, method: "ddpm", seed: 5 });
    assert.deepEqual(d1, d2);
  });

  it("SDEdit is reproducible from a seed and keeps the image at low strength", async () => {
    const model = tinyModel();
    const img = new Float32Array(2 * 784);
    for (let i = 0; i < 784; i++) img[i] = (i % 28) / 27; // a horizontal ramp
    for (let i = 0; i < 784; i++) img[784 + i] = Math.floor(i / 28) / 27; // a vertical ramp
    const o = { strength: 0.6, steps: 10, seed: 3, negativePrompt: "thick" };
    const a = await sdedit(model, img, "thin 2", o);
    const b = await sdedit(model, img, "thin 2", o);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, await sdedit(model, img, "thin 2", { ...o, seed: 4 }));
    // strength → 0 keeps the input (up to the tiny noise of one step)
    const kept = await sdedit(model, img, "thin 2", { strength: 0.002, steps: 10, seed: 1 });
    const err = Math.max(...kept.map((v, i) => Math.abs(v - img[i])));
    assert.ok(err < 0.1, `max change ${err}`);
    assert.equal(sdeditStartStep(1000, 0.75), 749);
    assert.throws(() => sdeditStartStep(1000, 0));
  });
});
