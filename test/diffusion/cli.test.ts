import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { readGrayPng } from "../../src/engine/png.js";
import { makeKey } from "../../src/engine/random.js";
import {
  defaultDiffusionConfig,
  initDiffusion,
  loadDiffusion,
  saveDiffusion,
} from "../../src/models/diffusion/model.js";
import { setup } from "../helpers.js";

describe("diffusion model files and CLI", () => {
  before(setup);

  it("save → load keeps config and weights; sample --out-dir writes 28×28 PNGs and a grid", async () => {
    const dir = mkdtempSync(join(tmpdir(), "diff-"));
    const config = defaultDiffusionConfig({ unet: { channels: [8, 16], condDim: 16, groups: 4 } });
    await saveDiffusion(join(dir, "m"), { config, params: initDiffusion(makeKey(0), config) });
    const back = loadDiffusion(join(dir, "m"));
    assert.deepEqual(back.config, config);
    const r = spawnSync(
      process.execPath,
      [
        "bin/prefopt.js",
        "diffusion",
        "sample",
        "--model",
        join(dir, "m"),
        "--prompt",
        "a thin 3",
        "--n",
        "2",
        "--steps",
        "2",
        "--out-dir",
        join(dir, "png"),
        "--out",
        join(dir, "grid.png"),
      ],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    const files = readdirSync(join(dir, "png"));
    assert.equal(files.length, 2);
    const img = readGrayPng(join(dir, "png", files[0]));
    assert.equal(img.width, 28);
    assert.equal(img.height, 28);
    assert.ok(existsSync(join(dir, "grid.png")));
    const bad = spawnSync(
      process.execPath,
      ["bin/prefopt.js", "diffusion", "sample", "--model", dir, "--prompt", "x"],
      {
        encoding: "utf8",
      },
    );
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /config\.json/);
  });

  it("eval: one row per held-out combination, figures equal to the rows, with 95% intervals", async () => {
    const dir = mkdtempSync(join(tmpdir(), "diff-eval-"));
    const config = defaultDiffusionConfig({ unet: { channels: [8, 16], condDim: 16, groups: 4 } });
    await saveDiffusion(join(dir, "m"), { config, params: initDiffusion(makeKey(0), config) });
    const out = join(dir, "eval.json");
    const r = spawnSync(
      process.execPath,
      [
        "bin/prefopt.js",
        "diffusion",
        "eval",
        "--model",
        join(dir, "m"),
        "--per-prompt",
        "2",
        "--steps",
        "2",
        "--json",
        out,
        "--grid",
        join(dir, "grid.png"),
      ],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stdout,
      /digit agreement \(classifier\): +[0-9.]+% +\(95% CI [0-9.]+%–[0-9.]+%\)/,
    );
    const j = JSON.parse(readFileSync(out, "utf8"));
    assert.equal(j.n, 2 * j.rows.length);
    assert.ok(j.rows.length >= 10, "every digit has a held-out combination");
    let agree = 0;
    for (const row of j.rows) {
      assert.equal(row.prompts.length, 2);
      assert.equal(row.predictedDigits.length, 2);
      agree += row.predictedDigits.filter((d: number) => d === row.digit).length;
    }
    assert.equal(j.digitAgreement, agree / j.n);
    const [lo, hi] = j.digitAgreementCi95;
    assert.ok(lo <= j.digitAgreement && j.digitAgreement <= hi && hi - lo > 0.1);
    assert.ok(existsSync(join(dir, "grid.png")));
  });
});
