/**
 * Numerical guards. A NaN/Inf loss or gradient norm stops training with a
 * message naming the step (exit code 2 on the CLI, nothing saved from the bad
 * update), or with --skip-nonfinite is rolled back and counted; log-probs
 * come from a stable float32 log-softmax that stays exact for huge logits.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { initEngine } from "../../src/engine/init.js";
import { numpy as np } from "../../src/engine/jax.js";
import { refTree } from "../../src/engine/pytree.js";
import { decodeSafetensors } from "../../src/engine/safetensors.js";
import { CausalLM } from "../../src/models/lm/causal-lm.js";
import { nextTokenLogProbs } from "../../src/models/lm/logprobs.js";
import { NonFiniteLossError, runTraining } from "../../src/train/trainer.js";
import { hasStack, runCli } from "./cli.js";
import { TINY_VOCAB, writeTinyModel } from "./tiny-model.js";

let tmp = "";
let model = "";
before(async () => {
  await initEngine();
  tmp = mkdtempSync(join(tmpdir(), "prefopt-num-"));
  model = join(tmp, "tiny");
  await writeTinyModel(model);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A one-parameter "training" whose step adds 1 to w; metrics come from `metric(i)`. */
function counter(metric: (i: number) => Record<string, number>) {
  type S = { w: np.Array; n: np.Array };
  return {
    init: (): S => ({ w: np.zeros([1]), n: np.zeros([1]) }),
    async step(s: S, i: number) {
      s.w = s.w.add(1);
      s.n = s.n.add(1);
      return metric(i);
    },
    snapshot: (s: S) => ({ params: { w: s.w }, optState: { n: s.n } }),
    restore(s: S, l: { params: unknown; optState: unknown }) {
      s.w.dispose();
      s.n.dispose();
      s.w = (l.params as { w: np.Array }).w;
      s.n = (l.optState as { n: np.Array }).n;
      return s;
    },
  };
}

describe("non-finite guards in the training loop", () => {
  it("a NaN gradient norm with a finite loss stops, naming the step and the quantity", async () => {
    await assert.rejects(
      runTraining({
        ...counter((i) => ({ loss: 1, grad_norm: i === 2 ? Number.NaN : 1 })),
        outDir: join(tmp, "g-stop"),
        totalSteps: 5,
        verbose: false,
        handleSignals: false,
      }),
      (e: unknown) =>
        e instanceof NonFiniteLossError &&
        e.step === 3 &&
        /^gradient norm is NaN at step 3 \(update 2\)/.test(e.message),
    );
    assert.deepEqual(
      readdirSync(join(tmp, "g-stop")).filter((f) => f.startsWith("checkpoint")),
      [],
    );
  });

  it("with skip, bad updates are rolled back and counted; past maxSkips it stops", async () => {
    const r = await runTraining({
      ...counter((i) => ({
        loss: i === 1 ? Number.POSITIVE_INFINITY : 1,
        grad_norm: i === 3 ? Number.NaN : 1,
      })),
      outDir: join(tmp, "g-skip"),
      totalSteps: 6,
      verbose: false,
      handleSignals: false,
      onNonFinite: "skip",
    });
    assert.equal(r.skipped, 2);
    assert.equal(r.step, 6);
    assert.equal((await r.state.w.data())[0], 4); // 6 updates, 2 rolled back
    await assert.rejects(
      runTraining({
        ...counter(() => ({ loss: Number.NaN })),
        outDir: join(tmp, "g-many"),
        totalSteps: 20,
        verbose: false,
        handleSignals: false,
        onNonFinite: "skip",
        maxSkips: 3,
      }),
      (e: unknown) => e instanceof NonFiniteLossError && e.step === 4,
    );
  });
});

