import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { writeGrayPng } from "../../src/engine/png.js";

/** Runs `prefopt diffusion dpo --data FILE` and returns its exit status and stderr. */
function dpo(data: string, out: string) {
  return spawnSync(
    process.execPath,
    ["bin/prefopt.js", "diffusion", "dpo", "--data", data, "--out", out, "--steps", "1"],
    { encoding: "utf8" },
  );
}

describe("prefopt diffusion dpo: bad pair files", () => {
  it("exit 2 with one line naming the file, the line and the field", () => {
    const dir = mkdtempSync(join(tmpdir(), "ddpo-bad-"));
    const img = new Float32Array(28 * 28);
    writeGrayPng(join(dir, "a.png"), img, 28, 28);
    img[400] = 1;
    writeGrayPng(join(dir, "b.png"), img, 28, 28);
    const good = JSON.stringify({ prompt: "a 3", chosen: "a.png", rejected: "b.png" });
    const cases: [string, string, string, RegExp][] = [
      // line 2 lacks "rejected"
      [
        "missing.jsonl",
        `${good}\n${JSON.stringify({ prompt: "a 3", chosen: "a.png" })}\n`,
        "rejected",
        /missing/,
      ],
      // a Pick-a-Pic row whose image_1 does not exist
      [
        "pick.jsonl",
        `${good}\n${JSON.stringify({ caption: "a 4", image_0: "a.png", image_1: "nope.png", label_0: 1 })}\n`,
        "image_1",
        /nope\.png/,
      ],
    ];
    for (const [name, text, field, why] of cases) {
      const file = join(dir, name);
      writeFileSync(file, text);
      const r = dpo(file, join(dir, `out-${name}`));
      assert.equal(r.status, 2, `${name}: ${r.stderr}`);
      const lines = r.stderr.trim().split("\n");
      assert.equal(lines.length, 1, `${name}: one line, got\n${r.stderr}`);
      assert.ok(lines[0].includes(`${file}:2`), `${name}: names file and line: ${lines[0]}`);
      assert.ok(lines[0].includes(field), `${name}: names the field ${field}: ${lines[0]}`);
      assert.match(lines[0], why);
      assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/, "no stack trace");
    }
  });
});
