// RLHF's KL term has the right sign (issue 20: a flipped sign went unnoticed because
// objective/kl was only checked to be finite and consistent with itself). Samples y ∼ π_θ give
// E[log π_θ(y) − log π_ref(y)] = KL(π_θ ‖ π_ref) ≥ 0, so once the policy has moved off the
// reference the logged objective/kl must be positive and no larger than the KL of the final
// policy, which is estimated here independently (own sampling, own log-prob pass), and the
// penalty must enter the reward as −λ·KL.
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, test } from "node:test";
import { collateSequences } from "../src/data/preference-collate.js";
import { promptIds, sentimentPrompts } from "../src/data/sentiment-preferences.js";
import { numpy as np } from "../src/engine/jax.js";
import { refTree } from "../src/engine/pytree.js";
import { defaultModelDir } from "../src/models/default-model.js";
import { CausalLM } from "../src/models/lm/causal-lm.js";
import { generateBatch } from "../src/models/lm/generate.js";
import { sequenceLogProbs } from "../src/models/lm/logprobs.js";
import { runRlhf } from "../src/pipelines/rlhf.js";
import { readMetrics } from "../src/train/metrics.js";
import { setup } from "./helpers.js";

before(setup);

/** Monte-Carlo KL(π ‖ π_ref) from n samples per prompt drawn from π. */
async function klEstimate(policy: CausalLM, ref: CausalLM, prompts: string[], n: number) {
  const tok = policy.tokenizer;
  const pids = prompts.map((p) => promptIds(tok, p));
  const samples = await generateBatch(policy.config, policy.params, pids, {
    n,
    maxNewTokens: 8,
    eosTokenId: tok.eosTokenId,
    seed: 77,
  });
  const rows = samples.flatMap((ss, i) =>
    ss.map((completion) => ({ prompt: pids[i], completion })),
  );
  const b = collateSequences(rows, { padTokenId: tok.padTokenId ?? 0 });
  const lp = (m: CausalLM) =>
    Array.from(
      sequenceLogProbs(
        m.config,
        refTree(m.params),
        np.array(b.ids, { dtype: np.int32 }).reshape([b.B, b.T]),
        np.array(b.mask).reshape([b.B, b.T]),
      ).dataSync() as Float32Array,
    );
  const p = lp(policy);
  const q = lp(ref);
  return p.reduce((s, x, i) => s + x - q[i], 0) / p.length;
}

test("RLHF: objective/kl is log π_θ − log π_ref on the policy's samples (≥ 0), penalised as −λ·KL", async () => {
  const out = join(mkdtempSync(join(tmpdir(), "prefopt-rlhf-kl-")), "run");
  const klCoef = 0.1;
  await runRlhf({
    rewardModel: "afinn",
    out,
    steps: 3,
    lr: 3e-3,
    klCoef,
    promptsPerStep: 3,
    samplesPerPrompt: 4,
    maxNewTokens: 8,
    logEvery: 1,
    saveEvery: 0,
    evalPrompts: 0,
    quiet: true,
    log: () => {},
  });
  const rows = readMetrics(join(out, "metrics.jsonl"));
  assert.equal(rows.length, 3);
  const kl = rows.map((r) => r["objective/kl"] as number);
  // step 1 samples from π_θ = π_ref: every term is exactly 0
  assert.ok(Math.abs(kl[0]) < 1e-4, `first-step KL ${kl[0]}`);
  for (const r of rows) {
    const s = r["objective/scores"] as number;
    const k = r["objective/kl"] as number;
    assert.ok(Math.abs((r["objective/non_score_reward"] as number) + klCoef * k) < 1e-6);
    assert.ok(Math.abs((r["objective/rlhf_reward"] as number) - (s - klCoef * k)) < 1e-5);
  }
  const policy = await CausalLM.load(out);
  const ref = await CausalLM.load(defaultModelDir("text"));
  const finalKl = await klEstimate(policy, ref, sentimentPrompts(6, 4321), 6);
  policy.dispose();
  ref.dispose();
  assert.ok(finalKl > 0.05, `the policy moved off the reference: KL ≈ ${finalKl}`);
  const last = kl[kl.length - 1];
  assert.ok(
    last > 0,
    `objective/kl after training is ${last}; a KL estimate on π_θ's samples is ≥ 0`,
  );
  assert.ok(last < 2 * finalKl + 0.1, `objective/kl ${last} vs the final policy's KL ${finalKl}`);
});
