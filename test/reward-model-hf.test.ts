/**
 * A reward model saved by prefopt scores the same in transformers: the score is
 * recomputed from the saved files alone, with an independent Float64 forward
 * pass and transformers' *ForSequenceClassification pooling rule (the last
 * position whose id is not config.pad_token_id), on a right-padded batch.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { bpeTokenizerJSON, trainBPE } from "../src/data/bpe.js";
import { movieReviewCorpus } from "../src/data/movie-reviews.js";
import { initEngine } from "../src/engine/init.js";
import { numpy as np } from "../src/engine/jax.js";
import { readSafetensors } from "../src/engine/safetensors.js";
import type { LMConfig } from "../src/models/lm/config.js";
import { type F32Tensor, paramsFromHF } from "../src/models/lm/hf-tensors.js";
import { RewardModel } from "../src/models/lm/reward-model.js";
import { LMTokenizer } from "../src/models/lm/tokenizer.js";
import { randomHF, referenceHidden, tinyGPT2, tinyLlama } from "./lm-reference.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
before(async () => {
  await initEngine();
});

function tokenizer(vocab: number, distinctPad: boolean): LMTokenizer {
  const specials = distinctPad ? ["<|endoftext|>", "<|pad|>"] : ["<|endoftext|>"];
  const bpe = trainBPE(movieReviewCorpus(200, 3), { vocabSize: vocab, specialTokens: specials });
  return new LMTokenizer(bpeTokenizerJSON(bpe, { addBos: true }), {
    bos_token: "<|endoftext|>",
    eos_token: "<|endoftext|>",
    ...(distinctPad ? { pad_token: "<|pad|>" } : {}),
  });
}

/** transformers: last_non_pad_token = (arange(T) * (input_ids != pad_token_id)).argmax(-1). */
function transformersPoolIndex(row: number[], pad: number): number {
  let best = 0;
  let bestVal = -1;
  row.forEach((id, t) => {
    const v = t * (id !== pad ? 1 : 0);
    if (v > bestVal) {
      bestVal = v;
      best = t;
    }
  });
  return best;
}

const pairs = [
  { prompt: "The movie was", completion: " great and fun." },
  { prompt: "I thought the film", completion: " was dull" },
  { prompt: "A", completion: " truly wonderful, moving and beautiful story." },
];

const cases: [string, LMConfig, boolean][] = [
  ["gpt2, pad = eos", { ...tinyGPT2, vocabSize: 300 }, false],
  ["gpt2, distinct pad token", { ...tinyGPT2, vocabSize: 300 }, true],
  ["llama, pad = eos", { ...tinyLlama, vocabSize: 300, maxPositions: 64 }, false],
];

describe("reward model: transformers' sequence-classification rule", () => {
  for (const [name, c, distinctPad] of cases) {
    it(`${name}: prefopt's score equals an independent forward pooled the transformers way`, async () => {
      const tok = tokenizer(c.vocabSize, distinctPad);
      const backbone = paramsFromHF({ ...c, tieWordEmbeddings: true }, randomHF(c, 5), "t");
      const weight = np
        .array(Float32Array.from({ length: c.dModel }, (_, i) => Math.sin(1.7 * i + 0.3)))
        .reshape([1, c.dModel]);
      const rm = new RewardModel(c, { backbone, score: { weight } }, tok);
      const dir = mkdtempSync(join(tmpdir(), "prefopt-rm-"));
      dirs.push(dir);
      await rm.save(dir);
      rm.dispose();

      // everything below the line reads only the saved files, as transformers would
      const cfg = JSON.parse(readFileSync(join(dir, "config.json"), "utf8"));
      const pad = cfg.pad_token_id as number;
      assert.equal(typeof pad, "number");
      if (distinctPad) assert.notEqual(pad, cfg.eos_token_id);
      const st = readSafetensors(join(dir, "model.safetensors")).tensors;
      const t: Record<string, F32Tensor> = {};
      for (const [k, v] of Object.entries(st))
        t[k] = { shape: v.shape, data: v.data as Float32Array };
      const w = t["score.weight"].data;

      const loaded = await RewardModel.load(dir);
      const rows = pairs.map((p) => loaded.encodePair(p.prompt, p.completion));
      const eos = tok.eosTokenId as number;
      for (const r of rows) {
        // the sequence's last token is what both pool at: EOS when it is not the pad token
        assert.notEqual(r[r.length - 1], pad);
        if (distinctPad) assert.equal(r[r.length - 1], eos);
      }
      const T = Math.max(...rows.map((r) => r.length));
      const want = rows.map((r) => {
        const padded = [...r, ...new Array(T - r.length).fill(pad)];
        const h = referenceHidden(c, t, padded)[transformersPoolIndex(padded, pad)];
        return h.reduce((a, x, i) => a + x * w[i], 0);
      });
      const got = await loaded.score(pairs, 4);
      loaded.dispose();
      for (let i = 0; i < rows.length; i++) {
        assert.ok(
          Math.abs(got[i] - want[i]) < 1e-4 * Math.max(1, Math.abs(want[i])),
          `pair ${i}: prefopt ${got[i]}, transformers' rule ${want[i]}`,
        );
      }
      // the scores differ between pairs (the check is not passing on a constant)
      assert.ok(Math.abs(want[0] - want[1]) > 1e-3);
    });
  }
});
