/**
 * Interruptions lose nothing, for real: `prefopt sft`, `dpo`, `reward`, `rlhf` and `pretrain`
 * run as child processes and are killed with SIGKILL at random moments (mid-step, mid-checkpoint,
 * mid-final-save), then restarted with --resume until it finishes. Every checkpoint left behind
 * must load, and the final model and the logged metrics must equal those of an uninterrupted
 * run with the same seed.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { initEngine } from "../../src/engine/init.js";
import { decodeSafetensors } from "../../src/engine/safetensors.js";
import { listCheckpoints } from "../../src/train/checkpoint.js";
import { BIN, hasStack, ROOT } from "./cli.js";
import { writeTinyModel } from "./tiny-model.js";

let tmp = "";
let model = "";
let pairs = "";
before(async () => {
  await initEngine();
  tmp = mkdtempSync(join(tmpdir(), "prefopt-kill-"));
  model = join(tmp, "tiny");
  await writeTinyModel(model);
  const words = [
    "great",
    "fine",
    "dull",
    "awful",
    "superb",
    "lovely",
    "boring",
    "bad",
    "good",
    "nice",
    "poor",
    "weak",
  ];
  pairs = join(tmp, "pairs.jsonl");
  const rows = Array.from({ length: 16 }, (_, i) =>
    JSON.stringify({
      prompt: `the film ${i}`,
      chosen: ` was ${words[i % 12]}.`,
      rejected: ` was ${words[(i + 5) % 12]}.`,
    }),
  );
  writeFileSync(pairs, `${rows.join("\n")}\n`);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A flag's value; `true` is a flag without one. */
type Flags = Record<string, string | number | true>;

/**
 * The training commands, each on a tiny model with a checkpoint after every step; every run
 * also gets --out, --steps, --save-every 1 and --seed 3.
 */
const runs: { name: string; steps: number; flags: () => Flags }[] = [
  {
    name: "sft",
    steps: 30,
    flags: () => ({ model, examples: 48, "batch-size": 4, lr: "3e-3", resume: true }),
  },
  {
    name: "dpo",
    steps: 40,
    flags: () => ({ model, data: pairs, "batch-size": 2, "eval-fraction": 0, lr: "1e-3" }),
  },
  {
    name: "reward",
    steps: 30,
    flags: () => ({ model, data: pairs, "batch-size": 2, "eval-fraction": 0, lr: "1e-3" }),
  },
  {
    name: "rlhf",
    steps: 20,
    flags: () => ({
      model,
      "reward-model": "afinn",
      prompts: pairs,
      "prompts-per-step": 2,
      "samples-per-prompt": 2,
      "max-new-tokens": 4,
      lr: "1e-3",
    }),
  },
  {
    name: "pretrain",
    steps: 40,
    flags: () => ({
      sentences: 400,
      "held-out": 50,
      "vocab-size": 300,
      layers: 1,
      width: 32,
      heads: 2,
      context: 16,
      "batch-size": 4,
      "warmup-steps": 2,
      resume: true,
    }),
  },
];

/** The command line of `run` writing to `out` (pretrain keeps its checkpoints in --run-dir). */
function argsOf(run: (typeof runs)[number], out: string): string[] {
  const flags: Flags = {
    ...run.flags(),
    out,
    ...(run.name === "pretrain" ? { "run-dir": out } : {}),
    steps: run.steps,
    "save-every": 1,
    seed: 3,
  };
  return [
    run.name,
    ...Object.entries(flags).flatMap(([k, v]) => (v === true ? [`--${k}`] : [`--${k}`, String(v)])),
  ];
}

/**
 * Starts the command and SIGKILLs it `ms` after it writes a checkpoint past step `from` in
 * `out` (if still running); resolves with how it ended and, when it ran to the end, how long
 * it trained after that checkpoint (`trainMs`).
 */
function runAndKill(
  args: string[],
  out: string,
  from: number,
  ms: number,
): Promise<{ code: number | null; killed: boolean; stderr: string; trainMs?: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, PREFOPT_THREADS: "1" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    let killed = false;
    let timer: NodeJS.Timeout | undefined;
    let startedAt: number | undefined;
    // the clock starts when this attempt writes its first checkpoint: the engine is up and training
    const poll = setInterval(() => {
      const steps = existsSync(out)
        ? readdirSync(out).map((f) => Number(/^checkpoint-(\d+)$/.exec(f)?.[1] ?? -1))
        : [];
      if (Math.max(-1, ...steps) <= from) return;
      clearInterval(poll);
      startedAt = Date.now();
      timer = setTimeout(() => {
        killed = child.kill("SIGKILL");
      }, ms);
    }, 20);
    child.on("error", reject);
    child.on("close", (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      const trainMs = startedAt === undefined ? undefined : Date.now() - startedAt;
      resolve({ code, killed: killed && code === null, stderr, trainMs });
    });
  });
}

