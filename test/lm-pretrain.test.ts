import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { initEngine } from "../src/engine/init.js";
import { CausalLM } from "../src/models/lm/causal-lm.js";
import { type PretrainOptions, runPretrain } from "../src/pipelines/pretrain.js";

const root = mkdtempSync(join(tmpdir(), "prefopt-pretrain-"));
after(() => rmSync(root, { recursive: true, force: true }));
before(async () => {
  await initEngine();
});

describe("pretrain pipeline", () => {
  it("writes a loadable model and report; an interrupted and resumed run equals the uninterrupted one", async () => {
    const tiny = (name: string): PretrainOptions => ({
      out: join(root, name),
      sentences: 300,
      heldOut: 40,
      vocabSize: 300,
      nLayer: 1,
      dModel: 32,
      nHead: 2,
      context: 32,
      batchSize: 4,
      steps: 6,
      warmupSteps: 1,
      lr: 3e-3,
      samples: 2,
      saveEvery: 100,
      quiet: true,
      log: () => {},
    });
    const a = await runPretrain(tiny("a"));
    assert.equal(a.steps, 6);
    assert.equal(a.samples.length, 2);
    assert.ok(a.heldOutPerplexity > 1 && Number.isFinite(a.unigramPerplexity));
    for (const f of [
      "config.json",
      "model.safetensors",
      "tokenizer.json",
      "pretrain_report.json",
      "metrics.jsonl",
    ]) {
      assert.ok(existsSync(join(root, "a", f)), f);
    }
    const stopped = await runPretrain({ ...tiny("b"), stopAfter: 3 });
    assert.equal(stopped.status, "interrupted");
    assert.ok(existsSync(join(root, "b", "checkpoint-3")));
    assert.ok(
      !existsSync(join(root, "b", "model.safetensors")),
      "no final model from a stopped run",
    );
    const b = await runPretrain(tiny("b"));
    assert.equal(b.steps, 6);
    assert.ok(Math.abs(a.heldOutNLL - b.heldOutNLL) < 1e-4, `${a.heldOutNLL} vs ${b.heldOutNLL}`);
    const la = await CausalLM.load(join(root, "a"));
    const lb = await CausalLM.load(join(root, "b"));
    const ids = la.tokenizer.encode("The plot was great.");
    const xa = await la.logits(ids);
    const xb = await lb.logits(ids);
    for (let i = 0; i < xa.length; i++) assert.ok(Math.abs(xa[i] - xb[i]) < 1e-4);
    la.dispose();
    lb.dispose();
  });
});
