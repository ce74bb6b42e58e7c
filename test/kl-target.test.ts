/**
 * KL-target online DPO: the selection rule against known KL sequences, and
 * on a tiny model the run measures KL(π‖π_start) every `klEvery` steps of each
 * round's last quarter and at its end, keeps the policy measured closest to the
 * target (the kept model re-measures to the recorded value), and stops after
 * the first round whose end reaches the target.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { evaluatePolicy, sentimentPrompts } from "../src/data/sentiment-preferences.js";
import { initEngine } from "../src/engine/init.js";
import { CausalLM } from "../src/models/lm/causal-lm.js";
import { runIterativeDpo } from "../src/pipelines/iterative-dpo.js";
import { pickByKl, settled } from "../src/pipelines/kl-target.js";
import { writeTinyModel } from "./reliability/tiny-model.js";

before(async () => {
  await initEngine();
});

describe("pickByKl", () => {
  const ends = (kls: number[]) => kls.map((kl) => ({ kl, end: true }));
  it("keeps the candidate closest to the target and stops at a round's end at or past it", () => {
    // online DPO's round ends on the held-out openings (README): 0.35, 0.83, 1.56, 2.76
    assert.deepEqual(pickByKl(ends([0.35, 0.83, 1.56]), 2), { index: 2, stop: false });
    assert.deepEqual(pickByKl(ends([0.35, 0.83, 1.56, 2.76]), 2), { index: 2, stop: true });
    assert.deepEqual(pickByKl(ends([0.35, 0.83, 1.56, 2.1]), 2), { index: 3, stop: true });
    // exactly at the target stops; a tie keeps the earlier (less KL spent)
    assert.deepEqual(pickByKl(ends([1, 2]), 2), { index: 1, stop: true });
    assert.deepEqual(pickByKl(ends([1.5, 2.5]), 2), { index: 0, stop: true });
    // round 3's end, then round 4's last quarter as measured on the probe (steps 125, 150 of 154,
    // then its end): a mid-round candidate past the target does not stop the round, its end does
    const r4 = [
      { kl: 1.67, end: true },
      { kl: 2.34, end: false },
      { kl: 2.55, end: false },
    ];
    // (round 3's end, 0.33 below the target, is closer than step 125's 2.34)
    assert.deepEqual(pickByKl(r4, 2), { index: 0, stop: false });
    assert.deepEqual(pickByKl(r4, 2.2), { index: 1, stop: false });
    assert.deepEqual(pickByKl([...r4, { kl: 2.47, end: true }], 2), { index: 0, stop: true });
    assert.deepEqual(pickByKl([...r4, { kl: 2.1, end: true }], 2), { index: 3, stop: true });
    assert.throws(() => pickByKl(ends([1]), 0), /> 0/);
    assert.throws(() => pickByKl([], 1), /no measurements/);
  });
  it("counts the last quarter of a round and its end as settled", () => {
    assert.deepEqual(
      [25, 50, 75, 100, 115, 116, 125, 150, 154].map((s) => settled(s, 154)),
      [false, false, false, false, false, true, true, true, true],
    );
    assert.equal(settled(3, 4), true);
    assert.equal(settled(2, 4), false);
  });
});

describe("online DPO with a KL target", () => {
  it("measures every klEvery steps, keeps the closest policy and stops at the target", async () => {
    const root = mkdtempSync(join(tmpdir(), "prefopt-kltarget-"));
    const model = join(root, "tiny");
    await writeTinyModel(model);
    const o = {
      model,
      rounds: 3,
      fixedReference: true,
      beta: 1,
      numPrompts: 2,
      samplesPerPrompt: 3,
      maxNewTokens: 3,
      steps: 4,
      batchSize: 4,
      lr: 0.2,
      warmupSteps: 0,
      klEvery: 1,
      klProbePrompts: 2,
      klProbeSamples: 16,
      quiet: true,
      log: () => {},
    };
    // a target no policy reaches: all rounds run, each measured in its last quarter (steps 3, 4)
    const far = await runIterativeDpo({ ...o, out: join(root, "far"), targetKl: 1e6 });
    const t = far.klTarget;
    assert.ok(t);
    assert.deepEqual(
      t.measurements.map((m) => [m.round, m.step]),
      [
        [1, 3],
        [1, 4],
        [2, 3],
        [2, 4],
        [3, 3],
        [3, 4],
      ],
    );
    assert.equal(t.reached, false);
    const kls = t.measurements.map((m) => m.kl);
    assert.equal(t.chosen, kls.indexOf(Math.max(...kls)));
    assert.equal(far.model, join(root, "far", "kl-target"));
    // the measurements are logged in each round's metrics.jsonl
    const logged = readFileSync(join(root, "far", "round-2", "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((m) => m.eval_kl_probe !== undefined)
      .map((m) => m.eval_kl_probe);
    assert.deepEqual(logged, kls.slice(2, 4));
    // the kept model is the measured policy: the probe measures it again to the recorded KL
    const ref = await CausalLM.load(model);
    const kept = await CausalLM.load(far.model);
    const again = await evaluatePolicy(
      kept.config,
      kept.params,
      ref.params,
      ref.tokenizer,
      sentimentPrompts(t.probe.prompts, t.probe.seed),
      { n: t.probe.samples, maxNewTokens: o.maxNewTokens, seed: t.probe.seed },
    );
    ref.dispose();
    kept.dispose();
    assert.ok(Math.abs(again.kl - kls[t.chosen]) < 1e-4, `${again.kl} vs ${kls[t.chosen]}`);

    assert.deepEqual(
      t.measurements.map((m) => m.end),
      [false, true, false, true, false, true],
    );
    // a target the higher of rounds 1 and 2's ends reaches (same seeds, same measurements up to
    // there): the first round that ends at or past it is the last, and its candidates are kept
    const target = Math.max(kls[1], kls[3]);
    assert.ok(target > 0, `${kls}`);
    const last = kls[1] >= target ? 1 : 2;
    const near = await runIterativeDpo({ ...o, out: join(root, "near"), targetKl: target });
    assert.deepEqual(near.klTarget?.measurements, t.measurements.slice(0, 2 * last));
    assert.equal(near.klTarget?.reached, true);
    const pick = kls.slice(0, 2 * last).map((k) => Math.abs(k - target));
    assert.equal(near.klTarget?.chosen, pick.indexOf(Math.min(...pick)));
    assert.equal(near.rounds.length, last);
    assert.ok(!existsSync(join(root, "near", `round-${last + 1}`)));
    // a re-run finds the finished record and trains nothing
    const rerun = await runIterativeDpo({ ...o, out: join(root, "near"), targetKl: target });
    assert.equal(rerun.rounds.length, 0);
    assert.equal(rerun.model, join(root, "near", "kl-target"));
    await assert.rejects(runIterativeDpo({ ...o, out: join(root, "bad"), targetKl: 0 }), /> 0/);
  });
});
