/**
 * Candidates generated from a model into the store: two different samples per
 * prompt for labeling; for evaluation one sample per model with the same seed
 * per prompt, so a model compared with itself gives identical outputs and no
 * pair (which is what makes an A-vs-B comparison fair).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateCandidates, labeledPrompts } from "../../src/studio/generate.js";
import { importJsonl } from "../../src/studio/import.js";
import { Store } from "../../src/studio/store.js";
import { NO_SQLITE, tempDir } from "./helpers.js";

describe("studio generation", { skip: NO_SQLITE }, () => {
  it("pairs: two samples per prompt from the bundled model; eval of a model against itself: none", async () => {
    const dir = tempDir();
    const s = new Store(dir);
    importJsonl(
      s,
      [
        '{"prompt": "The film was", "chosen": " good", "rejected": " bad"}',
        '{"prompt": "I found the plot", "chosen": " tight", "rejected": " loose"}',
      ].join("\n"),
      "p.jsonl",
      { task: "pairs", baseDir: dir },
    );
    const prompts = labeledPrompts(s);
    assert.deepEqual(prompts, ["The film was", "I found the plot"]);
    const seen: string[] = [];
    const opts = { prompts, maxNewTokens: 6, temperature: 1, seed: 3 };
    const added = await generateCandidates(s, { task: "pairs", ...opts }, (i, n) =>
      seen.push(`${i}/${n}`),
    );
    assert.deepEqual(seen, ["1/2", "2/2"]);
    const gen = s.items("pairs").filter((i) => i.source === "generated");
    assert.equal(added, gen.length);
    assert.ok(added >= 1, "two samples of 6 tokens at temperature 1 differ");
    for (const g of gen) {
      assert.ok(prompts.includes(g.prompt));
      assert.notEqual(g.a, g.b);
    }
    const same = await generateCandidates(s, { task: "eval", ...opts, nameA: "x", nameB: "y" });
    assert.equal(same, 0);
    assert.equal(s.items("eval").length, 0);
    s.close();
  });
});
