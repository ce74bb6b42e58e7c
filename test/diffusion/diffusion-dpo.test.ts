/**
 * Diffusion-DPO on a tiny UNet: the loss is ln 2 while policy = reference and
 * one step raises the implicit accuracy on a fixed batch; the loser is noised
 * with the winner's ε (checked against the step's own reference errors); a
 * stopped-then-resumed run equals an uninterrupted one; pairs are generated,
 * written and read back; bad pair files get one-line errors; comparing a
 * model with itself is all ties.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadImagePairs, type PixelPair, readImagePairs } from "../../src/data/image-pairs.js";
import { numpy as np, random } from "../../src/engine/jax.js";
import { writeGrayPng } from "../../src/engine/png.js";
import { refTree } from "../../src/engine/pytree.js";
import { HostRng, makeKey } from "../../src/engine/random.js";
import { compareDiffusionModels } from "../../src/eval/diffusion-compare.js";
import { scoreJudge } from "../../src/eval/image-judge.js";
import { generateImagePairs, writeImagePairs } from "../../src/experiments/diffusion-dpo-pairs.js";
import {
  type DiffusionModel,
  defaultDiffusionConfig,
  initDiffusion,
  loadDiffusion,
  predictNoise,
  textVectors,
} from "../../src/models/diffusion/model.js";
import { makeSchedule } from "../../src/models/diffusion/schedule.js";
import { tokenize } from "../../src/models/diffusion/tokenizer.js";
import { runDiffusionDpo } from "../../src/pipelines/diffusion-dpo.js";
import {
  diffusionDpoBatchFromHost,
  diffusionDpoNoised,
  makeDiffusionDpoStep,
} from "../../src/pipelines/diffusion-dpo-step.js";
import { adamw } from "../../src/train/optimizer.js";
import { metricsWithoutTime, setup } from "../helpers.js";

/** Reads an array as plain numbers (consumes it); async, as the engine refuses a synchronous read while a program's work is pending. */
async function readAsync(a: np.Array): Promise<number[]> {
  return Array.from((await a.data()) as ArrayLike<number>, Number);
}

const LN2 = Math.log(2);
const S = 28;
const P = S * S;

function tinyModel(seed = 0): DiffusionModel {
  const config = defaultDiffusionConfig({ unet: { channels: [8, 16], condDim: 16, groups: 4 } });
  config.text = { ...config.text, dim: 16, layers: 1, heads: 2, outDim: 16 };
  return { config, params: initDiffusion(makeKey(seed), config) };
}

/** Host pairs: winners are a bright bar, losers random specks (pixels in [0, 1]). */
function toyPairs(n: number): PixelPair[] {
  const rng = new HostRng(5);
  return Array.from({ length: n }, (_, i) => {
    const chosen = new Float32Array(P);
    for (let y = 6; y < 22; y++) for (let x = 12; x < 16; x++) chosen[y * S + x] = 1;
    const rejected = Float32Array.from({ length: P }, () => (rng.next() < 0.1 ? 1 : 0));
    return { prompt: `a thin ${i % 10}`, chosen, rejected };
  });
}

function hostBatch(m: DiffusionModel, pairs: PixelPair[], seed: number) {
  const n = pairs.length;
  const w = new Float32Array(n * P);
  const l = new Float32Array(n * P);
  pairs.forEach((p, i) => {
    for (let k = 0; k < P; k++) {
      w[i * P + k] = 2 * p.chosen[k] - 1;
      l[i * P + k] = 2 * p.rejected[k] - 1;
    }
  });
  const tok = Int32Array.from(
    tokenize(
      pairs.map((p) => p.prompt),
      m.config.vocab,
      m.config.text.maxLen,
    ),
  );
  const schedule = makeSchedule("linear", m.config.schedule.T);
  return {
    w,
    l,
    tok,
    schedule,
    batch: () => diffusionDpoBatchFromHost(schedule, w, l, tok, n, S, new HostRng(seed)),
  };
}

