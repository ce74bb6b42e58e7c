import assert from "node:assert/strict";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { UserError } from "../src/engine/errors.js";
import { makeKey } from "../src/engine/random.js";
import { gpt2Config } from "../src/models/lm/config.js";
import { defaultLoraTargets } from "../src/models/lm/lora.js";
import { checkDpoFits, estimateDpoHeap, modelNumbers } from "../src/models/lm/memory-fit.js";
import { initParams, type LMParams } from "../src/models/lm/params.js";
import { runDpo } from "../src/pipelines/dpo.js";
import { setup } from "./helpers.js";

const c = gpt2Config({ vocabSize: 64, dModel: 16, nHead: 2, nLayer: 2, maxPositions: 64 });
let params: LMParams;
const pairs = Array.from({ length: 8 }, (_, i) => ({
  prompt: [1, 2, 3, i],
  chosen: [4, 5, 6, 7, 8],
  rejected: [9, 10, 11],
}));

before(async () => {
  await setup();
  params = initParams(c, makeKey(0));
});

describe("heap estimate before a DPO run", () => {
  it("counts weights, adapters and AdamW state from the tree and the shape", () => {
    const full = modelNumbers(params);
    // wte 64×16, wpe 64×16, per block 12·16² + 13·16, final norm 2·16
    assert.equal(full.weights, 64 * 16 + 64 * 16 + 2 * (12 * 16 * 16 + 13 * 16) + 2 * 16);
    assert.equal(full.trainable, full.weights);
    const lora = modelNumbers(params, { rank: 2, targets: defaultLoraTargets(c) });
    // adapted: c_attn 16×48, attn c_proj 16×16, c_fc 16×64, mlp c_proj 64×16 in each block
    assert.equal(lora.loraTargets, 2 * (16 * 48 + 16 * 16 + 16 * 64 + 64 * 16));
    assert.equal(lora.trainable, 2 * 2 * (16 + 48 + 16 + 16 + 16 + 64 + 64 + 16));
    const s = { rows: 4, rowLength: 16, scored: 8, accumulation: 1 };
    const e = estimateDpoHeap(c, full, s);
    assert.equal(e.weights, 4 * full.weights);
    assert.equal(e.optimiser, 2 * 4 * full.weights);
    assert.equal(e.accumulated, 0);
    assert.equal(e.logits, 3 * 4 * 8 * 64 * 4);
    const acc = estimateDpoHeap(c, full, { ...s, accumulation: 2 });
    assert.equal(acc.accumulated, 4 * full.weights);
    // activations grow linearly in layers and rows, the attention part quadratically in the row
    const half = estimateDpoHeap(c, full, { ...s, rows: 2 });
    assert.equal(half.activations * 2, e.activations);
    const longer = estimateDpoHeap(c, full, { ...s, rowLength: 32 });
    assert.ok(longer.activations > 2 * e.activations);
    const l = estimateDpoHeap(c, lora, s);
    assert.ok(l.total < e.total);
    assert.equal(l.optimiser, 2 * 4 * lora.trainable);
  });

  it("passes a run that fits and names the smaller micro-batch that would fit one that does not", () => {
    const run = { rows: 8, accumulation: 1, maxLength: 64, loraTargets: defaultLoraTargets(c) };
    const need = checkDpoFits(c, params, pairs, run, 2 ** 40).total;
    // a limit the 8-row step exceeds but a 4-row one (×2 accumulation) meets
    const four = checkDpoFits(
      c,
      params,
      pairs,
      { ...run, rows: 4, accumulation: 2 },
      2 ** 40,
    ).total;
    assert.ok(four < need);
    const limit = (four + need) / 2;
    assert.throws(
      () => checkDpoFits(c, params, pairs, run, limit),
      (e: unknown) =>
        e instanceof UserError &&
        /^dpo: needs about [\d.]+ GiB of engine heap \(weights .*AdamW state .*activations .*logits/.test(
          e.message,
        ) &&
        e.message.includes("--batch-size 4 --gradient-accumulation-steps 2 would need") &&
        !e.message.includes("\n"),
    );
    // nothing fits: says so
    assert.throws(
      () => checkDpoFits(c, params, pairs, run, 1000),
      /no smaller batch, LoRA or sequence length tried fits either/,
    );
  });

  it("offers LoRA when no micro-batch of full fine-tuning fits", () => {
    const run = { rows: 1, accumulation: 1, maxLength: 64, loraTargets: defaultLoraTargets(c) };
    const full = checkDpoFits(c, params, pairs, run, 2 ** 40);
    const lora = checkDpoFits(
      c,
      params,
      pairs,
      { ...run, lora: { rank: 8, targets: run.loraTargets } },
      2 ** 40,
    );
    assert.ok(lora.total < full.total);
    assert.throws(
      () => checkDpoFits(c, params, pairs, run, (lora.total + full.total) / 2),
      /--lora-rank 8 would need about/,
    );
  });
});

describe("dpo refuses a run that cannot fit before training", () => {
  const dir = mkdtempSync(join(tmpdir(), "prefopt-fit-"));
  const saved = process.env.PREFOPT_HEAP_LIMIT;
  after(() => {
    if (saved === undefined) delete process.env.PREFOPT_HEAP_LIMIT;
    else process.env.PREFOPT_HEAP_LIMIT = saved;
  });
  it("throws the one-line UserError and writes no metrics", async () => {
    const data = join(dir, "prefs.jsonl");
    const row = { prompt: "The plot", chosen: " was fun.", rejected: " was dull." };
    writeFileSync(data, `${Array.from({ length: 4 }, () => JSON.stringify(row)).join("\n")}\n`);
    process.env.PREFOPT_HEAP_LIMIT = "1000000"; // a fake 1 MB heap
    const out = join(dir, "run");
    await assert.rejects(
      runDpo({ data, out, steps: 1, batchSize: 4, quiet: true, log: () => {} }),
      (e: unknown) =>
        e instanceof UserError && /needs about .* more than its 0\.00 GiB/.test(e.message),
    );
    assert.equal(existsSync(join(out, "metrics.jsonl")), false);
  });
});
