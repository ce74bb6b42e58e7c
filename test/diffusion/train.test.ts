/**
 * `trainDiffusion` end to end on a tiny UNet: the loss falls, the saved model
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
import { trainDiffusion } from "../../src/pipelines/diffusion-train.js";
import { setup } from "../helpers.js";

const tiny = {
  steps: 12,
  batchSize: 8,
  warmup: 2,
  saveEvery: 3,
  verbose: false,
  config: { unet: { channels: [8, 16] as [number, number], condDim: 16, groups: 4 } },
};

/** metrics.jsonl without the wall-clock field. */
function metrics(dir: string): unknown[] {
  return readFileSync(join(dir, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => {
      const { time: _t, ...rest } = JSON.parse(l);
      return rest;
    });
}

let tmp = "";
before(async () => {
  await setup();
  tmp = mkdtempSync(join(tmpdir(), "prefopt-difftrain-"));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe("diffusion training", () => {
  it("trains, saves a loadable model, and a stopped-then-resumed run equals an uninterrupted one", async () => {
    const full = join(tmp, "full");
    const r = await trainDiffusion({ ...tiny, outDir: full });
    assert.equal(r.status, "completed");
    const m = metrics(full) as { step: number; loss: number }[];
    assert.equal(m[m.length - 1].step, 12);
    assert.ok(m.every((x) => Number.isFinite(x.loss)));
    const model = loadDiffusion(full);
    assert.deepEqual(model.config.unet.channels, [8, 16]);

    // stop once the first checkpoint is written, then resume to the end
    const split = join(tmp, "split");
    const stop = new AbortController();
    const watch = setInterval(() => {
      if (existsSync(join(split, "checkpoint-3"))) stop.abort();
    }, 2);
    const first = await trainDiffusion({ ...tiny, outDir: split, signal: stop.signal });
    clearInterval(watch);
    assert.equal(first.status, "interrupted");
    const second = await trainDiffusion({ ...tiny, outDir: split, resume: true });
    assert.equal(second.status, "completed");
    assert.deepEqual(metrics(split), m);
    assert.ok(
      readFileSync(join(split, "model.safetensors")).equals(
        readFileSync(join(full, "model.safetensors")),
      ),
      "resumed weights differ from the uninterrupted run",
    );
  });
});
