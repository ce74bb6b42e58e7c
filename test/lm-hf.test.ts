import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { bpeTokenizerJSON, trainBPE } from "../src/data/bpe.js";
import { movieReviewCorpus } from "../src/data/movie-reviews.js";
import { writeJsonAtomic } from "../src/engine/atomic.js";
import { UserError } from "../src/engine/errors.js";
import { initEngine } from "../src/engine/init.js";
import { type HostTensor, readSafetensors, writeSafetensors } from "../src/engine/safetensors.js";
import { CausalLM } from "../src/models/lm/causal-lm.js";
import { configToHF, type LMConfig } from "../src/models/lm/config.js";
import { type F32Tensor, paramsFromHF } from "../src/models/lm/hf-tensors.js";
import { LMTokenizer } from "../src/models/lm/tokenizer.js";
import { randomHF, referenceLogits, tinyGPT2, tinyLlama } from "./lm-reference.js";

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), "prefopt-lm-"));
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
before(async () => {
  await initEngine();
});

/** A small byte-level BPE tokenizer whose vocabulary fits `vocab` ids. */
function tinyTokenizer(vocab: number): LMTokenizer {
  const bpe = trainBPE(movieReviewCorpus(200, 3), { vocabSize: vocab });
  return new LMTokenizer(bpeTokenizerJSON(bpe, { addBos: true }), {
    bos_token: "<|endoftext|>",
    eos_token: "<|endoftext|>",
  });
}

/** Writes an HF directory by hand: config.json, model.safetensors (F32), tokenizer files. */
function writeHFDir(c: LMConfig, t: Record<string, F32Tensor>) {
  const dir = tmp();
  writeJsonAtomic(join(dir, "config.json"), configToHF(c));
  const host: Record<string, HostTensor> = {};
  for (const [k, v] of Object.entries(t)) host[k] = { dtype: "F32", shape: v.shape, data: v.data };
  writeSafetensors(join(dir, "model.safetensors"), host, { format: "pt" });
  tinyTokenizer(c.vocabSize).save(dir);
  return dir;
}

const big = (c: LMConfig): LMConfig => ({ ...c, vocabSize: 300 });

