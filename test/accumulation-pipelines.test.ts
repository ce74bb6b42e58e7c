/**
 * --gradient-accumulation-steps in sft and reward: k micro-batches of b
 * examples give the update of one batch of k·b (the same rows, the same
 * loss, the same weights after the steps), within float32 rounding.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { bpeTokenizerJSON, trainBPE } from "../src/data/bpe.js";
import { movieReviewCorpus } from "../src/data/movie-reviews.js";
import { positiveReviewSFT } from "../src/data/sft-data.js";
import { initEngine } from "../src/engine/init.js";
import { readSafetensors } from "../src/engine/safetensors.js";
import { CausalLM } from "../src/models/lm/causal-lm.js";
import { gpt2Config } from "../src/models/lm/config.js";
import { paramsFromHF } from "../src/models/lm/hf-tensors.js";
import { LMTokenizer } from "../src/models/lm/tokenizer.js";
import { runReward } from "../src/pipelines/reward.js";
import { runSft } from "../src/pipelines/sft.js";
import { readMetrics } from "../src/train/metrics.js";
import { randomHF } from "./lm-reference.js";

const dir = mkdtempSync(join(tmpdir(), "prefopt-accum-"));
let model: string;
after(() => rmSync(dir, { recursive: true, force: true }));
before(async () => {
  await initEngine();
  // a one-block GPT-2 with a 320-token BPE vocabulary
  const bpe = trainBPE(movieReviewCorpus(300, 4), { vocabSize: 320, specialTokens: ["<|e|>"] });
  const tok = new LMTokenizer(bpeTokenizerJSON(bpe, { addBos: true }), {
    bos_token: "<|e|>",
    eos_token: "<|e|>",
  });
  const c = gpt2Config({ vocabSize: 320, dModel: 16, nHead: 2, nLayer: 1, maxPositions: 32 });
  const t = randomHF(c, 3);
  for (const v of Object.values(t)) for (let i = 0; i < v.data.length; i++) v.data[i] *= 0.2;
  model = join(dir, "model");
  const lm = new CausalLM({ ...c, eosTokenId: 319, bosTokenId: 319 }, paramsFromHF(c, t, "t"), tok);
  await lm.save(model);
  lm.dispose();
});

/** Largest |a − b| over every tensor of two saved models. */
function weightGap(a: string, b: string): number {
  const ta = readSafetensors(join(a, "model.safetensors")).tensors;
  const tb = readSafetensors(join(b, "model.safetensors")).tensors;
  let worst = 0;
  for (const [k, v] of Object.entries(ta)) {
    const x = v.data as Float32Array;
    const y = tb[k].data as Float32Array;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  }
  return worst;
}

const losses = (out: string) =>
  readMetrics(join(out, "metrics.jsonl"))
    .filter((m) => m.loss !== undefined && m.eval_loss === undefined)
    .map((m) => Number(m.loss));

/** Two 2-step runs from `model` logged the same losses and made the same update. */
function assertSameRun(one: string, acc: string): void {
  const [a, b] = [losses(one), losses(acc)];
  assert.equal(a.length, 2);
  for (let i = 0; i < 2; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-5, `loss ${a[i]} vs ${b[i]}`);
  // the same update, to float32 rounding (amplified where AdamW divides by a tiny √v)
  const moved = weightGap(model, one);
  const gap = weightGap(one, acc);
  assert.ok(moved > 1e-3);
  assert.ok(gap < 2e-3 * moved, `weights differ by ${gap}, moved by ${moved}`);
}

describe("gradient accumulation in the pipelines", () => {
  it("sft: 2 micro-batches of 3 = one batch of 6 (token-weighted: rows differ in length)", async () => {
    const common = {
      model,
      examples: positiveReviewSFT(12, 5),
      lr: 1e-2,
      steps: 2,
      warmupSteps: 0,
      seed: 2,
      quiet: true,
      logEvery: 1,
      saveEvery: 0,
    };
    const one = join(dir, "sft-one");
    const acc = join(dir, "sft-acc");
    await runSft({ ...common, out: one, batchSize: 6 });
    await runSft({ ...common, out: acc, batchSize: 3, gradientAccumulationSteps: 2 });
    assertSameRun(one, acc);
  });

  it("reward: 2 micro-batches of 2 pairs = one batch of 4", async () => {
    const data = join(dir, "prefs.jsonl");
    const rows = positiveReviewSFT(8, 9).map((e, i) =>
      JSON.stringify({
        prompt: (e as { prompt: string }).prompt,
        chosen: (e as { completion: string }).completion,
        rejected: i % 2 ? " bad and dull." : " awful, a waste of time and money.",
      }),
    );
    writeFileSync(data, `${rows.join("\n")}\n`);
    const common = {
      model,
      data,
      lr: 1e-2,
      steps: 2,
      warmupSteps: 0,
      evalFraction: 0,
      seed: 4,
      quiet: true,
      logEvery: 1,
      saveEvery: 0,
    };
    const one = join(dir, "rm-one");
    const acc = join(dir, "rm-acc");
    await runReward({ ...common, out: one, batchSize: 4 });
    await runReward({ ...common, out: acc, batchSize: 2, gradientAccumulationSteps: 2 });
    assertSameRun(one, acc);
  });
});