describe("non-finite guards on the CLI (learning rate 1e30 blows the weights up)", {
  concurrency: 2,
}, () => {
  const pairs = () => {
    const f = join(tmp, "pairs.jsonl");
    const rows = [
      ["the film", " was great.", " was bad."],
      ["the plot", " was fine.", " was dull."],
      ["the cast", " was superb.", " was awful."],
      ["the music", " was lovely.", " was noise."],
    ].map(([prompt, chosen, rejected]) => JSON.stringify({ prompt, chosen, rejected }));
    writeFileSync(f, `${rows.join("\n")}\n`);
    return f;
  };
  const cases: [string, () => string[]][] = [
    ["sft", () => ["sft", "--model", model, "--examples", "24", "--batch-size", "4"]],
    [
      "dpo",
      () => [
        "dpo",
        "--model",
        model,
        "--data",
        pairs(),
        "--batch-size",
        "2",
        "--eval-fraction",
        "0",
      ],
    ],
    [
      "reward",
      () => [
        "reward",
        "--model",
        model,
        "--data",
        pairs(),
        "--batch-size",
        "2",
        "--eval-fraction",
        "0",
      ],
    ],
  ];
  for (const [name, args] of cases) {
    it(`${name}: stops with exit 2 naming the step; every checkpoint written is finite`, async () => {
      const out = join(tmp, `cli-${name}`);
      const r = await runCli([
        ...args(),
        "--out",
        out,
        "--steps",
        "5",
        "--lr",
        "1e30",
        "--save-every",
        "1",
      ]);
      assert.ok(!hasStack(r.stderr), r.stderr);
      assert.equal(r.code, 2, r.stderr);
      const last = r.stderr.trim().split("\n").at(-1) ?? "";
      assert.match(
        last,
        /^prefopt: (loss|gradient norm) is (NaN|-?Infinity) at step \d+ \(update \d+\), nothing saved from it/,
      );
      for (const c of readdirSync(out).filter((f) => /^checkpoint-\d+$/.test(f))) {
        const f = decodeSafetensors(readFileSync(join(out, c, "model.safetensors")));
        for (const [k, t] of Object.entries(f.tensors)) {
          assert.ok((t.data as Float32Array).every(Number.isFinite), `${c}/${k} holds NaN/Inf`);
        }
      }
    });
  }
  it("sft --skip-nonfinite rolls the bad steps back, counts them and finishes", async () => {
    const out = join(tmp, "cli-skip");
    const r = await runCli([
      ...cases[0][1](),
      "--out",
      out,
      "--steps",
      "4",
      "--lr",
      "1e30",
      "--skip-nonfinite",
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /step 2: loss is NaN; update rolled back \(1 skipped\)/);
    assert.match(r.stderr, /3 steps skipped/);
  });
});

describe("stable float32 log-softmax", () => {
  it("log-probs of huge logits equal a float64 log-softmax and stay finite", async () => {
    const lm = await CausalLM.load(model);
    // scale the final LayerNorm so the logits reach the thousands (a naive exp overflows float32)
    const lnf = (lm.params as unknown as { ln_f: { weight: np.Array } }).ln_f;
    lnf.weight = lnf.weight.mul(5000);
    const ids = [TINY_VOCAB - 1, 5, 17, 42, 99, 7];
    const logits = await lm.logits(ids);
    let maxAbs = 0;
    for (const v of logits) maxAbs = Math.max(maxAbs, Math.abs(v));
    assert.ok(maxAbs > 500, `logits only reach ${maxAbs}`);
    const lp = (await nextTokenLogProbs(
      lm.config,
      refTree(lm.params),
      np.array([ids], { dtype: np.int32 }),
    ).data()) as Float32Array;
    for (let t = 0; t < ids.length - 1; t++) {
      const row = Array.from(logits.subarray(t * TINY_VOCAB, (t + 1) * TINY_VOCAB), Number);
      const m = Math.max(...row);
      const lse = m + Math.log(row.reduce((a, x) => a + Math.exp(x - m), 0));
      const want = row[ids[t + 1]] - lse;
      assert.ok(Number.isFinite(lp[t]), `position ${t}: ${lp[t]}`);
      assert.ok(Math.abs(lp[t] - want) <= 1e-3, `position ${t}: ${lp[t]} vs ${want}`);
    }
    lm.dispose();
  });
});