let tmp = "";
before(async () => {
  await setup();
  tmp = mkdtempSync(join(tmpdir(), "prefopt-ddpo-"));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe("Diffusion-DPO step", () => {
  it("loss is ln 2 while policy = reference; one step raises the implicit accuracy on a fixed batch", async () => {
    const m = tinyModel();
    const h = hostBatch(m, toyPairs(4), 11);
    const opt = adamw({ learningRate: 2e-3, weightDecay: 0 });
    const step = makeDiffusionDpoStep(m.config, opt, { beta: 2500 });
    let unet = refTree(m.params.unet);
    let state = opt.init(refTree(unet));
    const accs: number[] = [];
    const margins: number[] = [];
    const losses: number[] = [];
    for (let s = 0; s < 2; s++) {
      const r = step(
        unet,
        state,
        refTree(m.params.unet),
        refTree(m.params.text),
        h.batch(), // the same noise and timesteps each time
        np.array(2e-3, { dtype: np.float32 }),
      );
      unet = r.unet;
      state = r.state;
      r.gradNorm.dispose();
      losses.push((await readAsync(r.loss))[0]);
      accs.push((await readAsync(r.aux.implicit_accuracy))[0]);
      margins.push((await readAsync(r.aux["rewards/margins"]))[0]);
      for (const [k, v] of Object.entries(r.aux))
        if (k !== "implicit_accuracy" && k !== "rewards/margins") v.dispose();
    }
    assert.ok(Math.abs(losses[0] - LN2) < 1e-4, `first loss ${losses[0]} ≠ ln 2`);
    assert.ok(Math.abs(margins[0]) < 1e-2, `margin at policy = reference ${margins[0]}`);
    assert.ok(accs[1] > accs[0], `implicit accuracy ${accs[0]} → ${accs[1]} did not rise`);
    assert.ok(losses[1] < losses[0], `loss ${losses[0]} → ${losses[1]} did not fall`);
    step.dispose();
  });

  it("the loser is noised with the winner's ε at the winner's timestep", async () => {
    const m = tinyModel();
    const pairs = toyPairs(3);
    const h = hostBatch(m, pairs, 3);
    const b = h.batch();
    const noise = await readAsync(b.noise.ref);
    const a = await readAsync(b.a.ref);
    const bb = await readAsync(b.b.ref);
    const ts = await readAsync(b.t.ref);
    b.tokens.dispose();
    const { xt, eps, t } = diffusionDpoNoised(b);
    const x = await readAsync(xt);
    const e = await readAsync(eps);
    const tt = await readAsync(t);
    for (let i = 0; i < 3; i++) {
      assert.equal(tt[3 + i], ts[i], "loser's timestep");
      for (let k = 0; k < P; k += 7) {
        const j = (3 + i) * P + k;
        assert.equal(e[j], noise[i * P + k], "loser's target is the winner's ε");
        const want = a[i] * h.l[i * P + k] + bb[i] * noise[i * P + k];
        assert.ok(Math.abs(x[j] - want) < 1e-5, `x_t(loser) ${x[j]} ≠ ${want}`);
        const wantW = a[i] * h.w[i * P + k] + bb[i] * noise[i * P + k];
        assert.ok(Math.abs(x[i * P + k] - wantW) < 1e-5, "x_t(winner)");
      }
    }
    // and the compiled step uses exactly these inputs: its reference error on the losers
    // equals ‖ε − ε_ref(√ᾱ x_l + √(1−ᾱ) ε)‖² computed here with the winner's ε
    const noiseArr = np.array(Float32Array.from(noise)).reshape([3, S, S, 1]);
    const xl = np
      .array(h.l)
      .reshape([3, S, S, 1])
      .mul(np.array(Float32Array.from(a)).reshape([3, 1, 1, 1]))
      .add(noiseArr.ref.mul(np.array(Float32Array.from(bb)).reshape([3, 1, 1, 1])));
    const cond = textVectors(
      refTree(m.params.text),
      np.array(h.tok, { dtype: np.int32 }).reshape([3, -1]),
      m.config,
    );
    const pred = predictNoise(
      refTree(m.params.unet),
      xl,
      np.array(Int32Array.from(ts), { dtype: np.int32 }),
      cond,
      m.config,
      "inference",
    );
    const independent = (await readAsync(np.mean(np.square(pred.sub(noiseArr)))))[0];
    const opt = adamw({ learningRate: 0, weightDecay: 0 });
    const step = makeDiffusionDpoStep(m.config, opt, { beta: 2500 });
    const r = step(
      refTree(m.params.unet),
      opt.init(refTree(m.params.unet)),
      refTree(m.params.unet),
      refTree(m.params.text),
      h.batch(),
      np.array(0, { dtype: np.float32 }),
    );
    const refL = (await readAsync(r.aux.ref_mse_l.ref))[0];
    assert.ok(
      Math.abs(refL - independent) < 1e-5 * Math.max(1, independent),
      `${refL} vs ${independent}`,
    );
    step.dispose();
  });
});

describe("Diffusion-DPO trainer", () => {
  it("a stopped-then-resumed run equals an uninterrupted one; the output loads", async () => {
    const model = tinyModel();
    const pairs = toyPairs(10);
    const common = {
      model,
      pairs,
      steps: 4,
      batchSize: 2,
      lr: 1e-3,
      warmupSteps: 2,
      evalFraction: 0.2,
      evalEvery: 2,
      saveEvery: 1,
      quiet: true,
    };
    const full = join(tmp, "full");
    const r = await runDiffusionDpo({ ...common, out: full });
    assert.equal(r.status, "completed");
    assert.equal(r.evalPairs, 2);
    const split = join(tmp, "split");
    const first = await runDiffusionDpo({ ...common, out: split, stopAfter: 2 });
    assert.equal(first.status, "interrupted");
    assert.equal(first.steps, 2);
    const second = await runDiffusionDpo({ ...common, out: split });
    assert.equal(second.status, "completed");
    assert.deepEqual(
      readFileSync(join(split, "model.safetensors")),
      readFileSync(join(full, "model.safetensors")),
      "resumed weights differ",
    );
    assert.deepEqual(metricsWithoutTime(split), metricsWithoutTime(full));
    const tuned = loadDiffusion(full);
    assert.deepEqual(tuned.config, model.config);
  });

  it("LoRA trains only the adapters and merges them on save", async () => {
    const model = tinyModel();
    // a fresh UNet's output convolution is zero, which would stop every gradient to the adapters
    const w = model.params.unet.convOut.weight;
    model.params.unet.convOut.weight = random.normal(makeKey(9), w.shape).mul(0.1);
    w.dispose();
    const out = join(tmp, "lora");
    const r = await runDiffusionDpo({
      model,
      pairs: toyPairs(6),
      out,
      steps: 2,
      batchSize: 2,
      lr: 1e-2,
      warmupSteps: 1,
      evalFraction: 0,
      lora: { rank: 2 },
      quiet: true,
    });
    assert.equal(r.status, "completed");
    const tuned = loadDiffusion(out);
    // the adapted convolutions moved; an unadapted layer (the input convolution) did not
    const moved = await readAsync(
      tuned.params.unet.down.conv1.weight.ref.sub(refTree(model.params.unet.down.conv1.weight)),
    );
    assert.ok(
      moved.some((v) => Math.abs(v) > 1e-6),
      "adapted weight unchanged",
    );
    const same = await readAsync(
      tuned.params.unet.convIn.weight.ref.sub(refTree(model.params.unet.convIn.weight)),
    );
    assert.ok(
      same.every((v) => v === 0),
      "an unadapted weight changed",
    );
  });
});

describe("image pairs", () => {
  it("are generated by a judge, written, and read back", async () => {
    const model = tinyModel();
    // a judge that prefers more ink: every chosen image has at least its rejected one's
    const ink = (x: Float32Array) => x.reduce((s, v) => s + v, 0);
    const judge = scoreJudge("ink", async (items) => items.map((x) => ink(x.image)));
    const r = await generateImagePairs(model, ["a 1", "a thick 2"], judge, {
      candidates: 3,
      steps: 2,
      method: "ddim",
    });
    assert.equal(r.pairs.length + r.ties, 2);
    for (const p of r.pairs) assert.ok(ink(p.chosen) > ink(p.rejected));
    // every decided comparison of the round robin: K(K−1)/2 per prompt, ties dropped
    const all = await generateImagePairs(model, ["a 1", "a thick 2"], judge, {
      candidates: 3,
      steps: 2,
      method: "ddim",
      allPairs: true,
    });
    assert.equal(all.pairs.length + all.ties, 6);
    for (const p of all.pairs) assert.ok(ink(p.chosen) > ink(p.rejected));
    const file = join(tmp, "gen", "pairs.jsonl");
    writeImagePairs(file, r.pairs);
    const back = loadImagePairs(file);
    assert.equal(back.length, r.pairs.length);
    for (let i = 0; i < back.length; i++) {
      assert.equal(back[i].prompt, r.pairs[i].prompt);
      for (let k = 0; k < P; k += 13)
        assert.ok(Math.abs(back[i].chosen[k] - r.pairs[i].chosen[k]) <= 0.5 / 255 + 1e-6);
    }
  });

  it("Pick-a-Pic rows: label_0 picks the winner, ties are dropped; bad rows name file, line and field", () => {
    const dir = join(tmp, "pick");
    const img = (name: string, v: number) =>
      writeGrayPng(join(dir, name), new Float32Array(P).fill(v), S, S);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    img("a.png", 0.2);
    img("b.png", 0.8);
    const file = join(dir, "pick.jsonl");
    const rows = [
      { caption: "a 3", image_0: "a.png", image_1: "b.png", label_0: 1 },
      { caption: "a 4", image_0: "a.png", image_1: "b.png", label_0: 0 },
      { caption: "a 5", image_0: "a.png", image_1: "b.png", label_0: 0.5 },
    ];
    writeFileSync(file, `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
    const r = readImagePairs(file);
    assert.equal(r.ties, 1);
    assert.equal(r.pairs.length, 2);
    assert.ok(
      Math.abs(r.pairs[0].chosen[0] - 0.2) < 0.01 && Math.abs(r.pairs[1].chosen[0] - 0.8) < 0.01,
    );
    const bad = (row: unknown, re: RegExp) => {
      writeFileSync(file, `${JSON.stringify(rows[0])}\n${JSON.stringify(row)}\n`);
      assert.throws(
        () => loadImagePairs(file),
        (e: Error) => e.name === "UserError" && !e.message.includes("\n") && re.test(e.message),
      );
    };
    const at = `${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:2: field`;
    bad({ ...rows[0], label_0: 2 }, new RegExp(`${at} "label_0"`));
    bad({ caption: "a 3", image_0: "a.png", label_0: 1 }, new RegExp(`${at} "image_1": missing`));
    bad({ ...rows[0], image_1: "nope.png" }, new RegExp(`${at} "image_1".*nope\\.png`));
    bad({ ...rows[0], label_0: 0, image_0: 7 }, new RegExp(`${at} "image_0": expected a PNG path`));
    bad({ prompt: "a 3", chosen: "a.png" }, new RegExp(`${at} "rejected": missing`));
    bad({ prompt: 3, chosen: "a.png", rejected: "b.png" }, new RegExp(`${at} "prompt"`));
  });
});

describe("diffusion compare", () => {
  it("a model against itself: same seeds, same images, every question a tie", async () => {
    const model = tinyModel();
    const judge = scoreJudge("ink", async (items) =>
      items.map((x) => x.image.reduce((s, v) => s + v, 0)),
    );
    const r = await compareDiffusionModels(
      model,
      model,
      { ink: judge },
      { perPrompt: 1, steps: 2, method: "ddim" },
    );
    assert.equal(r.n, r.prompts.length);
    assert.deepEqual(r.imagesA, r.imagesB);
    assert.equal(r.results.ink.rate, 0.5);
    assert.equal(r.results.ink.ties, r.n);
  });
});
