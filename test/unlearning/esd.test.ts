/**
 * ESD on a tiny model, through the shared loop: with η = −1 the negative-guidance
 * target ε_ref(∅) − η(ε_ref(c) − ε_ref(∅)) is the reference's own prediction
 * ε_ref(c), so the first loss (policy = reference) is 0; and a run stopped
 * part-way and resumed ends with exactly the weights and metrics of an
 * uninterrupted one, a stopped run leaving no final model.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { PixelPair } from "../../src/data/image-pairs.js";
import { HostRng, makeKey } from "../../src/engine/random.js";
import { type DiffusionModel, initDiffusion } from "../../src/models/diffusion/model.js";
import { trainEsd } from "../../src/pipelines/esd.js";
import { metricsWithoutTime, setup } from "../helpers.js";
import { TINY_DIFFUSION_CONFIG } from "../reliability/tiny-model.js";

let tmp = "";
let model: DiffusionModel;

function concept(n: number): PixelPair[] {
  const rng = new HostRng(9);
  return Array.from({ length: n }, (_, i) => ({
    prompt: i % 2 ? "thick 7" : "a thick 1",
    chosen: new Float32Array(784),
    rejected: Float32Array.from({ length: 784 }, () => rng.next()),
  }));
}

before(async () => {
  await setup();
  tmp = mkdtempSync(join(tmpdir(), "prefopt-esd-"));
  model = {
    config: TINY_DIFFUSION_CONFIG,
    params: initDiffusion(makeKey(4), TINY_DIFFUSION_CONFIG),
  };
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe("ESD training", () => {
  const o = { batchSize: 2, logEvery: 1, quiet: true };

  it("η = −1 regresses onto the reference's own prediction: the first loss is 0", async () => {
    const out = join(tmp, "eta");
    const r = await trainEsd(model, concept(3), { ...o, out, steps: 1, eta: -1 });
    assert.equal(r.status, "completed");
    const [first] = metricsWithoutTime(out);
    assert.ok(Math.abs(first.loss) < 1e-10, `loss ${first.loss} at policy = reference`);
    assert.equal(first.grad_norm, 0);
  });

  it("a stopped-and-resumed run equals an uninterrupted one", async () => {
    const pairs = concept(4);
    const run = { ...o, steps: 4, saveEvery: 2 };
    const full = join(tmp, "full");
    await trainEsd(model, pairs, { ...run, out: full });
    const split = join(tmp, "split");
    const first = await trainEsd(model, pairs, { ...run, out: split, stopAfter: 2 });
    assert.equal(first.status, "interrupted");
    assert.ok(!existsSync(join(split, "model.safetensors")), "no final model from a stopped run");
    const second = await trainEsd(model, pairs, { ...run, out: split });
    assert.equal(second.status, "completed");
    assert.equal(metricsWithoutTime(split).length, 4);
    assert.deepEqual(metricsWithoutTime(split), metricsWithoutTime(full));
    assert.ok(
      readFileSync(join(split, "model.safetensors")).equals(
        readFileSync(join(full, "model.safetensors")),
      ),
      "resumed weights differ from the uninterrupted run",
    );
  });
});
