/**
 * The CLI's one options dialect: range-checked numbers fail on one line with
 * exit 2, --version, --config under the flags, run_config.json, and what a
 * re-run with the same --out (or --no-resume) says and does.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { initEngine } from "../src/engine/init.js";
import { readMetrics } from "../src/train/metrics.js";
import { hasStack, ROOT, runCli } from "./reliability/cli.js";
import { writeTinyModel } from "./reliability/tiny-model.js";

let tmp = "";
let model = "";
before(async () => {
  await initEngine();
  tmp = mkdtempSync(join(tmpdir(), "prefopt-options-"));
  model = join(tmp, "tiny");
  await writeTinyModel(model);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Exit 2, exactly one non-empty stderr line starting "prefopt: ", no stack, nothing on stdout. */
function assertOneLine(r: Awaited<ReturnType<typeof runCli>>, ...parts: string[]): string {
  assert.ok(!hasStack(r.stderr), r.stderr);
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr.split("\n").filter((l) => l.trim() !== "");
  assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(lines[0], /^prefopt: /);
  for (const p of parts) assert.ok(lines[0].includes(p), `"${p}" not in: ${lines[0]}`);
  assert.equal(r.stdout, "");
  return lines[0];
}

describe("numeric options are range-checked", { concurrency: 4 }, () => {
  const cases: [string[], string, string][] = [
    [["generate", "--prompt", "a", "--temperature", "-1"], "--temperature", "≥ 0"],
    [["generate", "--prompt", "a", "--top-p", "5"], "--top-p", "(0, 1]"],
    [["generate", "--prompt", "a", "--n", "0"], "--n", "integer ≥ 1"],
    [["dpo", "--lr", "0"], "--lr", "> 0"],
    [["dpo", "--label-smoothing", "0.5"], "--label-smoothing", "[0, 0.5)"],
    [["pretrain", "--steps", "2.5"], "--steps", "integer"],
    [["diffusion", "train", "--save-every", "-1"], "--save-every", "integer ≥ 0"],
    [["rlhf", "--samples-per-prompt", "1"], "--samples-per-prompt", "≥ 2"],
  ];
  for (const [args, flag, range] of cases) {
    it(`${args.join(" ")}`, async () => {
      const line = assertOneLine(await runCli(args), flag, range);
      // the value is echoed back
      assert.ok(line.includes(`"${args[args.length - 1]}"`), line);
    });
  }
});

describe("--version", () => {
  it("prints package.json's version and exits 0", async () => {
    const r = await runCli(["--version"]);
    assert.equal(r.code, 0);
    const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
    assert.equal(r.stdout.trim(), version);
  });
});

describe("training commands: --config, run_config.json, resume", () => {
  const out = () => join(tmp, "sft-run");
  const cfg = () => join(tmp, "run.json");

  it("--config sets options, flags override it, the resolved options land in run_config.json", async () => {
    writeFileSync(
      cfg(),
      JSON.stringify({ model, examples: 16, steps: 2, "batch-size": 2, lr: 0.5, seed: 4 }),
    );
    const r = await runCli(["sft", "--config", cfg(), "--out", out(), "--lr", "0.002"]);
    assert.equal(r.code, 0, r.stderr);
    const saved = JSON.parse(readFileSync(join(out(), "run_config.json"), "utf8"));
    assert.equal(saved.command, "sft");
    assert.equal(saved.lr, 0.002); // the flag, not the file's 0.5
    assert.equal(saved.steps, 2); // the file
    assert.equal(saved["batch-size"], 2);
    assert.equal(saved.seed, 4);
    assert.equal(saved.out, out());
    assert.ok(!("config" in saved));
    // the run really used them: 2 steps, peak learning rate 0.002 (no warm-up at 2 steps)
    const m = readMetrics(join(out(), "metrics.jsonl")).filter((x) => typeof x.loss === "number");
    assert.equal(m.at(-1)?.step, 2);
    assert.ok(m.every((x) => (x.learning_rate as number) <= 0.002 + 1e-12));
    assert.ok(existsSync(join(out(), "curves.png")));
    assert.match(r.stderr, /curves: .*curves\.png/);
  });

  it("re-running with the same --out continues and says so", async () => {
    const r = await runCli(["sft", "--config", join(out(), "run_config.json"), "--steps", "3"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /same --out as an earlier run: continuing from its checkpoint at step 2 \(--no-resume starts over\)/,
    );
    // sft logs every 10 steps and at the end: the first run's line (step 2) is kept, step 3 added
    const m = readMetrics(join(out(), "metrics.jsonl")).filter((x) => typeof x.loss === "number");
    assert.deepEqual(
      m.map((x) => x.step),
      [2, 3],
    );
  });

  it("--no-resume starts over and says what it overwrites", async () => {
    const r = await runCli(["sft", "--config", join(out(), "run_config.json"), "--no-resume"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /--no-resume: starting over in .*sft-run; overwriting its \d+ checkpoint\(s\), metrics\.jsonl, model\.safetensors/,
    );
    // a fresh metrics.jsonl: only this run's line
    const m = readMetrics(join(out(), "metrics.jsonl")).filter((x) => typeof x.loss === "number");
    assert.deepEqual(
      m.map((x) => x.step),
      [3],
    );
    // the saved config of this run records resume: false
    assert.equal(JSON.parse(readFileSync(join(out(), "run_config.json"), "utf8")).resume, false);
  });

  it("bad --config files: one line naming the file and field, exit 2", async () => {
    const bad = join(tmp, "bad.json");
    writeFileSync(bad, JSON.stringify({ stepz: 3 }));
    assertOneLine(await runCli(["sft", "--out", out(), "--config", bad]), bad, '"stepz"');
    writeFileSync(bad, JSON.stringify({ steps: 0 }));
    assertOneLine(await runCli(["sft", "--out", out(), "--config", bad]), '"steps"', "integer ≥ 1");
    writeFileSync(bad, JSON.stringify({ command: "dpo" }));
    assertOneLine(await runCli(["sft", "--out", out(), "--config", bad]), "prefopt dpo");
    writeFileSync(bad, "{ not json");
    assertOneLine(await runCli(["sft", "--out", out(), "--config", bad]), "invalid JSON");
    assertOneLine(await runCli(["sft", "--examples", "4"]), "--out");
  });
});
