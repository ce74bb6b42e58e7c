/**
 * Short runs of the preference pipelines on the bundled model: batched
 * sampling agrees with the LM's own generation, RLHF logs TRL's objective/*
 * metrics and saves a loadable model, the reward model trains with a margin
 * column, DPO with LoRA saves merged weights.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, test } from "node:test";
import { readSafetensors } from "../src/engine/safetensors.js";
import { defaultModelDir } from "../src/models/default-model.js";
import { CausalLM } from "../src/models/lm/causal-lm.js";
import { generateIds } from "../src/models/lm/generate.js";
import { sampleBatch } from "../src/models/lm/sample-batch.js";
import { runDpo } from "../src/pipelines/dpo.js";
import { runReward } from "../src/pipelines/reward.js";
import { runRlhf } from "../src/pipelines/rlhf.js";
import { readMetrics } from "../src/train/metrics.js";
import { setup } from "./helpers.js";

const base = defaultModelDir("text");
const dir = mkdtempSync(join(tmpdir(), "prefopt-pp-"));
let lm: CausalLM;

before(async () => {
  await setup();
  lm = await CausalLM.load(base);
});

test("batched sampling over prompts equals the LM's own generation per prompt", async () => {
  const eos = lm.tokenizer.eosTokenId;
  const p1 = lm.tokenizer.encode("The movie");
  const p2 = lm.tokenizer.encode("I thought the");
  const batch = await sampleBatch(lm.config, lm.params, [p1, p2], {
    n: 3,
    maxNewTokens: 10,
    eosTokenId: eos,
    seed: 5,
  });
  // length groups are decoded shortest first from one seeded generator: the first group
  // reproduces generateIds exactly; the second continues the random stream
  assert.ok(p1.length < p2.length);
  const g1 = await generateIds(lm.config, lm.params, p1, {
    n: 3,
    maxNewTokens: 10,
    eosTokenId: eos,
    seed: 5,
  });
  assert.deepEqual(batch[0], g1);
  assert.equal(batch[1].length, 3);
  assert.ok(batch[1].every((r) => r.length > 0 && r.length <= 10));
});

test("RLHF (RLOO) logs reward, KL and the penalised objective and saves an HF model", async () => {
  const out = join(dir, "rlhf");
  const r = await runRlhf({
    rewardModel: "afinn",
    out,
    steps: 3,
    promptsPerStep: 4,
    logEvery: 1,
    evalPrompts: 0,
    quiet: true,
    log: () => {},
  });
  assert.equal(r.steps, 3);
  const m = readMetrics(join(out, "metrics.jsonl"));
  assert.equal(m.length, 3);
  for (const row of m) {
    const s = row["objective/scores"] as number;
    const kl = row["objective/kl"] as number;
    assert.ok(Number.isFinite(s) && Number.isFinite(kl));
    assertNear(row["objective/rlhf_reward"] as number, s - 0.05 * kl);
  }
  const policy = await CausalLM.load(out);
  policy.dispose();
});

function assertNear(a: number, b: number) {
  assert.ok(Math.abs(a - b) < 1e-6 * Math.max(1, Math.abs(b)), `${a} vs ${b}`);
}

test("reward model with a margin column; DPO with LoRA saves merged weights", async () => {
  const data = join(dir, "margin.jsonl");
  const rows = [];
  for (let i = 0; i < 12; i++) {
    rows.push(
      JSON.stringify({
        prompt: "The movie",
        chosen: " was great.",
        rejected: " was awful.",
        margin: 0.5,
      }),
      JSON.stringify({
        prompt: "The plot",
        chosen: " was fun.",
        rejected: " was dull.",
        margin: 1,
      }),
    );
  }
  writeFileSync(data, `${rows.join("\n")}\n`);
  const r = await runReward({
    data,
    out: join(dir, "rm"),
    steps: 2,
    batchSize: 4,
    quiet: true,
    log: () => {},
  });
  assert.equal(r.steps, 2);
  assert.ok(Number.isFinite(r.train.loss));

  const out = join(dir, "lora");
  const d = await runDpo({
    data,
    out,
    steps: 3,
    batchSize: 4,
    lr: 1e-2,
    lora: { rank: 2 },
    quiet: true,
    log: () => {},
  });
  assert.equal(d.steps, 3);
  const a = readSafetensors(join(base, "model.safetensors")).tensors;
  const b = readSafetensors(join(out, "model.safetensors")).tensors;
  const name = "transformer.h.0.attn.c_attn.weight";
  const differs = (b[name].data as Float32Array).some(
    (x, i) => x !== (a[name].data as Float32Array)[i],
  );
  assert.ok(differs, "LoRA updates are merged into the saved weights");
  const emb = "transformer.wte.weight";
  assert.deepEqual(b[emb].data, a[emb].data, "non-target weights are untouched");
});
