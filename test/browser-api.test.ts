/**
 * What the browser entry relies on, run in Node: a model loaded from URLs
 * (CausalLM.fromUrl with a fetch that serves the bundled model's files) is the
 * model CausalLM.load reads from disk, and DpoStepper's updates are DPO's: the
 * first step's loss is log 2 exactly (policy = reference), the policy's margin
 * log π(chosen) − log π(rejected) grows, and the reference stays put.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { initEngine } from "../src/engine/init.js";
import { defaultModelDir } from "../src/models/default-model.js";
import { CausalLM } from "../src/models/lm/causal-lm.js";
import { completionLogProbs } from "../src/models/lm/pair-logprobs.js";
import { DpoStepper } from "../src/pipelines/dpo-stepper.js";

before(async () => {
  await initEngine();
});

const dir = defaultModelDir("text");
const requested: string[] = [];
/** fetch over the bundled model directory, as a static server would answer. */
const fetchDir = (async (input: string | URL | Request) => {
  const url = new URL(String(input));
  requested.push(url.pathname);
  const name = url.pathname.split("/").pop() ?? "";
  try {
    return new Response(readFileSync(join(dir, name)));
  } catch {
    return new Response("not found", { status: 404, statusText: "Not Found" });
  }
}) as typeof fetch;

describe("browser-side API in Node", () => {
  it("CausalLM.fromUrl gives the model CausalLM.load reads, and names missing files", async () => {
    const disk = await CausalLM.load();
    const web = await CausalLM.fromUrl("http://example.test/models/text-base", fetchDir);
    assert.deepEqual(requested.sort(), [
      "/models/text-base/config.json",
      "/models/text-base/model.safetensors",
      "/models/text-base/tokenizer.json",
      "/models/text-base/tokenizer_config.json",
    ]);
    assert.deepEqual(web.config, disk.config);
    const ids = disk.tokenizer.encode("The movie was");
    assert.deepEqual(web.tokenizer.encode("The movie was"), ids);
    assert.deepEqual(await web.logits(ids), await disk.logits(ids));
    assert.equal(
      await web.generate("The movie", { maxNewTokens: 6, seed: 3 }),
      await disk.generate("The movie", { maxNewTokens: 6, seed: 3 }),
    );
    const missing = (async () =>
      new Response("", { status: 404, statusText: "Not Found" })) as typeof fetch;
    await assert.rejects(
      CausalLM.fromUrl("http://example.test/nothing/", missing),
      /http:\/\/example\.test\/nothing\/config\.json: HTTP 404/,
    );
    disk.dispose();
    web.dispose();
  });

  it("DpoStepper: first loss log 2, the chosen-over-rejected margin grows, the reference is kept", async () => {
    const lm = await CausalLM.load();
    const ref = await CausalLM.load();
    const pairs = [
      { prompt: "The movie", chosen: " was wonderful.", rejected: " was terrible." },
      { prompt: "The acting", chosen: " was great.", rejected: " was awful." },
    ];
    const margin = async (m: CausalLM) => {
      const rows = pairs.flatMap((p) => {
        const prompt = m.tokenizer.encode(p.prompt);
        const enc = (s: string) => m.tokenizer.encode(s, { addSpecialTokens: false });
        const eos = m.tokenizer.eosTokenId as number;
        return [
          { prompt, completion: [...enc(p.chosen), eos] },
          { prompt, completion: [...enc(p.rejected), eos] },
        ];
      });
      const lp = await completionLogProbs(m.config, m.params, rows);
      return (lp[0] - lp[1] + lp[2] - lp[3]) / 2;
    };
    const before = await margin(lm);
    const stepper = new DpoStepper(lm, { beta: 0.1, lr: 1e-3 });
    const losses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const m = await stepper.step(pairs);
      losses.push(m.loss);
      assert.ok(Number.isFinite(m.grad_norm) && m.grad_norm > 0);
      if (i === 0) assert.ok(Math.abs(m["rewards/margins"]) < 1e-4, "policy = reference");
    }
    assert.ok(Math.abs(losses[0] - Math.log(2)) < 1e-4, `first loss ${losses[0]} vs log 2`);
    assert.ok(losses[2] < losses[0], `loss fell: ${losses.join(", ")}`);
    assert.equal(stepper.steps, 3);
    const after = await margin(lm);
    assert.ok(after > before + 0.1, `margin ${before} → ${after}`);
    // a fresh stepper's first loss is log 2 again: its reference is the updated model
    const again = new DpoStepper(lm, { beta: 0.1, lr: 1e-3 });
    assert.ok(Math.abs((await again.step(pairs)).loss - Math.log(2)) < 1e-4);
    // the untouched copy still has the old margin (nothing shared with the trained one)
    assert.ok(Math.abs((await margin(ref)) - before) < 1e-4);
    stepper.dispose();
    again.dispose();
    lm.dispose();
    ref.dispose();
  });
});
