/**
 * Iterative DPO: each round samples its pairs from the previous round's
 * model, trains a DPO task with that model as the reference, and the last
 * round's model is the result; a re-run with the same output resumes instead
 * of sampling or training again. With a fixed reference (online DPO) every
 * round keeps the start model as π_ref.
 */
import assert from "node:assert/strict";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { initEngine } from "../src/engine/init.js";
import { runIterativeDpo } from "../src/pipelines/iterative-dpo.js";
import { writeTinyModel } from "./reliability/tiny-model.js";

before(async () => {
  await initEngine();
});

describe("iterative DPO", () => {
  it("two rounds: round 2 samples from and is referenced to round 1, and a re-run resumes", async () => {
    const root = mkdtempSync(join(tmpdir(), "prefopt-iter-"));
    const model = join(root, "tiny");
    await writeTinyModel(model);
    const out = join(root, "iter");
    const lines: string[] = [];
    const o = {
      model,
      out,
      rounds: 2,
      beta: 1,
      numPrompts: 4,
      samplesPerPrompt: 3,
      maxNewTokens: 4,
      steps: 1,
      batchSize: 4,
      // a step large enough that round 1's model is measurably away from the start
      lr: 1e-2,
      warmupSteps: 0,
      quiet: true,
      log: (s: string) => lines.push(s),
    };
    const r = await runIterativeDpo(o);
    assert.equal(r.rounds.length, 2);
    assert.equal(r.model, join(out, "round-2"));
    for (const k of [1, 2]) {
      assert.ok(existsSync(join(out, `round-${k}`, "model.safetensors")));
      assert.ok(existsSync(join(out, `round-${k}`, "preferences.jsonl")));
    }
    // round 2 trained from round 1's model (its reference)
    const state = JSON.parse(
      readFileSync(join(out, "round-2", "checkpoint-1", "trainer_state.json"), "utf8"),
    );
    assert.equal(state.config.model, join(out, "round-1"));
    // the rounds drew different prompts
    const prompts = (k: number) =>
      new Set(
        readFileSync(join(out, `round-${k}`, "preferences.jsonl"), "utf8")
          .trim()
          .split("\n")
          .map((l) => JSON.parse(l).prompt),
      );
    assert.notDeepEqual([...prompts(1)], [...prompts(2)]);
    const again = await runIterativeDpo(o);
    assert.equal(again.model, r.model);
    assert.ok(!lines.slice(-4).some((l) => l.includes("sampling")), lines.join("\n"));
    await assert.rejects(runIterativeDpo({ ...o, rounds: 0 }), /rounds/);
    // previous-round reference: round 2's policy equals its reference at its first step
    const first = (dir: string) =>
      JSON.parse(readFileSync(join(dir, "metrics.jsonl"), "utf8").split("\n")[0]);
    assert.ok(Math.abs(first(join(out, "round-2"))["rewards/chosen"]) < 1e-5);

    // online DPO: π_ref stays the start model, so round 2 starts away from its reference. Round 1
    // (reference: the start model either way) and round 2's pairs (sampled from round 1's model)
    // are the iterative run's, copied in: the online run resumes round 1 and trains round 2 only
    cpSync(join(out, "round-1"), join(root, "online", "round-1"), { recursive: true });
    mkdirSync(join(root, "online", "round-2"));
    copyFileSync(
      join(out, "round-2", "preferences.jsonl"),
      join(root, "online", "round-2", "preferences.jsonl"),
    );
    const online = await runIterativeDpo({ ...o, out: join(root, "online"), fixedReference: true });
    assert.equal(online.rounds.length, 2);
    const r2 = join(root, "online", "round-2");
    const cfg = JSON.parse(
      readFileSync(join(r2, "checkpoint-1", "trainer_state.json"), "utf8"),
    ).config;
    assert.equal(cfg.model, join(root, "online", "round-1"));
    assert.equal(cfg.reference, model);
    const m = first(r2);
    assert.ok(Math.abs(m["rewards/chosen"]) > 1e-3, JSON.stringify(m));
  });
});