/** A small seeded generator, so the kill moments of a failing run can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const metricRows = (dir: string) =>
  readFileSync(join(dir, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => {
      const { time: _t, ...rest } = JSON.parse(l);
      return rest;
    });

describe("kill -9 during training, then --resume", () => {
  for (const run of runs)
    it(`${run.name}: equals the uninterrupted run with the same seed`, async (t) => {
      const full = join(tmp, `${run.name}-full`);
      const r = await runAndKill(argsOf(run, full), full, 0, 600_000);
      assert.equal(r.code, 0, r.stderr);
      // kill moments are drawn within the time training actually takes on this machine now,
      // so kills land whether the machine is idle or loaded
      const trainMs = Math.max(100, r.trainMs ?? 0);

      const seed = Number(process.env.PREFOPT_KILL_SEED ?? Date.now() % 100_000);
      const rand = rng(seed);
      const split = join(tmp, `${run.name}-split`);
      const log: string[] = [];
      let kills = 0;
      for (let attempt = 0; attempt < 14; attempt++) {
        // the first attempts are killed at random moments of training (mid-step, mid-save); then let it finish
        const before = listCheckpoints(split).at(-1)?.step ?? 0;
        // the clock starts at this attempt's first checkpoint (step before + 1); a kill drawn within
        // half the time the remaining steps take moves at most halfway to the end, so at least
        // three kills land before the run is too close to its end to kill it mid-training
        const remaining = run.steps - before - 1;
        const window = (0.5 * trainMs * remaining) / run.steps;
        const ms = kills < 4 && attempt < 9 && remaining >= 2 ? rand() * window : 600_000;
        const res = await runAndKill(argsOf(run, split), split, before, ms);
        assert.ok(!hasStack(res.stderr), res.stderr);
        const ckpts = listCheckpoints(split);
        log.push(
          `${res.killed ? `killed ${(ms / 1000).toFixed(2)} s in` : `exit ${res.code}`}: checkpoints ${before} → ${ckpts.at(-1)?.step ?? 0}`,
        );
        // whatever the moment, every checkpoint that counts as complete is readable
        for (const c of ckpts) {
          for (const f of ["model.safetensors", "optimizer.safetensors"]) {
            decodeSafetensors(readFileSync(join(c.dir, f)), join(c.dir, f));
          }
          JSON.parse(readFileSync(join(c.dir, "trainer_state.json"), "utf8"));
        }
        if (res.killed) {
          kills++;
          continue;
        }
        assert.equal(res.code, 0, res.stderr);
        break;
      }
      t.diagnostic(`${run.name}, kill seed ${seed}: ${log.join("; ")}`);
      assert.ok(kills >= 3, `only ${kills} kills landed: ${log.join("; ")}`);
      assert.ok(existsSync(join(split, "model.safetensors")));

      // same final weights, bit for bit, and the same logged metrics
      const a = decodeSafetensors(readFileSync(join(full, "model.safetensors")));
      const b = decodeSafetensors(readFileSync(join(split, "model.safetensors")));
      assert.deepEqual(Object.keys(b.tensors).sort(), Object.keys(a.tensors).sort());
      let worst = 0;
      for (const [k, ta] of Object.entries(a.tensors)) {
        const da = ta.data as Float32Array;
        const db = b.tensors[k].data as Float32Array;
        for (let i = 0; i < da.length; i++) worst = Math.max(worst, Math.abs(da[i] - db[i]));
      }
      t.diagnostic(`largest weight difference to the uninterrupted run: ${worst}`);
      assert.equal(worst, 0, `resumed weights differ by up to ${worst}`);
      assert.deepEqual(metricRows(split), metricRows(full));
      // no temporary leftovers count as checkpoints, and the last one is the uninterrupted run's
      const lastFull = listCheckpoints(full).at(-1)?.step;
      assert.equal(listCheckpoints(split).at(-1)?.step, lastFull);
      assert.ok(
        readdirSync(split).every((f) => !f.startsWith("checkpoint-") || /^checkpoint-\d+$/.test(f)),
      );
    });
});
