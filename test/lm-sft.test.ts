import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { bpeTokenizerJSON, trainBPE } from "../src/data/bpe.js";
import { movieReviewCorpus } from "../src/data/movie-reviews.js";
import { positiveReviewSFT } from "../src/data/sft-data.js";
import { initEngine } from "../src/engine/init.js";
import { CausalLM } from "../src/models/lm/causal-lm.js";
import { gpt2Config } from "../src/models/lm/config.js";
import { paramsFromHF } from "../src/models/lm/hf-tensors.js";
import { LMTokenizer } from "../src/models/lm/tokenizer.js";
import { runSft } from "../src/pipelines/sft.js";
import { randomHF } from "./lm-reference.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "prefopt-sft-run-"));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
before(async () => {
  await initEngine();
});

const EOS = "<|endoftext|>";

async function tinyModelDir(): Promise<string> {
  const bpe = trainBPE(movieReviewCorpus(300, 4), { vocabSize: 320, specialTokens: [EOS] });
  const tok = new LMTokenizer(bpeTokenizerJSON(bpe, { addBos: true }), {
    bos_token: EOS,
    eos_token: EOS,
  });
  const c = gpt2Config({
    vocabSize: 320,
    dModel: 16,
    nHead: 2,
    nLayer: 1,
    maxPositions: 32,
    eosTokenId: 319,
    bosTokenId: 319,
  });
  const t = randomHF(c, 1);
  for (const v of Object.values(t)) for (let i = 0; i < v.data.length; i++) v.data[i] *= 0.2;
  const dir = tmp();
  const lm = new CausalLM(c, paramsFromHF(c, t, "t"), tok);
  await lm.save(dir);
  lm.dispose();
  return dir;
}

describe("sft pipeline", () => {
  it("lowers the completion loss, writes an HF model, checkpoints and resumes to the same result", async () => {
    const model = await tinyModelDir();
    const examples = positiveReviewSFT(40, 3);
    const common = {
      model,
      examples,
      batchSize: 4,
      lr: 3e-3,
      seed: 1,
      quiet: true,
      logEvery: 2,
    };
    const full = tmp();
    const r = await runSft({ ...common, out: full, steps: 8, saveEvery: 4 });
    assert.equal(r.steps, 8);
    const log = readFileSync(join(full, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const losses = log.filter((m) => m.loss !== undefined).map((m) => m.loss);
    assert.ok(
      losses[losses.length - 1] < losses[0],
      `loss ${losses[0]} → ${losses[losses.length - 1]}`,
    );
    assert.ok(r.evalLoss !== null && Number.isFinite(r.evalLoss));
    assert.ok(existsSync(join(full, "checkpoint-4")) && existsSync(join(full, "checkpoint-8")));

    // interrupted after 3 steps, resumed to 8: same params as the uninterrupted run
    const split = tmp();
    const stopped = await runSft({ ...common, out: split, steps: 8, saveEvery: 4, stopAfter: 3 });
    assert.equal(stopped.status, "interrupted");
    assert.ok(existsSync(join(split, "checkpoint-3")));
    assert.ok(!existsSync(join(split, "model.safetensors")), "no final model from a stopped run");
    await runSft({ ...common, out: split, steps: 8, saveEvery: 4 });
    const a = await CausalLM.load(full);
    const b = await CausalLM.load(split);
    const la = await a.logits([319, 5, 6, 7]);
    const lb = await b.logits([319, 5, 6, 7]);
    let worst = 0;
    for (let i = 0; i < la.length; i++) worst = Math.max(worst, Math.abs(la[i] - lb[i]));
    assert.ok(worst < 1e-4, `resumed run differs by ${worst}`);
    a.dispose();
    b.dispose();
  });
});
