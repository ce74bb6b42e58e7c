/**
 * Interruptions lose nothing, for real: `prefopt sft` runs as a child process
 * and is killed with SIGKILL at random moments (mid-step, mid-checkpoint,
 * mid-final-save), then restarted with --resume until it finishes. Every
 * checkpoint left behind must load, and the final model and the logged
 * metrics must equal those of an uninterrupted run with the same seed.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { initEngine } from "../../src/engine/init.js";
import { decodeSafetensors } from "../../src/engine/safetensors.js";
import { listCheckpoints } from "../../src/train/checkpoint.js";
import { BIN, hasStack, ROOT, runCli } from "./cli.js";
import { writeTinyModel } from "./tiny-model.js";

const STEPS = 30;
let tmp = "";
let model = "";
before(async () => {
  await initEngine();
  tmp = mkdtempSync(join(tmpdir(), "prefopt-kill-"));
  model = join(tmp, "tiny");
  await writeTinyModel(model);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const sftArgs = (out: string) => [
  "sft",
  "--model",
  model,
  "--examples",
  "48",
  "--out",
  out,
  "--steps",
  String(STEPS),
  "--save-every",
  "1",
  "--batch-size",
  "4",
  "--lr",
  "3e-3",
  "--seed",
  "3",
  "--resume",
];

/** Starts the command and SIGKILLs it `ms` after its first output (if still running); resolves with how it ended. */
function runAndKill(
  args: string[],
  ms: number,
): Promise<{ code: number | null; killed: boolean; stderr: string }> {
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
    // the clock starts at the first progress output (engine up, training begun)
    child.stderr.once("data", () => {
      timer = setTimeout(() => {
        killed = child.kill("SIGKILL");
      }, ms);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, killed: killed && code === null, stderr });
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
  it("equals the uninterrupted run with the same seed", async (t) => {
    const full = join(tmp, "full");
    const r = await runCli(sftArgs(full), { timeoutMs: 180_000 });
    assert.equal(r.code, 0, r.stderr);

    const seed = Number(process.env.PREFOPT_KILL_SEED ?? Date.now() % 100_000);
    const rand = rng(seed);
    const split = join(tmp, "split");
    const log: string[] = [];
    let kills = 0;
    for (let attempt = 0; attempt < 12; attempt++) {
      // the first attempts are killed 0–2.5 s into training (mid-step, mid-save); then let it finish
      const ms = attempt < 5 ? rand() * 2500 : 600_000;
      const before = listCheckpoints(split).at(-1)?.step ?? 0;
      const res = await runAndKill(sftArgs(split), ms);
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
    t.diagnostic(`kill seed ${seed}: ${log.join("; ")}`);
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
    // no temporary leftovers count as checkpoints, and the last one is step STEPS
    assert.equal(listCheckpoints(split).at(-1)?.step, STEPS);
    assert.ok(
      readdirSync(split).every((f) => !f.startsWith("checkpoint-") || /^checkpoint-\d+$/.test(f)),
    );
  });
});
