/**
 * Preference optimisation on the embedded text world, end to end with the
 * bundled model: DPO raises the mean AFINN reward of samples while the KL to
 * the reference stays bounded; a Bradley–Terry reward model orders held-out
 * sample pairs like the true AFINN reward more than 80% of the time; outputs
 * are Hugging Face layouts that load back; resume continues the same run.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { preferenceJsonl } from "../src/data/preference-data.js";
import {
  bradleyTerryPreferences,
  evaluatePolicy,
  sampleAndScore,
  sentimentPrompts,
} from "../src/data/sentiment-preferences.js";
import { readSafetensors } from "../src/engine/safetensors.js";
import { defaultModelDir } from "../src/models/default-model.js";
import { CausalLM } from "../src/models/lm/causal-lm.js";
import { RewardModel } from "../src/models/lm/reward-model.js";
import { runDpo } from "../src/pipelines/dpo.js";
import { pairAccuracy, runReward, trueOrderPairs } from "../src/pipelines/reward.js";
import { readMetrics } from "../src/train/metrics.js";
import { setup } from "./helpers.js";

const base = defaultModelDir("text");
const dir = mkdtempSync(join(tmpdir(), "prefopt-po-"));
const data = join(dir, "prefs.jsonl");
let sft: CausalLM;

before(async () => {
  await setup();
  sft = await CausalLM.load(base);
  // the embedded world's preferences: 4 samples per prompt, AFINN, Bradley–Terry labels
  const scored = await sampleAndScore(
    sft.config,
    sft.params,
    sft.tokenizer,
    sentimentPrompts(128),
    {
      n: 4,
      seed: 0,
    },
  );
  writeFileSync(data, preferenceJsonl(bradleyTerryPreferences(scored, { seed: 0 })));
});

describe("DPO on the embedded world", () => {
  test("raises the mean AFINN reward with bounded KL; TRL metrics; HF layout output", async () => {
    const out = join(dir, "dpo");
    const r = await runDpo({ data, out, epochs: 2, quiet: true, log: () => {} });
    assert.equal(r.refCacheHit, false);
    const m = readMetrics(join(out, "metrics.jsonl"));
    for (const k of [
      "loss",
      "rewards/chosen",
      "rewards/rejected",
      "rewards/margins",
      "rewards/accuracies",
      "logps/chosen",
      "logps/rejected",
    ]) {
      assert.ok(Number.isFinite(m[0][k] as number), `metrics.jsonl lacks ${k}`);
      assert.ok(Number.isFinite(r.eval[`eval_${k}`]), `eval lacks eval_${k}`);
    }
    assert.ok(r.train["rewards/margins"] > 0, "the policy separates chosen from rejected");

    const policy = await CausalLM.load(out);
    const held = sentimentPrompts(48, 999_001);
    const opts = { n: 4, seed: 4242 };
    const before = await evaluatePolicy(
      sft.config,
      sft.params,
      sft.params,
      sft.tokenizer,
      held,
      opts,
    );
    const after = await evaluatePolicy(
      policy.config,
      policy.params,
      sft.params,
      sft.tokenizer,
      held,
      opts,
    );
    console.log(
      `  AFINN ${before.reward.toFixed(2)} → ${after.reward.toFixed(2)}, KL ${after.kl.toFixed(3)} nats`,
    );
    assert.ok(after.reward - before.reward > 0.3, `reward gain ${after.reward - before.reward}`);
    assert.ok(after.kl > 0 && after.kl < 2, `KL ${after.kl}`);
    assert.equal(typeof (await policy.generate("The movie", { maxNewTokens: 8 })), "string");
    policy.dispose();

    // a second run reads the cached reference log-probs
    const again = await runDpo({
      data,
      out: join(dir, "dpo-ipo"),
      lossType: "ipo",
      steps: 2,
      quiet: true,
      log: () => {},
    });
    assert.equal(again.refCacheHit, true);
  });

  test("an interrupted run resumes to the same parameters", async () => {
    const common = {
      data,
      steps: 6,
      saveEvery: 0,
      evalFraction: 0.1,
      quiet: true,
      log: () => {},
    };
    await runDpo({ ...common, out: join(dir, "straight") });
    const stopped = await runDpo({ ...common, out: join(dir, "resumed"), stopAfter: 3 });
    assert.equal(stopped.steps, 3);
    assert.ok(existsSync(join(dir, "resumed", "checkpoint-3")));
    assert.ok(!existsSync(join(dir, "resumed", "model.safetensors")));
    const resumed = await runDpo({ ...common, out: join(dir, "resumed") });
    assert.equal(resumed.steps, 6);
    const a = readSafetensors(join(dir, "straight", "model.safetensors")).tensors;
    const b = readSafetensors(join(dir, "resumed", "model.safetensors")).tensors;
    let maxDiff = 0;
    for (const [k, t] of Object.entries(a)) {
      const u = b[k].data as Float32Array;
      (t.data as Float32Array).forEach((x, i) => {
        maxDiff = Math.max(maxDiff, Math.abs(x - u[i]));
      });
    }
    assert.ok(maxDiff < 1e-5, `resumed params differ by ${maxDiff}`);
    const steps = readMetrics(join(dir, "resumed", "metrics.jsonl")).map((x) => x.step);
    assert.deepEqual(
      steps.filter((s, i) => steps.indexOf(s) === i),
      [5, 6],
    );
  });
});

describe("reward model", () => {
  test("held-out accuracy above 0.8 against the true AFINN order; HF sequence-classification layout", async () => {
    const out = join(dir, "rm");
    const r = await runReward({ data, out, epochs: 3, quiet: true, log: () => {} });
    const m = readMetrics(join(out, "metrics.jsonl"));
    assert.ok(m.some((x) => typeof x.accuracy === "number" && typeof x.margin === "number"));
    assert.ok(
      r.eval.eval_accuracy > 0.6,
      `accuracy on held-out labelled pairs ${r.eval.eval_accuracy}`,
    );

    const cfg = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
    assert.deepEqual(cfg.architectures, ["GPT2ForSequenceClassification"]);
    assert.equal(Object.keys(cfg.id2label).length, 1);
    assert.equal(typeof cfg.pad_token_id, "number");
    const st = readSafetensors(join(out, "model.safetensors")).tensors;
    assert.deepEqual(st["score.weight"].shape, [1, sft.config.dModel]);
    assert.ok(st["transformer.h.0.attn.c_attn.weight"]);
    assert.ok(!st["lm_head.weight"]);

    const rm = await RewardModel.load(out);
    const scored = await sampleAndScore(
      sft.config,
      sft.params,
      sft.tokenizer,
      sentimentPrompts(64, 999_001),
      {
        n: 4,
        seed: 77,
      },
    );
    const pairs = trueOrderPairs(scored);
    const acc = await pairAccuracy(rm, pairs);
    console.log(
      `  reward model: ${pairs.length} held-out sample pairs, accuracy ${acc.accuracy.toFixed(3)}`,
    );
    assert.ok(acc.accuracy > 0.8, `held-out accuracy ${acc.accuracy}`);
    await assert.rejects(RewardModel.load(base), /score\.weight" is missing/);
    rm.dispose();
  });
});
