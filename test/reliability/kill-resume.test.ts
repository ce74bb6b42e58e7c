/**
 * Interruptions lose nothing, for real: `prefopt sft`, `dpo`, `reward`, `rlhf`, `pretrain` and
 * `diffusion train` run as child processes on tiny shapes.
 * - kill -9 at random moments (mid-step, mid-checkpoint, mid-final-save), then the same command
 *   again until it finishes: every checkpoint left behind loads;
 * - SIGINT mid-run: the process finishes its step, saves, exits 130 with a line saying how to
 *   continue; the same command again finishes the run.
 * Either way the final model is bit-identical to an uninterrupted run's with the same seed, and
 * the logged metrics are equal. Kill moments are placed by checkpoints seen and by the time the
 * steps of the same attempt take, so they land mid-run however busy the machine is.
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
import { metricsWithoutTime } from "../helpers.js";
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
 * The training commands, each on tiny shapes with a checkpoint after every step; every run also
 * gets --out, --steps, --save-every 1 and --seed 3.
 */
const runs: { name: string; command: string[]; steps: number; flags: () => Flags }[] = [
  {
    name: "sft",
    command: ["sft"],
    steps: 30,
    flags: () => ({ model, examples: 48, "batch-size": 4, lr: "3e-3" }),
  },
  {
    name: "dpo",
    command: ["dpo"],
    steps: 40,
    flags: () => ({ model, data: pairs, "batch-size": 2, "eval-fraction": 0, lr: "1e-3" }),
  },
  {
    name: "reward",
    command: ["reward"],
    steps: 30,
    flags: () => ({ model, data: pairs, "batch-size": 2, "eval-fraction": 0, lr: "1e-3" }),
  },
  {
    name: "rlhf",
    command: ["rlhf"],
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
    command: ["pretrain"],
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
    }),
  },
  {
    name: "diffusion train",
    command: ["diffusion", "train"],
    steps: 16,
    flags: () => ({ "batch-size": 2, "warmup-steps": 1 }),
  },
];
type Run = (typeof runs)[number];

/** The command line of `run` writing to `out`. */
function argsOf(run: Run, out: string): string[] {
  const flags: Flags = { ...run.flags(), out, steps: run.steps, "save-every": 1, seed: 3 };
  return [
    ...run.command,
    ...Object.entries(flags).flatMap(([k, v]) => (v === true ? [`--${k}`] : [`--${k}`, String(v)])),
  ];
}

type Outcome = { code: number | null; killed: boolean; stderr: string };

/**
 * Starts the command; with `stop`, once it has written checkpoint `stop.afterStep` (or later)
 * it waits `stop.fraction` of the time its last step took in this process (from one checkpoint
 * to the next), then sends `stop.signal`. Resolves with how the process ended.
 */
