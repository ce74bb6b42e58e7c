import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { initEngine } from "../src/engine/init.js";
import { defaultModelDir } from "../src/models/default-model.js";
import { CausalLM } from "../src/models/lm/causal-lm.js";

before(async () => {
  await initEngine();
});

describe("the bundled text model", () => {
  it("loads from defaultModelDir('text'), scores corpus text far above a shuffled one, and generates sentences", async () => {
    const dir = defaultModelDir("text");
    for (const f of [
      "config.json",
      "model.safetensors",
      "tokenizer.json",
      "tokenizer_config.json",
      "generation_config.json",
    ]) {
      assert.ok(existsSync(join(dir, f)), f);
    }
    const lm = await CausalLM.load();
    const V = lm.config.vocabSize;
    const nll = async (text: string) => {
      const ids = lm.tokenizer.encode(text);
      const L = await lm.logits(ids);
      assert.equal(L.length, ids.length * V);
      let s = 0;
      for (let t = 1; t < ids.length; t++) {
        const row = L.subarray((t - 1) * V, t * V);
        const m = Math.max(...row);
        s -= row[ids[t]] - m - Math.log(row.reduce((a, x) => a + Math.exp(x - m), 0));
      }
      return s / (ids.length - 1);
    };
    const good = await nll("The acting was really wonderful.");
    const bad = await nll("wonderful The really acting was.");
    assert.ok(good < 2.5 && bad > good + 4, `nll ${good} vs shuffled ${bad}`);
    const outs = await lm.generateMany("The movie", { n: 4, seed: 3, maxNewTokens: 30 });
    assert.equal(outs.length, 4);
    for (const o of outs) assert.match(`The movie${o}`, /^The movie [a-z].*\.$/);
    const one = await lm.generate("The movie", { seed: 3, maxNewTokens: 30 });
    assert.equal(one, await lm.generate("The movie", { seed: 3, maxNewTokens: 30 }));
    lm.dispose();
  });
});
