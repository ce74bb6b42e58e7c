/**
 * DUO on a tiny model: with policy = reference the preservation term is zero
 * and the preference loss is ln 2; one update moves both; the β-coupled
 * hyper-parameters follow the reference code; and a run stopped part-way and
 * resumed ends with exactly the weights and metrics of an uninterrupted one.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { ImagePair } from "../../src/data/image-pairs.js";
import { numpy as np } from "../../src/engine/jax.js";
import { refTree } from "../../src/engine/pytree.js";
import { HostRng, makeKey } from "../../src/engine/random.js";
import {
  type DiffusionModel,
  initDiffusion,
  loadDiffusion,
  predictNoise,
  textVectors,
} from "../../src/models/diffusion/model.js";
import { makeSchedule } from "../../src/models/diffusion/schedule.js";
import { tokenize } from "../../src/models/diffusion/tokenizer.js";
import { diffusionDpoBatchFromHost } from "../../src/pipelines/diffusion-dpo-step.js";
import {
  duoHyperparameters,
  priorNoisedFromHost,
  trainDuo,
  withoutWords,
} from "../../src/pipelines/duo.js";
import { makeDuoStep, priorNoiseFromHost } from "../../src/pipelines/duo-step.js";
import { adamw } from "../../src/train/optimizer.js";
import { metricsWithoutTime, setup } from "../helpers.js";
import { TINY_DIFFUSION_CONFIG } from "../reliability/tiny-model.js";

let tmp = "";
let model: DiffusionModel;
const config = TINY_DIFFUSION_CONFIG;

function fakePairs(n: number): ImagePair[] {
  const rng = new HostRng(5);
  return Array.from({ length: n }, (_, i) => ({
    prompt: i % 2 ? "7" : "a 7",
    chosen: Float32Array.from({ length: 784 }, () => rng.next() * 0.3),
    rejected: Float32Array.from({ length: 784 }, () => rng.next()),
    chosenPath: "",
    rejectedPath: "",
  }));
}

before(async () => {
  await setup();
  tmp = mkdtempSync(join(tmpdir(), "prefopt-duo-"));
  model = { config, params: initDiffusion(makeKey(3), config) };
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe("DUO step", () => {
  it("preservation is zero and the loss ln 2 when policy = reference; one step moves them", async () => {
    const opt = adamw({ learningRate: 1e-2, maxGradNorm: 1 });
    const step = makeDuoStep(config, opt, { beta: 1000, lambda: 50 });
    const rng = new HostRng(1);
    const n = 3;
    const pairs = fakePairs(n);
    const flat = (k: "chosen" | "rejected") => {
      const x = new Float32Array(n * 784);
      for (const [i, p] of pairs.entries())
        x.set(
          p[k].map((v) => v * 2 - 1),
          i * 784,
        );
      return x;
    };
    const batchAt = () => ({
      ...diffusionDpoBatchFromHost(
        makeSchedule("linear", 1000),
        flat("chosen"),
        flat("rejected"),
        tokenize(["7", "a 7", ""], config.vocab, 8),
        n,
        28,
        new HostRng(9),
      ),
      priorNoise: priorNoiseFromHost(2, 28, rng),
      priorTokens: np
        .array(tokenize(["", ""], config.vocab, 8), { dtype: np.int32 })
        .reshape([2, 8]),
    });
    const unet = refTree(model.params.unet);
    const out = step(
      unet,
      opt.init(refTree(unet)),
      refTree(model.params.unet),
      refTree(model.params.text),
      batchAt(),
      np.array(1e-2),
    );
    const aux = Object.fromEntries(
      await Promise.all(Object.entries(out.aux).map(async ([k, v]) => [k, (await v.data())[0]])),
    );
    assert.ok(Math.abs(aux.preservation) < 1e-9, `preservation ${aux.preservation}`);
    assert.ok(Math.abs(aux.dpo_loss - Math.LN2) < 1e-5);
    assert.ok(Math.abs((await out.loss.data())[0] - Math.LN2) < 1e-5);
    // the updated policy differs from the reference: its preservation term is now positive
    const out2 = step(
      out.unet,
      out.state,
      refTree(model.params.unet),
      refTree(model.params.text),
      batchAt(),
      np.array(1e-2),
    );
    assert.ok((await out2.aux.preservation.data())[0] > 1e-8);
    assert.ok((await out2.aux.dpo_loss.data())[0] < Math.LN2, "the preference loss fell");
  });

  it("preserve = safe: rows are the safe images noised at their timesteps, and the term is measured there", async () => {
    const schedule = makeSchedule("linear", 1000);
    const pairs = fakePairs(3);
    const m = 4;
    const { priorNoise, priorT } = priorNoisedFromHost(schedule, pairs, m, 28, new HostRng(11));
    // the same draws, replayed by hand: timesteps, then per row a pair and its noise
    const rng = new HostRng(11);
    const ts = Array.from({ length: m }, () => rng.int(1000));
    assert.deepEqual(Array.from(await priorT.data()), ts);
    const x = await priorNoise.data();
    for (let r = 0; r < m; r++) {
      const safe = pairs[rng.int(3)].chosen;
      const a = Math.sqrt(schedule.alphaBars[ts[r]]);
      const b = Math.sqrt(1 - schedule.alphaBars[ts[r]]);
      for (let k = 0; k < 784; k++) {
        const want = a * (safe[k] * 2 - 1) + b * rng.normal();
        assert.ok(Math.abs(x[r * 784 + k] - want) < 1e-5, `row ${r} pixel ${k}`);
      }
    }

    // the step's preservation metric on such rows = ‖ε_θ(x_t, t, ∅) − ε_ref(x_t, t, ∅)‖² computed directly
    const opt = adamw({ learningRate: 1e-2, maxGradNorm: 1 });
    const step = makeDuoStep(config, opt, { beta: 1000, lambda: 50 });
    const flat = (k: "chosen" | "rejected") => {
      const f = new Float32Array(3 * 784);
      for (const [i, p] of pairs.entries())
        f.set(
          p[k].map((v) => v * 2 - 1),
          i * 784,
        );
      return f;
    };
    const nullTokens = () =>
      np.array(tokenize(Array(m).fill(""), config.vocab, 8), { dtype: np.int32 }).reshape([m, 8]);
    const batchAt = (seed: number) => ({
      ...diffusionDpoBatchFromHost(
        schedule,
        flat("chosen"),
        flat("rejected"),
        tokenize(["", "", ""], config.vocab, 8),
        3,
        28,
        new HostRng(9),
      ),
      ...priorNoisedFromHost(schedule, pairs, m, 28, new HostRng(seed)),
      priorTokens: nullTokens(),
    });
    const unet = refTree(model.params.unet);
    const first = step(
      unet,
      opt.init(refTree(unet)),
      refTree(model.params.unet),
      refTree(model.params.text),
      batchAt(11),
      np.array(1e-2),
    );
    assert.ok(Math.abs((await first.aux.preservation.data())[0]) < 1e-9, "policy = reference");
    const tuned = refTree(first.unet);
    const second = step(
      first.unet,
      first.state,
      refTree(model.params.unet),
      refTree(model.params.text),
      batchAt(11),
      np.array(1e-2),
    );
    const got = (await second.aux.preservation.data())[0];
    const cond = textVectors(refTree(model.params.text), nullTokens(), config);
    const rows = priorNoisedFromHost(schedule, pairs, m, 28, new HostRng(11));
    const mine = await predictNoise(
      tuned,
      rows.priorNoise.ref,
      rows.priorT.ref,
      cond.ref,
      config,
      "inference",
    ).data();
    const ref = await predictNoise(
      refTree(model.params.unet),
      rows.priorNoise,
      rows.priorT,
      cond,
      config,
      "inference",
    ).data();
    let want = 0;
    for (let i = 0; i < mine.length; i++) want += (mine[i] - ref[i]) ** 2;
    want /= mine.length;
    assert.ok(want > 1e-8, "one step moved the policy");
    assert.ok(Math.abs(got - want) < 1e-4 * want + 1e-10, `preservation ${got} vs ${want}`);
  });

  it("prompted preservation rows drop the concept's words from the pair's prompt", () => {
    const w = new Set(["thick", "bold"]);
    assert.equal(withoutWords("thick 7", w), "7");
    assert.equal(withoutWords("a Bold  seven thick", w), "a seven");
    assert.equal(withoutWords("thin 7", w), "thin 7");
  });

  it("couples the learning rate and λ to β as the reference code does", () => {
    const h = duoHyperparameters({ beta: 500, baseLr: 1e-3, baseLambda: 7.5 });
    assert.ok(Math.abs(h.learningRate - 2e-4) < 1e-12);
    assert.ok(Math.abs(h.lambda - 37.5) < 1e-12);
  });
});

describe("DUO training", () => {
  const o = { steps: 6, batchSize: 2, saveEvery: 2, logEvery: 1, quiet: true, beta: 500 };
  it("a stopped-and-resumed run equals an uninterrupted one; the output loads", async () => {
    const pairs = fakePairs(4);
    const full = join(tmp, "full");
    const r = await trainDuo(model, pairs, { ...o, out: full });
    assert.equal(r.status, "completed");
    const split = join(tmp, "split");
    const first = await trainDuo(model, pairs, { ...o, out: split, stopAfter: 3 });
    assert.equal(first.status, "interrupted");
    assert.ok(!existsSync(join(split, "model.safetensors")), "no final model from a stopped run");
    const second = await trainDuo(model, pairs, { ...o, out: split });
    assert.equal(second.status, "completed");
    assert.deepEqual(metricsWithoutTime(split), metricsWithoutTime(full));
    assert.ok(
      readFileSync(join(split, "model.safetensors")).equals(
        readFileSync(join(full, "model.safetensors")),
      ),
      "resumed weights differ from the uninterrupted run",
    );
    const loaded = loadDiffusion(full);
    assert.deepEqual(loaded.config, config);
  });
});
