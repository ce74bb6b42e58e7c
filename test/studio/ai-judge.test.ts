/**
 * The AI judges on evaluation pairs: AFINN prefers the clearly positive text,
 * the digit world's alignment judge prefers the image of the digit the prompt
 * names, answers imported with the rows are kept, and images the judges
 * cannot read (not 28×28) are left unjudged.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { IMAGE_SIZE, imageAt, loadMnist } from "../../src/data/mnist.js";
import { encodeGrayPng } from "../../src/engine/png.js";
import { judgeEvalItems } from "../../src/studio/ai-judge.js";
import { importJsonl } from "../../src/studio/import.js";
import { Store } from "../../src/studio/store.js";
import { NO_SQLITE, tempDir, writePng } from "./helpers.js";

describe("studio AI judges", { skip: NO_SQLITE }, () => {
  it("judges unjudged text and 28×28 image pairs, keeps imported answers", async () => {
    const src = tempDir("prefopt-studio-judge-");
    const m = loadMnist();
    const first = (d: number) => {
      for (let i = 0; i < m.n; i++) if (m.labels[i] === d) return i;
      throw new Error("digit");
    };
    const png = (name: string, i: number) =>
      writeFileSync(join(src, name), encodeGrayPng(imageAt(m, i), IMAGE_SIZE, IMAGE_SIZE));
    png("seven.png", first(7));
    png("one.png", first(1));
    png("three.png", first(3));
    writePng(join(src, "big-a.png"), (x) => x / 20, 20);
    writePng(join(src, "big-b.png"), (_x, y) => y / 20, 20);
    const rows = [
      { prompt: "The film was", a: " awful, boring and bad.", b: " wonderful, great fun." },
      { prompt: "a handwritten seven", a: "one.png", b: "seven.png" },
      { prompt: "a handwritten three", a: "three.png", b: "one.png", judge: { overall: "b" } },
      { prompt: "a handwritten one", a: "big-a.png", b: "big-b.png" },
    ];
    const dir = tempDir();
    const s = new Store(dir);
    importJsonl(s, rows.map((r) => JSON.stringify(r)).join("\n"), "e.jsonl", {
      task: "eval",
      baseDir: src,
    });
    const r = await judgeEvalItems(s);
    assert.deepEqual(r, { text: 1, image: 1, skipped: 1 });
    const by = new Map(s.items("eval").map((i) => [i.prompt, i.judge]));
    assert.deepEqual(by.get("The film was"), { preference: "b" });
    assert.equal(by.get("a handwritten seven")?.alignment, "b");
    assert.deepEqual(Object.keys(by.get("a handwritten seven") ?? {}), [
      "overall",
      "appeal",
      "alignment",
    ]);
    assert.deepEqual(by.get("a handwritten three"), { overall: "b" });
    assert.equal(by.get("a handwritten one"), null);
    s.close();
  });
});
