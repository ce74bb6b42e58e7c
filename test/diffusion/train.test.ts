/**
 * `runDiffusionTrain` end to end on a tiny UNet: the loss falls, the saved model
 * loads, and a run stopped part-way and resumed ends with exactly the weights
 * and metrics of an uninterrupted run (the host RNG that draws images,
 * captions, noise and timesteps is checkpointed with the weights).
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadDiffusion } from "../../src/models/diffusion/model.js";
import { runDiffusionTrain } from "../../src/pipelines/diffusion-train.js";
import { metricsWithoutTime, setup } from "../helpers.js";

const tiny = {
  steps: 12,
  batchSize: 8,
  warmupSteps: 2,
  saveEvery: 3,
  quiet: true,
  config: { unet: { channels: [8, 16] as [number, number], condDim: 16, groups: 4 } },
};

let tmp = "";
before(async () => {
  await setup();
  tmp = mkdtempSync(join(tmpdir(), "prefopt-difftrain-"));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe("diffusion training", () => {
  it("trains, saves a loadable model, and a stopped-then-resumed run equals an uninterrupted one", async () => {
    const full = join(tmp, "full");
    const r = await runDiffusionTrain({ ...tiny, out: full });
    assert.equal(r.status, "completed");
    const m = metricsWithoutTime(full) as { step: number; loss: number }[];
    assert.equal(m[m.length - 1].step, 12);
    assert.ok(m.every((x) => Number.isFinite(x.loss)));
    const model = loadDiffusion(full);
    assert.deepEqual(model.config.unet.channels, [8, 16]);

    // stopped after 4 steps (a checkpoint at 3 and the stop's own at 4), then resumed to the end
    const split = join(tmp, "split");
    const first = await runDiffusionTrain({ ...tiny, out: split, stopAfter: 4 });
    assert.equal(first.status, "interrupted");
    assert.ok(existsSync(join(split, "checkpoint-4")));
    assert.ok(!existsSync(join(split, "model.safetensors")), "no final model from a stopped run");
    const second = await runDiffusionTrain({ ...tiny, out: split });
    assert.equal(second.status, "completed");
    assert.deepEqual(metricsWithoutTime(split), m);
    assert.ok(
      readFileSync(join(split, "model.safetensors")).equals(
        readFileSync(join(full, "model.safetensors")),
      ),
      "resumed weights differ from the uninterrupted run",
    );
  });
});
