/**
 * The bad-input corpus (test/fixtures/bad/, manifest.json) through the real
 * CLI: every file gets a one-line error that names the file (and line and
 * field) and what was expected, exit code 2, no stack trace, and nothing is
 * trained (no checkpoint, metrics or model in --out). Then every command of
 * the CLI, with a bad option and with a path that does not exist, must fail
 * the same clean way; --debug alone brings the stack back.
 */
import assert from "node:assert/strict";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { hasStack, ROOT, runCli } from "./cli.js";
import { writeTinyDiffusion, writeTinyModel } from "./tiny-model.js";

const FIX = join(ROOT, "test", "fixtures", "bad");
type Case = {
  file: string;
  what: string;
  run: string[];
  expect: string[];
  replace?: string;
  base?: "lm" | "diffusion";
};
const manifest = JSON.parse(readFileSync(join(FIX, "manifest.json"), "utf8")) as {
  cases: Case[];
  support: { file: string; what: string }[];
};

let tmp = "";
let model = "";
let diffusion = "";
before(async () => {
  tmp = mkdtempSync(join(tmpdir(), "prefopt-bad-"));
  model = join(tmp, "tiny");
  await writeTinyModel(model);
  diffusion = join(tmp, "tiny-diffusion");
  await writeTinyDiffusion(diffusion);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** Asserts the clean failure: exit 2, one "prefopt: ..." line on stderr, no stack. */
function assertCleanFailure(r: Awaited<ReturnType<typeof runCli>>, label: string): string {
  const all = `${r.stdout}${r.stderr}`;
  assert.ok(!hasStack(all), `${label}: stack trace printed:\n${all}`);
  assert.equal(r.code, 2, `${label}: exit code ${r.code} (signal ${r.signal}), output:\n${all}`);
  return all;
}

describe("bad-input corpus through the CLI", { concurrency: 2 }, () => {
  it("has at least 30 cases, each file present and described", () => {
    assert.ok(manifest.cases.length >= 30, `${manifest.cases.length} cases`);
    for (const c of [...manifest.cases, ...manifest.support]) {
      assert.ok(existsSync(join(FIX, c.file)), `${c.file} missing`);
      assert.ok(c.what.length > 0);
    }
    const described = new Set([...manifest.cases, ...manifest.support].map((c) => c.file));
    for (const f of readdirSync(FIX)) {
      if (f === "manifest.json" || f === "make-fixtures.ts") continue;
      assert.ok(described.has(f), `${f} is not in manifest.json`);
    }
  });

  manifest.cases.forEach((c, i) => {
    it(`${c.file}: ${c.what}`, async (t) => {
      const file = join(FIX, c.file);
      const base = c.base === "diffusion" ? diffusion : model;
      let dir = base;
      if (c.replace) {
        dir = join(tmp, `model-${i}`);
        cpSync(base, dir, { recursive: true });
        copyFileSync(file, join(dir, c.replace));
      }
      const out = join(tmp, `out-${i}`);
      const text = c.run.includes("{text}") ? readFileSync(file, "utf8") : "";
      const args = c.run.map((a) =>
        a
          .replace("{file}", file)
          .replace("{model}", dir)
          .replace("{out}", out)
          .replace("{diffusion}", diffusion)
          .replace("{text}", text),
      );
      const r = await runCli(args);
      const all = assertCleanFailure(r, c.file);
      const lines = r.stderr.split("\n").filter((l) => l.trim() !== "");
      assert.equal(lines.length, 1, `${c.file}: expected one line on stderr, got:\n${r.stderr}`);
      assert.match(lines[0], /^prefopt: /);
      for (const s of c.expect)
        assert.ok(lines[0].includes(s), `${c.file}: "${s}" not in: ${lines[0]}`);
      // nothing trained or recorded: the error came before the first step
      if (existsSync(out)) {
        const left = readdirSync(out).filter((f) =>
          /^checkpoint-|metrics\.jsonl|model\.safetensors|run_config\.json/.test(f),
        );
        assert.deepEqual(left, [], `${c.file}: training started: ${left.join(", ")}`);
      }
      t.diagnostic(lines[0].replaceAll(FIX, "bad").replaceAll(tmp, "tmp"));
      if (all.length === 0) assert.fail("no output");
    });
  });

  it("--debug shows the stack of the same error", async () => {
    const f = join(FIX, "sft-malformed-json.jsonl");
    const r = await runCli([
      "--debug",
      "sft",
      "--model",
      model,
      "--data",
      f,
      "--out",
      join(tmp, "dbg"),
    ]);
    assert.notEqual(r.code, 0);
    assert.ok(hasStack(r.stderr), `no stack with --debug:\n${r.stderr}`);
  });
});

/** Every command and subcommand of the CLI, read from its --help. */
async function commands(prefix: string[] = []): Promise<string[][]> {
  const r = await runCli([...prefix, "--help"]);
  const block = r.stdout.split(/^Commands:\s*$/m)[1] ?? "";
  const names = [...block.matchAll(/^ {2}([a-z][\w-]*)/gm)]
    .map((m) => m[1])
    .filter((n) => n !== "help");
  const out: string[][] = [];
  for (const n of names) {
    const sub = await commands([...prefix, n]);
    out.push(...(sub.length ? sub : [[...prefix, n]]));
  }
  return out;
}

describe("every command fails cleanly on bad arguments", { concurrency: 2 }, async () => {
  const all = await commands();
  it("finds the commands", () => {
    for (const c of ["sft", "dpo", "reward", "generate", "data check", "diffusion sample"]) {
      assert.ok(
        all.some((a) => a.join(" ") === c),
        `${c} not found in ${all.map((a) => a.join(" "))}`,
      );
    }
  });
  for (const cmd of all) {
    it(`${cmd.join(" ")} --no-such-option`, async () => {
      const r = await runCli([...cmd, "--no-such-option"]);
      const text = assertCleanFailure(r, cmd.join(" "));
      assert.match(text, /unknown option '--no-such-option'|required option/);
    });
  }
  // a path that does not exist (or cannot be written), for every command that reads or writes one
  const missing = "/nonexistent/prefopt-missing";
  const never = "/dev/null/prefopt-out";
  const pathCases: [() => string[], string][] = [
    [() => ["sft", "--model", missing, "--out", join(tmp, "never-1")], missing],
    [
      () => ["sft", "--data", `${missing}.jsonl`, "--out", join(tmp, "never-2")],
      `${missing}.jsonl`,
    ],
    [() => ["sft", "--model", model, "--examples", "8", "--out", never, "--steps", "1"], never],
    [() => ["dpo", "--model", missing, "--out", join(tmp, "never-3")], missing],
    [() => ["reward", "--model", missing, "--out", join(tmp, "never-4")], missing],
    [
      () => ["rlhf", "--model", missing, "--reward-model", "afinn", "--out", join(tmp, "never-5")],
      missing,
    ],
    [
      () => ["rlhf", "--model", model, "--reward-model", missing, "--out", join(tmp, "never-6")],
      missing,
    ],
    [
      () => [
        "rlhf",
        "--model",
        model,
        "--reward-model",
        "afinn",
        "--prompts",
        `${missing}.txt`,
        "--out",
        join(tmp, "never-7"),
      ],
      `${missing}.txt`,
    ],
    [() => ["generate", "--model", missing, "--prompt", "a"], missing],
    [() => ["eval", "winrate", "--a", missing, "--b", model], missing],
    [
      () => ["eval", "winrate", "--a", model, "--b", model, "--prompts", `${missing}.jsonl`],
      `${missing}.jsonl`,
    ],
    [() => ["experiment", "sentiment", "--model", missing, "--out", join(tmp, "never-8")], missing],
    [() => ["data", "check", `${missing}.jsonl`], `${missing}.jsonl`],
    [() => ["diffusion", "sample", "--model", missing, "--prompt", "a 7"], missing],
    [
      () => ["diffusion", "sdedit", `${missing}.png`, "--model", diffusion, "--prompt", "a 7"],
      `${missing}.png`,
    ],
    [() => ["diffusion", "eval", "--model", missing], missing],
    [() => ["viz", "reweight", "--out", `${never}/fig`], never],
    [() => ["verify", "--beta", "-1"], "--beta"],
  ];
  for (const [args, name] of pathCases) {
    it(`${name}: ${args().slice(0, 2).join(" ")}`, async () => {
      const r = await runCli(args());
      const text = assertCleanFailure(r, args().join(" "));
      assert.ok(text.includes(name), `${name} not named: ${text}`);
      // a refused run records no config (run_config.json is written as the first step starts)
      const a = args();
      const out = a.includes("--out") ? a[a.indexOf("--out") + 1] : "";
      if (out.startsWith(tmp))
        assert.ok(!existsSync(join(out, "run_config.json")), `${out}/run_config.json left behind`);
      if (!/^error: /.test(text)) {
        const lines = r.stderr.split("\n").filter((l) => l.startsWith("prefopt: "));
        assert.equal(lines.length, 1, r.stderr);
      }
    });
  }
});