function runCommand(
  args: string[],
  out: string,
  stop?: { afterStep: number; fraction: number; signal: NodeJS.Signals },
): Promise<Outcome> {
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
    let sent = false;
    let timer: NodeJS.Timeout | undefined;
    // when this process wrote each checkpoint (as first seen)
    const seenAt = new Map<number, number>();
    const poll = setInterval(() => {
      if (!stop) return;
      const steps = existsSync(out)
        ? readdirSync(out).map((f) => Number(/^checkpoint-(\d+)$/.exec(f)?.[1] ?? -1))
        : [];
      const latest = Math.max(-1, ...steps);
      if (latest >= 0 && !seenAt.has(latest)) seenAt.set(latest, Date.now());
      if (latest < stop.afterStep) return;
      clearInterval(poll);
      const times = [...seenAt.values()];
      const lastStepMs = times.length >= 2 ? times[times.length - 1] - times[times.length - 2] : 0;
      timer = setTimeout(() => {
        sent = child.kill(stop.signal);
      }, stop.fraction * lastStepMs);
    }, 10);
    child.on("error", reject);
    child.on("close", (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      resolve({ code, killed: sent && code === null, stderr });
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

/** Every checkpoint that counts as complete loads. */
function assertCheckpointsLoad(dir: string): void {
  for (const c of listCheckpoints(dir)) {
    for (const f of ["model.safetensors", "optimizer.safetensors"])
      decodeSafetensors(readFileSync(join(c.dir, f)), join(c.dir, f));
    assert.equal(JSON.parse(readFileSync(join(c.dir, "trainer_state.json"), "utf8")).step, c.step);
  }
}

/** The same final weights bit for bit, the same logged metrics, the same last checkpoint. */
function assertSameRun(t: { diagnostic(s: string): void }, full: string, other: string): void {
  const a = decodeSafetensors(readFileSync(join(full, "model.safetensors")));
  const b = decodeSafetensors(readFileSync(join(other, "model.safetensors")));
  assert.deepEqual(Object.keys(b.tensors).sort(), Object.keys(a.tensors).sort());
  let worst = 0;
  for (const [k, ta] of Object.entries(a.tensors)) {
    const da = ta.data as Float32Array;
    const db = b.tensors[k].data as Float32Array;
    for (let i = 0; i < da.length; i++) worst = Math.max(worst, Math.abs(da[i] - db[i]));
  }
  t.diagnostic(`largest weight difference to the uninterrupted run: ${worst}`);
  assert.equal(worst, 0, `resumed weights differ by up to ${worst}`);
  assert.deepEqual(metricsWithoutTime(other), metricsWithoutTime(full));
  assert.equal(listCheckpoints(other).at(-1)?.step, listCheckpoints(full).at(-1)?.step);
  assert.ok(
    readdirSync(other).every((f) => !f.startsWith("checkpoint-") || /^checkpoint-\d+$/.test(f)),
  );
}

// the uninterrupted run of each command, shared by both interruptions
const fullRuns = new Map<string, Promise<string>>();
function fullRun(run: Run): Promise<string> {
  let p = fullRuns.get(run.name);
  if (!p) {
    const out = join(tmp, `${run.name.replace(" ", "-")}-full`);
    p = runCommand(argsOf(run, out), out).then((r) => {
      assert.equal(r.code, 0, r.stderr);
      return out;
    });
    fullRuns.set(run.name, p);
  }
  return p;
}

describe("kill -9 during training, then the same command again", () => {
  for (const run of runs)
    it(`${run.name}: equals the uninterrupted run with the same seed`, async (t) => {
      const full = await fullRun(run);
      const seed = Number(process.env.PREFOPT_KILL_SEED ?? Date.now() % 100_000);
      const rand = rng(seed);
      const split = join(tmp, `${run.name.replace(" ", "-")}-split`);
      const log: string[] = [];
      let kills = 0;
      for (let attempt = 0; attempt < 14; attempt++) {
        const before = listCheckpoints(split).at(-1)?.step ?? 0;
        // kill after a checkpoint drawn from the first third of what is left (at least the
        // second of this attempt, so the time of one of its steps is known), a random share of a
        // step later: mid-step or mid-save, with steps still to come, and room for 3 kills
        const remaining = run.steps - before;
        const kill = kills < 4 && remaining >= 4;
        const afterStep = before + 2 + Math.floor(rand() * Math.max(1, (remaining - 2) / 3));
        const fraction = rand() * 0.9;
        const res = await runCommand(
          argsOf(run, split),
          split,
          kill ? { afterStep, fraction, signal: "SIGKILL" } : undefined,
        );
        assert.ok(!hasStack(res.stderr), res.stderr);
        log.push(
          `${res.killed ? `killed ${fraction.toFixed(2)} of a step after checkpoint ${afterStep}` : `exit ${res.code}`}: checkpoints ${before} → ${listCheckpoints(split).at(-1)?.step ?? 0}`,
        );
        // whatever the moment, every checkpoint that counts as complete is readable
        assertCheckpointsLoad(split);
        if (res.killed) {
          kills++;
          continue;
        }
        assert.equal(res.code, 0, res.stderr);
        break;
      }
      t.diagnostic(`${run.name}, kill seed ${seed}: ${log.join("; ")}`);
      assert.ok(kills >= 3, `only ${kills} kills landed: ${log.join("; ")}`);
      assertSameRun(t, full, split);
    });
});

describe("SIGINT during training: exit 130 with a checkpoint, then the same command again", () => {
  for (const run of runs)
    it(`${run.name}: stops cleanly and finishes like the uninterrupted run`, async (t) => {
      const full = await fullRun(run);
      const out = join(tmp, `${run.name.replace(" ", "-")}-sigint`);
      const res = await runCommand(argsOf(run, out), out, {
        afterStep: 1,
        fraction: 0,
        signal: "SIGINT",
      });
      assert.equal(res.code, 130, res.stderr);
      assert.ok(!hasStack(res.stderr), res.stderr);
      const m =
        /SIGINT: stopped at step (\d+)\/(\d+), checkpoint saved in (\S+); run the same command again to continue from it/.exec(
          res.stderr,
        );
      assert.ok(m, `no line saying how to continue in:\n${res.stderr}`);
      const step = Number(m[1]);
      assert.ok(step >= 1 && step < run.steps, `stopped at step ${step}`);
      // the step in flight was finished and saved: a complete checkpoint of exactly that step
      assert.equal(m[3], join(out, `checkpoint-${step}`));
      assert.equal(listCheckpoints(out).at(-1)?.step, step);
      assertCheckpointsLoad(out);
      assert.ok(!existsSync(join(out, "model.safetensors")), "no final model from a stopped run");
      t.diagnostic(`${run.name}: SIGINT after checkpoint 1, stopped at step ${step}`);

      const again = await runCommand(argsOf(run, out), out);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, new RegExp(`resuming from .*checkpoint-${step} at step ${step}`));
      assertSameRun(t, full, out);
    });
});
