/**
 * The benchmarks' shapes (bench/presets.ts): `--preset` sets a real model shape and explicit
 * flags override it, and a bad flag is a one-line UserError; the LMConfig and the PyTorch
 * anchor's flags are the same model; the DPO benchmark's host-made weights reach the engine
 * tensor by tensor, unchanged.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { hostWeights, lazyHostWeights } from "../bench/host-weights.js";
import {
  anchorModelFlags,
  PRESETS,
  presetConfig,
  resolveShape,
  runFlags,
  shapeConfig,
} from "../bench/presets.js";
import { UserError } from "../src/engine/errors.js";
import { paramsFromHF, tensorSpecs } from "../src/models/lm/hf-tensors.js";
import type { LlamaParams } from "../src/models/lm/params.js";
import { setup } from "./helpers.js";

before(async () => {
  await setup();
});

describe("bench presets", () => {
  it("without a preset: the shared anchor's shape, full fine-tuning", () => {
    const s = resolveShape([]);
    assert.deepEqual(
      [s.preset, s.layers, s.dim, s.heads, s.kvHeads, s.ff, s.vocab, s.pairs, s.loraRank],
      ["", 4, 256, 4, 0, 0, 4096, 8, 0],
    );
    assert.equal(shapeConfig(s).modelType, "gpt2");
  });

  it("--preset qwen-0.5b is Qwen2.5-0.5B's shape; explicit flags override it", () => {
    const s = resolveShape(["dpo", "--preset", "qwen-0.5b", "--pairs", "1", "--lora-rank", "8"]);
    const c = shapeConfig(s);
    assert.deepEqual(
      [c.modelType, c.nLayer, c.dModel, c.nHead, c.nKvHead, c.headDim, c.dFF, c.vocabSize],
      ["llama", 24, 896, 14, 2, 64, 4864, 151936],
    );
    assert.deepEqual(
      [c.ropeTheta, c.normEps, c.attentionBias, c.tieWordEmbeddings],
      [1e6, 1e-6, true, true],
    );
    assert.equal(c.maxPositions, 128); // prompt 64 + response 64
    assert.deepEqual([s.pairs, s.loraRank], [1, 8]);
    const small = resolveShape(["--preset", "qwen-0.5b", "--layers", "2", "--vocab", "1000"]);
    assert.deepEqual([small.layers, small.vocab, small.dim, small.kvHeads], [2, 1000, 896, 2]);
    const g = shapeConfig(resolveShape(["--preset", "gpt2"]));
    assert.deepEqual(
      [g.modelType, g.nLayer, g.dModel, g.nHead, g.dFF, g.vocabSize],
      ["gpt2", 12, 768, 12, 3072, 50257],
    );
  });

  it("rejects an unknown preset, a value out of range and heads that do not divide", () => {
    const refused = (args: string[], msg: RegExp) =>
      assert.throws(
        () => resolveShape(args),
        (e: Error) => e instanceof UserError && msg.test(e.message),
      );
    refused(["--preset", "gpt3"], /^--preset: gpt2 or qwen-0.5b, got gpt3$/);
    refused(["--layers", "twelve"], /^--layers: expected an integer ≥ 1, got twelve$/);
    refused(["--pairs", "0"], /^--pairs: expected an integer ≥ 1, got 0$/);
    refused(["--lora-rank", "2.5"], /^--lora-rank: expected an integer ≥ 0, got 2.5$/);
    refused(["--beta", "-1"], /^--beta: expected a number > 0, got -1$/);
    refused(["--steps"], /^--steps: expected a value after it$/);
    refused(["--dim", "250"], /^--heads: 4 heads do not divide the width --dim 250$/);
    refused(["--kv-heads", "3"], /^--kv-heads: 3 key\/value heads do not divide --heads 4$/);
    // the edges themselves are accepted
    const s = resolveShape([
      "--pairs",
      "1",
      "--lora-rank",
      "0",
      "--beta",
      "0.5",
      "--kv-heads",
      "2",
    ]);
    assert.deepEqual([s.pairs, s.loraRank, s.beta, s.kvHeads], [1, 0, 0.5, 2]);
  });

  it("the runner's own flags: names, thread lists, rounds; anything unknown is refused", () => {
    const known = ["dpo", "reward", "profile"];
    const all = ["dpo", "reward"];
    assert.deepEqual(runFlags([], known, all), {
      names: ["dpo", "reward"],
      threads: [1, 2],
      repeat: 3,
      warmup: 3,
      device: "cpu",
      stream: true,
    });
    const r = runFlags(
      ["profile", "--threads", "1,4", "--preset", "gpt2", "--warmup", "0"],
      known,
      all,
    );
    assert.deepEqual([r.names, r.threads, r.repeat, r.warmup], [["profile"], [1, 4], 1, 0]);
    assert.deepEqual(runFlags(["--device", "webgpu"], known, all).threads, [1]);
    const refused = (args: string[], msg: RegExp) =>
      assert.throws(
        () => runFlags(args, known, all),
        (e: Error) => e instanceof UserError && msg.test(e.message),
      );
    refused(["dpoo"], /^dpoo: not a benchmark; one of dpo, reward, profile$/);
    refused(["--thread", "2"], /^--thread: not a flag of npm run bench/);
    refused(
      ["--threads", "1,0"],
      /^--threads: expected integers ≥ 1 separated by commas, got 1,0$/,
    );
    refused(["--threads", "2x"], /^--threads: expected integers/);
    refused(["--repeat", "0"], /^--repeat: expected an integer ≥ 1, got 0$/);
    refused(["--device", "tpu"], /^--device: cpu or webgpu, got tpu$/);
    refused(["--stream", "no"], /^--stream: on or off, got no$/);
  });

  it("the checkpoint preset is the bench preset at the model's own context", () => {
    const c = presetConfig("qwen-0.5b", { maxPositions: 32768, bosTokenId: 7 });
    assert.equal(c.maxPositions, 32768);
    assert.equal(c.bosTokenId, 7);
    assert.deepEqual(
      { ...c, maxPositions: 0, bosTokenId: undefined },
      {
        ...shapeConfig(resolveShape(["--preset", "qwen-0.5b"])),
        maxPositions: 0,
        bosTokenId: undefined,
      },
    );
    // 494M numbers (RoPE has no table of positions), of which 136M are the embedding
    const n = tensorSpecs(c).reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);
    assert.equal(n, 494_054_272);
    assert.equal(PRESETS["qwen-0.5b"].vocab * PRESETS["qwen-0.5b"].dim, 136_134_656);
  });

  it("the anchor gets the same model: architecture, grouped heads, MLP width, biases, RoPE", () => {
    const f = anchorModelFlags(shapeConfig(resolveShape(["--preset", "qwen-0.5b"])));
    const at = (k: string) => f[f.indexOf(k) + 1];
    assert.deepEqual(
      ["--arch", "--layers", "--dim", "--heads", "--kv-heads", "--ff", "--vocab"].map(at),
      ["llama", "24", "896", "14", "2", "4864", "151936"],
    );
    assert.equal(Number(at("--rope-theta")), 1e6);
    assert.ok(f.includes("--attention-bias"));
    assert.ok(!f.includes("--untied"));
    const g = anchorModelFlags(shapeConfig(resolveShape(["--preset", "gpt2"])));
    assert.deepEqual(g.slice(0, 2), ["--arch", "gpt2"]);
    assert.ok(!g.includes("--kv-heads"));
  });

  it("host weights reach the engine one tensor at a time, equal to the generator's", async () => {
    const c = shapeConfig({
      ...resolveShape(["--layers", "1", "--dim", "8", "--heads", "2", "--kv-heads", "1"]),
      ff: 16,
      vocab: 12,
    });
    const want = new Map(hostWeights(c));
    const p = paramsFromHF(c, lazyHostWeights(c), "host weights") as LlamaParams;
    const emb = want.get("model.embed_tokens.weight")?.data as Float32Array;
    assert.deepEqual(Array.from(await p.model.embed_tokens.weight.data()), Array.from(emb));
    // HF's [out, in] layout transposed to prefopt's [in, out]
    const q = want.get("model.layers.0.self_attn.q_proj.weight")?.data as Float32Array;
    const got = (await p.model.layers[0].self_attn.q_proj.weight.data()) as Float32Array;
    assert.equal(got[1 * 8 + 0], q[0 * 8 + 1]);
    assert.deepEqual(Array.from(await p.model.norm.weight.data()), new Array(8).fill(1));
    assert.ok(Math.max(...Array.from(emb, Math.abs)) <= 0.02 * Math.sqrt(3));
  });
});