describe("Hugging Face model directories", () => {
  it("GPT-2: HF dir (no prefix, attn.bias buffers, tied head) loads and matches the reference", async () => {
    const c = big(tinyGPT2);
    const t = randomHF(c, 1);
    const bare: Record<string, F32Tensor> = {};
    for (const [k, v] of Object.entries(t)) bare[k.replace(/^transformer\./, "")] = v;
    for (let l = 0; l < c.nLayer; l++)
      bare[`h.${l}.attn.bias`] = { shape: [1, 1, 16, 16], data: new Float32Array(256) };
    const dir = writeHFDir(c, bare);
    const lm = await CausalLM.load(dir);
    const ids = [5, 260, 17, 99];
    const got = await lm.logits(ids);
    const want = referenceLogits(c, t, ids).flat();
    assert.equal(got.length, ids.length * c.vocabSize);
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 2e-4, `logit ${i}`);
    lm.dispose();
  });

  for (const [name, c] of [
    ["gpt2", big(tinyGPT2)],
    ["llama", big(tinyLlama)],
  ] as [string, LMConfig][]) {
    it(`${name}: save → load round-trips exactly, in transformers' names and layouts`, async () => {
      const t = randomHF(c, 2);
      const lm = new CausalLM(c, paramsFromHF(c, t, "t"), tinyTokenizer(c.vocabSize));
      const dir = tmp();
      await lm.save(dir);
      const f = readSafetensors(join(dir, "model.safetensors"));
      assert.equal(f.metadata.format, "pt");
      assert.deepEqual(Object.keys(f.tensors).sort(), Object.keys(t).sort());
      for (const [k, v] of Object.entries(t)) {
        assert.deepEqual(f.tensors[k].shape, v.shape, k);
        assert.deepEqual(Array.from(f.tensors[k].data as Float32Array), Array.from(v.data), k);
      }
      const cfg = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
      assert.equal(cfg.model_type, name);
      const back = await CausalLM.load(dir);
      assert.deepEqual(back.config, lm.config);
      const ids = [1, 2, 250, 7];
      assert.deepEqual(Array.from(await back.logits(ids)), Array.from(await lm.logits(ids)));
      assert.deepEqual(
        back.tokenizer.encode("The plot was great."),
        lm.tokenizer.encode("The plot was great."),
      );
      lm.dispose();
      back.dispose();
    });
  }

  it("loads sharded checkpoints (model.safetensors.index.json)", async () => {
    const c = big(tinyLlama);
    const t = randomHF(c, 6);
    const dir = writeHFDir(c, t);
    rmSync(join(dir, "model.safetensors"));
    const names = Object.keys(t).sort();
    const weightMap: Record<string, string> = {};
    for (const [i, part] of [names.slice(0, 7), names.slice(7)].entries()) {
      const file = `model-0000${i + 1}-of-00002.safetensors`;
      const host: Record<string, HostTensor> = {};
      for (const k of part) {
        host[k] = { dtype: "F32", shape: t[k].shape, data: t[k].data };
        weightMap[k] = file;
      }
      writeSafetensors(join(dir, file), host, { format: "pt" });
    }
    writeJsonAtomic(join(dir, "model.safetensors.index.json"), {
      metadata: {},
      weight_map: weightMap,
    });
    const lm = await CausalLM.load(dir);
    const got = await lm.logits([9, 8, 7]);
    const want = referenceLogits(c, t, [9, 8, 7]).flat();
    for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - want[i]) < 2e-4);
    const outs = await lm.generateBatch(["The plot", "I"], { n: 2, maxNewTokens: 3, seed: 1 });
    assert.deepEqual(
      outs.map((o) => o.length),
      [2, 2],
    );
    lm.dispose();
  });

  it("loads F16 and BF16 weights", async () => {
    const c = big(tinyLlama);
    const t = randomHF(c, 4);
    const dir = writeHFDir(c, t);
    // rewrite the weights as BF16 (top 16 bits) and F16
    for (const dtype of ["BF16", "F16"] as const) {
      const host: Record<string, HostTensor> = {};
      const { encodeHalf } = await import("../src/engine/half.js");
      for (const [k, v] of Object.entries(t))
        host[k] = { dtype, shape: v.shape, data: encodeHalf(v.data, dtype) };
      writeSafetensors(join(dir, "model.safetensors"), host, { format: "pt" });
      const lm = await CausalLM.load(dir);
      const got = await lm.logits([3, 4, 5]);
      const want = referenceLogits(c, t, [3, 4, 5]).flat();
      const tol = dtype === "BF16" ? 0.25 : 0.03;
      for (let i = 0; i < got.length; i++)
        assert.ok(Math.abs(got[i] - want[i]) < tol, `${dtype} logit ${i}`);
      lm.dispose();
    }
  });

  it("clear UserErrors: missing tensor, wrong shape, unknown model_type, vocab mismatch", async () => {
    const c = big(tinyGPT2);
    const t = randomHF(c, 5);
    const missing = { ...t };
    delete missing["transformer.h.1.mlp.c_fc.bias"];
    await assert.rejects(CausalLM.load(writeHFDir(c, missing)), (e: Error) => {
      assert.ok(e instanceof UserError);
      assert.match(
        e.message,
        /model\.safetensors: tensor "transformer\.h\.1\.mlp\.c_fc\.bias" is missing/,
      );
      return true;
    });
    const wrong = { ...t, "transformer.wpe.weight": { shape: [8, 8], data: new Float32Array(64) } };
    await assert.rejects(
      CausalLM.load(writeHFDir(c, wrong)),
      /tensor "transformer\.wpe\.weight" has shape \[8, 8\], expected \[16, 8\]/,
    );
    const dir = writeHFDir(c, t);
    writeFileSync(
      join(dir, "config.json"),
      JSON.stringify({ ...configToHF(c), model_type: "bert" }),
    );
    await assert.rejects(
      CausalLM.load(dir),
      (e: Error) =>
        e instanceof UserError &&
        /config\.json: field "model_type": unknown model type "bert"/.test(e.message),
    );
    const small = writeHFDir(c, t);
    writeFileSync(join(small, "tokenizer.json"), JSON.stringify(tinyTokenizer(400).json));
    await assert.rejects(
      CausalLM.load(small),
      (e: Error) =>
        e instanceof UserError &&
        /tokenizer has \d+ tokens but .*config\.json says vocab_size 300/.test(e.message),
    );
    const untied = writeHFDir({ ...c, tieWordEmbeddings: false }, t);
    await assert.rejects(CausalLM.load(untied), /tensor "lm_head\.weight" is missing/);
  });
});
