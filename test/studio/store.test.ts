/**
 * The studio's store, import and export: sides map back to the candidate that
 * was shown there, the order is drawn at random, undo and retries behave,
 * labels survive closing the database, and exports are read unchanged by the
 * trainers' own readers (TRL JSONL by loadPreferenceJsonl, image pairs by
 * loadImagePairs, which `prefopt data check` and Diffusion-DPO use).
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadImagePairs } from "../../src/data/image-pairs.js";
import { loadPreferenceJsonl } from "../../src/data/preference-data.js";
import { UserError } from "../../src/engine/errors.js";
import { exportFile } from "../../src/studio/export.js";
import { importJsonl } from "../../src/studio/import.js";
import { Store } from "../../src/studio/store.js";
import { NO_SQLITE, tempDir, writePng } from "./helpers.js";

const rows = (n: number) =>
  Array.from({ length: n }, (_, i) =>
    JSON.stringify({ prompt: `prompt ${i}`, chosen: ` good ${i}`, rejected: ` bad ${i}` }),
  ).join("\n");

describe("studio store", { skip: NO_SQLITE }, () => {
  it("maps left/right back to the candidate shown there, draws the order at random, and stores the labeler", () => {
    const dir = tempDir();
    const s = new Store(dir);
    assert.equal(s.db.pragma("journal_mode", { simple: true }), "wal");
    assert.equal(s.db.pragma("synchronous", { simple: true }), 2); // FULL
    const n = 200;
    importJsonl(s, rows(n), "rows.jsonl", { task: "pairs", baseDir: dir });
    let leftIsChosen = 0;
    for (let i = 0; i < n; i++) {
      const a = s.next("pairs", "ann")!;
      assert.equal(a.prompt, `prompt ${i}`);
      const chosenLeft = a.left === ` good ${i}`;
      if (chosenLeft) leftIsChosen++;
      // ann always picks the candidate that says "good", whichever side it is on
      s.judge({
        assignment: a.assignment,
        labeler: "ann",
        answers: { preference: chosenLeft ? "left" : "right" },
      });
    }
    // P(|Bin(200, .5) − 100| > 30) < 1e-4
    assert.ok(leftIsChosen > 70 && leftIsChosen < 130, `left was "chosen" ${leftIsChosen}/200`);
    assert.equal(s.next("pairs", "ann"), null);
    const js = s.judgments("pairs");
    assert.equal(js.length, n);
    assert.ok(js.every((j) => j.answers.preference === "a" && j.labeler === "ann"));
    assert.ok(js.every((j) => !Number.isNaN(Date.parse(j.createdAt))));
    assert.deepEqual(s.progress("pairs", "ann"), { done: n, total: n, labeled: n, skipped: 0 });
    // a second labeler starts from the top; the same labeler sees the same order again
    const b = s.next("pairs", "bob")!;
    assert.equal(b.prompt, "prompt 0");
    assert.deepEqual(s.assign(b.item, "bob"), b);
    s.close();
  });

  it("undo, skip, a replaced answer and a retried request; all of it survives reopening", () => {
    const dir = tempDir();
    let s = new Store(dir);
    importJsonl(s, rows(3), "rows.jsonl", { task: "pairs", baseDir: dir });
    const a0 = s.next("pairs", "ann")!;
    const r1 = s.judge({
      assignment: a0.assignment,
      labeler: "ann",
      answers: { preference: "left" },
      clientId: "req-0000001",
    });
    const again = s.judge({
      assignment: a0.assignment,
      labeler: "ann",
      answers: { preference: "left" },
      clientId: "req-0000001",
    });
    assert.deepEqual([again.id, again.duplicate], [r1.id, true]);
    const a1 = s.next("pairs", "ann")!;
    s.judge({ assignment: a1.assignment, labeler: "ann", skip: true });
    assert.deepEqual(s.progress("pairs", "ann"), { done: 2, total: 3, labeled: 1, skipped: 1 });
    // undo brings back the skipped pair, in the same order
    const undone = s.undo("pairs", "ann")!;
    assert.deepEqual(undone, a1);
    assert.equal(s.next("pairs", "ann")!.item, a1.item);
    s.judge({ assignment: a1.assignment, labeler: "ann", answers: { preference: "tie" } });
    // answering an item again replaces the earlier answer
    s.judge({ assignment: a0.assignment, labeler: "ann", answers: { preference: "right" } });
    assert.throws(
      () => s.judge({ assignment: a0.assignment, labeler: "bob", answers: { preference: "left" } }),
      /belongs to labeler "ann"/,
    );
    assert.throws(
      () => s.judge({ assignment: a0.assignment, labeler: "ann", answers: { appeal: "left" } }),
      UserError,
    );
    s.close();
    s = new Store(dir);
    const js = s.judgments("pairs");
    assert.equal(js.length, 2);
    const first = js.find((j) => j.itemId === a0.item)!;
    assert.equal(first.answers.preference, a0.left === " good 0" ? "b" : "a");
    assert.equal(js.find((j) => j.itemId === a1.item)!.answers.preference, "tie");
    s.close();
  });

  it("exports text labels as TRL JSONL that loadPreferenceJsonl reads, chosen = the labelers' pick", () => {
    const dir = tempDir();
    const s = new Store(dir);
    importJsonl(s, rows(4), "rows.jsonl", { task: "pairs", baseDir: dir });
    // the labeler prefers "bad" on item 0 (disagreeing with the file) and "good" elsewhere; ties item 3
    for (let i = 0; i < 4; i++) {
      const a = s.next("pairs", "ann")!;
      const goodLeft = a.left.startsWith(" good");
      const side = i === 3 ? "tie" : (i === 0) !== goodLeft ? "left" : "right";
      s.judge({ assignment: a.assignment, labeler: "ann", answers: { preference: side } });
    }
    const out = join(dir, "exports", "labels.jsonl");
    const summary = exportFile(s, "text", out);
    assert.deepEqual(summary, { media: "text", rows: 3, undecided: 1, unlabeled: 0 });
    const back = loadPreferenceJsonl(out);
    assert.deepEqual(back, [
      { prompt: "prompt 0", chosen: " bad 0", rejected: " good 0" },
      { prompt: "prompt 1", chosen: " good 1", rejected: " bad 1" },
      { prompt: "prompt 2", chosen: " good 2", rejected: " bad 2" },
    ]);
    assert.throws(() => exportFile(s, "image", join(dir, "img.jsonl")), /nothing to export/);
    s.close();
  });

  it("imports image pairs (copied into images/) and exports them as image-pair JSONL loadImagePairs reads", () => {
    const src = tempDir("prefopt-studio-src-");
    writePng(join(src, "thin.png"), (x) => (x === 14 ? 1 : 0));
    writePng(join(src, "thick.png"), (x) => (x >= 11 && x <= 17 ? 1 : 0));
    writeFileSync(
      join(src, "pairs.jsonl"),
      `${JSON.stringify({ prompt: "a thin one", chosen: "thin.png", rejected: "thick.png" })}\n`,
    );
    const dir = tempDir();
    const s = new Store(dir);
    const r = importJsonl(s, readFileSync(join(src, "pairs.jsonl"), "utf8"), "pairs.jsonl", {
      task: "pairs",
      baseDir: src,
    });
    assert.equal(r.added, 1);
    const a = s.next("pairs", "ann")!;
    assert.equal(a.media, "image");
    assert.match(a.left, /^[0-9a-f]{64}\.png$/);
    s.judge({ assignment: a.assignment, labeler: "ann", answers: { preference: "left" } });
    const out = join(tempDir("prefopt-studio-out-"), "image-pairs.jsonl");
    exportFile(s, "image", out);
    const [pair] = loadImagePairs(out);
    assert.equal(pair.prompt, "a thin one");
    // the labeler picked the left image; it is thin iff its centre column alone is lit
    const leftThin = readFileSync(join(dir, "images", a.left)).equals(
      readFileSync(join(src, "thin.png")),
    );
    const inkOf = (px: Float32Array) => px.reduce((t, v) => t + v, 0);
    assert.equal(inkOf(pair.chosen) < inkOf(pair.rejected), leftThin);
    // the web app may only import images from inside the data directory
    assert.throws(
      () =>
        importJsonl(
          s,
          JSON.stringify({ prompt: "x", chosen: "../../etc/a.png", rejected: "b.png" }),
          "up.jsonl",
          { task: "pairs", baseDir: dir, confineTo: dir },
        ),
      /leaves the data directory/,
    );
    s.close();
  });

  it("rejects bad rows with file, line and field", () => {
    const dir = tempDir();
    const s = new Store(dir);
    const bad = `${rows(1)}\n{"prompt": "p", "chosen": "x", "rejected": 3}\n`;
    assert.throws(
      () => importJsonl(s, bad, "bad.jsonl", { task: "pairs", baseDir: dir }),
      /bad\.jsonl:2: field "rejected"/,
    );
    assert.throws(
      () =>
        importJsonl(
          s,
          '{"prompt": "p", "a": "x", "b": "y", "judge": {"overall": "c"}}',
          "e.jsonl",
          {
            task: "eval",
            baseDir: dir,
          },
        ),
      /e\.jsonl:1: field "judge\.overall"/,
    );
    // nothing from the failed file was stored
    assert.equal(s.items().length, 0);
    s.close();
  });
});
