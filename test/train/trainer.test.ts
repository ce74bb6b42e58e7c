import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Interrupted } from "../../src/engine/errors.js";
import { initEngine } from "../../src/engine/init.js";
import { jit, numpy as np, valueAndGrad } from "../../src/engine/jax.js";
import { refTree } from "../../src/engine/pytree.js";
import { HostRng } from "../../src/engine/random.js";
import { readSafetensors } from "../../src/engine/safetensors.js";
import {
  latestCheckpoint,
  listCheckpoints,
  loadCheckpoint,
  saveCheckpoint,
} from "../../src/train/checkpoint.js";
import { readMetrics } from "../../src/train/metrics.js";
import { type AdamState, adamw } from "../../src/train/optimizer.js";
import { ProgressBar } from "../../src/train/progress.js";
import { linearWarmupDecay } from "../../src/train/schedules.js";
import { NonFiniteLossError, runTraining } from "../../src/train/trainer.js";

let root: string;
before(async () => {
  await initEngine();
  root = mkdtempSync(join(tmpdir(), "prefopt-trainer-"));
});
after(() => rmSync(root, { recursive: true, force: true }));

// --- a tiny linear regression: y = X·w* + b* + noise, minibatches in a seeded shuffled order
const N = 48;
const D = 3;
const B = 8;
const TOTAL = 24;
const data = (() => {
  const rng = new HostRng(7);
  const x = new Float32Array(N * D);
  const y = new Float32Array(N);
  const wStar = [1.5, -2, 0.5];
  for (let i = 0; i < N; i++) {
    let s = 0.3;
    for (let j = 0; j < D; j++) {
      x[i * D + j] = rng.normal();
      s += wStar[j] * x[i * D + j];
    }
    y[i] = s + 0.1 * rng.normal();
  }
  return { x, y };
})();

type Params = { w: np.Array; b: np.Array };
type State = {
  params: Params;
  opt: AdamState<Params>;
  rng: HostRng;
  order: number[];
  pos: number;
  epoch: number;
};

const opt = adamw({
  learningRate: linearWarmupDecay({ peak: 0.1, warmupSteps: 3, totalSteps: TOTAL }),
  weightDecay: 0.01,
  maxGradNorm: 5,
});
const lossFn = (p: Params, x: np.Array, y: np.Array) => {
  const pred = np.matmul(x, p.w).add(p.b);
  return np.mean(np.square(pred.sub(y)));
};
const trainStep = jit(
  (p: Params, st: AdamState<Params>, x: np.Array, y: np.Array, lr: np.Array) => {
    const [loss, g] = valueAndGrad(lossFn)(refTree(p), x, y);
    const out = opt.step(p, g, st, lr);
    return { loss, params: out.params, opt: out.state, gradNorm: out.gradNorm };
  },
);

function makeTask(hooks: { onStep?: (i: number) => void; nanAt?: number } = {}) {
  return {
    init(): State {
      const rng = new HostRng(1234);
      const w0 = new Float32Array(D).map(() => 0.1 * rng.normal());
      const params = { w: np.array(w0).reshape([D, 1]), b: np.zeros([1]) };
      const order = rng.shuffle([...Array(N).keys()]);
      return {
        params,
        opt: opt.init({ w: params.w.ref, b: params.b.ref }),
        rng,
        order,
        pos: 0,
        epoch: 0,
      };
    },
    async step(s: State, i: number) {
      hooks.onStep?.(i);
      if (s.pos + B > N) {
        s.order = s.rng.shuffle(s.order);
        s.pos = 0;
        s.epoch += 1;
      }
      const idx = s.order.slice(s.pos, s.pos + B);
      s.pos += B;
      const xb = new Float32Array(B * D);
      const yb = new Float32Array(B);
      idx.forEach((r, k) => {
        xb.set(data.x.subarray(r * D, r * D + D), k * D);
        yb[k] = data.y[r];
      });
      const lr = opt.learningRate(i);
      const out = trainStep(
        s.params,
        s.opt,
        np.array(xb).reshape([B, D]),
        np.array(yb).reshape([B, 1]),
        np.array(lr),
      );
      s.params = out.params;
      s.opt = out.opt;
      let loss = (await out.loss.data())[0];
      const gradNorm = (await out.gradNorm.data())[0];
      if (hooks.nanAt === i) loss = Number.NaN;
      return { loss, gradNorm, lr, epoch: s.epoch + s.pos / N };
    },
    snapshot: (s: State) => ({
      params: s.params,
      optState: s.opt,
      host: { rng: s.rng.state, order: s.order, pos: s.pos, epoch: s.epoch },
    }),
    restore(s: State, loaded: { params: unknown; optState: unknown; host?: unknown }) {
      s.params.w.dispose();
      s.params.b.dispose();
      s.opt.count.dispose();
      for (const t of [s.opt.mu, s.opt.nu]) {
        t.w.dispose();
        t.b.dispose();
      }
      s.params = loaded.params as Params;
      s.opt = loaded.optState as AdamState<Params>;
      const h = loaded.host as
        | { rng: number; order: number[]; pos: number; epoch: number }
        | undefined;
      if (h) {
        s.rng.state = h.rng;
        s.order = h.order;
        s.pos = h.pos;
        s.epoch = h.epoch;
      }
      return s;
    },
  };
}

async function bytesOf(s: State) {
  const out: Uint8Array[] = [];
  for (const a of [
    s.params.w,
    s.params.b,
    s.opt.mu.w,
    s.opt.mu.b,
    s.opt.nu.w,
    s.opt.nu.b,
    s.opt.count,
  ]) {
    const d = await a.ref.data();
    out.push(new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice());
  }
  return out;
}

const stripTime = (path: string) => readMetrics(path).map(({ time: _t, ...r }) => r);

describe("runTraining", () => {
  test("an interrupted and resumed run ends bit-identical to an uninterrupted one", async () => {
    const straightDir = join(root, "straight");
    const a = await runTraining({
      ...makeTask(),
      outDir: straightDir,
      totalSteps: TOTAL,
      logEvery: 4,
      saveEvery: 10,
      verbose: false,
    });
    assert.equal(a.status, "completed");
    assert.equal(a.step, TOTAL);

    const splitDir = join(root, "split");
    const ctl = new AbortController();
    const first = await runTraining({
      ...makeTask({ onStep: (i) => i === 12 && ctl.abort() }),
      outDir: splitDir,
      totalSteps: TOTAL,
      logEvery: 4,
      saveEvery: 10,
      verbose: false,
      signal: ctl.signal,
    });
    assert.equal(first.status, "interrupted");
    assert.equal(first.step, 13);
    assert.equal(latestCheckpoint(splitDir), join(splitDir, "checkpoint-13"));
    const b = await runTraining({
      ...makeTask(),
      outDir: splitDir,
      totalSteps: TOTAL,
      logEvery: 4,
      saveEvery: 10,
      verbose: false,
      resume: true,
    });
    assert.equal(b.status, "completed");
    assert.equal(b.startStep, 13);
    assert.equal(b.step, TOTAL);
    assert.deepEqual(await bytesOf(b.state), await bytesOf(a.state));
    assert.equal(b.state.rng.state, a.state.rng.state);
    assert.deepEqual(b.state.order, a.state.order);
    // the metrics files agree line for line (apart from wall-clock time)
    assert.deepEqual(
      stripTime(join(splitDir, "metrics.jsonl")),
      stripTime(join(straightDir, "metrics.jsonl")),
    );
    // and the final checkpoints hold the same tensors
    const fa = readSafetensors(join(straightDir, `checkpoint-${TOTAL}`, "optimizer.safetensors"));
    const fb = readSafetensors(join(splitDir, `checkpoint-${TOTAL}`, "optimizer.safetensors"));
    assert.deepEqual(fb.tensors, fa.tensors);
    assert.deepEqual(Object.keys(fa.tensors).sort(), ["count", "mu.b", "mu.w", "nu.b", "nu.w"]);
    // and it learned something: the loss fell to under a quarter of its first window
    const losses = readMetrics(join(straightDir, "metrics.jsonl")).map((l) => l.loss as number);
    assert.ok(losses[losses.length - 1] < losses[0] / 4, `losses ${losses}`);
  });

  test("metrics.jsonl has one line per logEvery steps, with means, plus eval lines", async () => {
    const dir = join(root, "metrics");
    const r = await runTraining({
      ...makeTask(),
      outDir: dir,
      totalSteps: 10,
      logEvery: 4,
      evalEvery: 5,
      evaluate: async () => ({ loss: 0.5 }),
      bestMetric: { name: "eval_loss", mode: "min" },
      verbose: false,
    });
    const lines = readMetrics(join(dir, "metrics.jsonl"));
    const train = lines.filter((l) => "loss" in l);
    const evals = lines.filter((l) => "eval_loss" in l);
    assert.deepEqual(
      train.map((l) => l.step),
      [4, 8, 10],
    );
    assert.deepEqual(
      evals.map((l) => l.step),
      [5, 10],
    );
    for (const l of lines) {
      assert.ok(typeof l.time === "number" && l.time > 1.7e9);
      assert.ok(typeof l.epoch === "number");
    }
    // lr is the mean over steps 0..3 of the schedule: (0 + 1/3 + 2/3 + 1)·0.1 / 4
    assert.ok(Math.abs((train[0].lr as number) - 0.05) < 1e-9);
    assert.deepEqual(r.bestMetric, { name: "eval_loss", value: 0.5, step: 5 });
    assert.deepEqual(
      listCheckpoints(dir).map((c) => c.step),
      [10],
    );
  });

  test("resuming a finished run (killed after its final save) does not evaluate or log again", async () => {
    const dir = join(root, "finished");
    let evals = 0;
    const opts = {
      outDir: dir,
      totalSteps: 6,
      logEvery: 3,
      evaluate: async () => {
        evals++;
        return { loss: 0.25 };
      },
      verbose: false,
    };
    await runTraining({ ...makeTask(), ...opts });
    const again = await runTraining({ ...makeTask(), ...opts, resume: true });
    assert.equal(evals, 1);
    assert.deepEqual(again.lastEval, { eval_loss: 0.25 });
    const lines = readMetrics(join(dir, "metrics.jsonl"));
    assert.equal(lines.filter((l) => "eval_loss" in l).length, 1);
  });

  test("SIGINT: the step in flight finishes, a checkpoint is saved, Interrupted says how to continue", async () => {
    const dir = join(root, "sigint");
    await assert.rejects(
      runTraining({
        ...makeTask({ onStep: (i) => i === 3 && process.emit("SIGINT", "SIGINT") }),
        outDir: dir,
        totalSteps: 8,
        verbose: false,
      }),
      (e: unknown) =>
        e instanceof Interrupted &&
        e.exitCode === 130 &&
        e.message ===
          `SIGINT: stopped at step 4/8, checkpoint saved in ${join(dir, "checkpoint-4")}; run the same command again to continue from it`,
    );
    assert.equal(latestCheckpoint(dir), join(dir, "checkpoint-4"));
    assert.equal(process.listenerCount("SIGINT"), 0, "the handler is removed");
    const r = await runTraining({ ...makeTask(), outDir: dir, totalSteps: 8, verbose: false });
    assert.equal(r.startStep, 4);
    assert.equal(r.status, "completed");
  });

  test("resume off deletes the checkpoints already there; the config is recorded", async () => {
    const dir = join(root, "no-resume");
    await runTraining({
      ...makeTask(),
      outDir: dir,
      totalSteps: 6,
      saveEvery: 2,
      verbose: false,
      config: { lr: 1 },
    });
    assert.deepEqual(
      listCheckpoints(dir).map((c) => c.step),
      [2, 4, 6],
    );
    const st = loadCheckpoint(join(dir, "checkpoint-6"), makeTask().init().params);
    assert.deepEqual(st.trainerState.config, { lr: 1 });
    const r = await runTraining({
      ...makeTask(),
      outDir: dir,
      totalSteps: 3,
      verbose: false,
      resume: false,
    });
    assert.equal(r.startStep, 0);
    // none of the earlier run's checkpoints is left to be taken for this run's latest
    assert.deepEqual(
      listCheckpoints(dir).map((c) => c.step),
      [3],
    );
  });

  test("incomplete checkpoint directories are ignored on resume", async () => {
    const dir = join(root, "incomplete");
    const ctl = new AbortController();
    await runTraining({
      ...makeTask({ onStep: (i) => i === 4 && ctl.abort() }),
      outDir: dir,
      totalSteps: 8,
      verbose: false,
      signal: ctl.signal,
    });
    assert.equal(latestCheckpoint(dir), join(dir, "checkpoint-5"));
    // a save killed before its rename, one killed half-way through a hand copy, one with a wrong step
    mkdirSync(join(dir, ".checkpoint-7.tmp-123-abcd"));
    writeFileSync(join(dir, ".checkpoint-7.tmp-123-abcd", "model.safetensors"), "junk");
    mkdirSync(join(dir, "checkpoint-6"));
    writeFileSync(join(dir, "checkpoint-6", "model.safetensors"), "junk");
    mkdirSync(join(dir, "checkpoint-7"));
    for (const f of ["model.safetensors", "optimizer.safetensors"])
      writeFileSync(join(dir, "checkpoint-7", f), "x");
    writeFileSync(join(dir, "checkpoint-7", "trainer_state.json"), '{"step": 3}');
    mkdirSync(join(dir, "checkpoint-9"));
    writeFileSync(join(dir, "checkpoint-9", "trainer_state.json"), '{"step": 9');
    assert.equal(latestCheckpoint(dir), join(dir, "checkpoint-5"));
    const r = await runTraining({
      ...makeTask(),
      outDir: dir,
      totalSteps: 8,
      verbose: false,
      resume: true,
    });
    assert.equal(r.startStep, 5);
    assert.equal(r.step, 8);
    assert.ok(!existsSync(join(dir, ".checkpoint-7.tmp-123-abcd")), "leftover temp dir is cleaned");
  });

  test("a non-finite loss stops with an error naming the step, or is skipped and counted", async () => {
    await assert.rejects(
      runTraining({
        ...makeTask({ nanAt: 3 }),
        outDir: join(root, "nan"),
        totalSteps: 6,
        verbose: false,
      }),
      (err: unknown) =>
        err instanceof NonFiniteLossError && err.step === 4 && /step 4/.test(err.message),
    );
    const r = await runTraining({
      ...makeTask({ nanAt: 3 }),
      outDir: join(root, "nan-skip"),
      totalSteps: 6,
      verbose: false,
      onNonFinite: "skip",
    });
    assert.equal(r.skipped, 1);
    assert.equal(r.step, 6);
    assert.equal((await r.state.opt.count.ref.data())[0], 5); // 6 steps, one rolled back
  });
});

describe("checkpoints", () => {
  test("keeps the last K and loads back into a template", async () => {
    const dir = join(root, "keep");
    const params = {
      layer: [
        {
          w: np.array([
            [1, 2],
            [3, 4],
          ]),
        },
      ],
    };
    const optState = {
      count: np.array(5, { dtype: np.int32 }),
      mu: { layer: [{ w: np.zeros([2, 2]) }] },
    };
    for (const step of [10, 20, 30]) {
      await saveCheckpoint(dir, {
        params,
        optState,
        trainerState: { step, host: { rng: step } },
        keep: 2,
      });
    }
    assert.deepEqual(readdirSync(dir).sort(), ["checkpoint-20", "checkpoint-30"]);
    const back = loadCheckpoint(join(dir, "checkpoint-30"), params, optState);
    assert.deepEqual(await back.params.layer[0].w.data(), new Float32Array([1, 2, 3, 4]));
    assert.deepEqual(await back.optState.count.data(), new Int32Array([5]));
    assert.equal(back.trainerState.step, 30);
    assert.deepEqual(back.trainerState.host, { rng: 30 });
    back.optState.mu.layer[0].w.dispose();
  });
});

describe("checkpoints under kill -9", () => {
  test("a process killed while saving leaves only complete checkpoints", async () => {
    const dir = join(root, "killed");
    for (const delayMs of [150, 400]) {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", "test/fixtures/checkpoint-writer.ts", dir],
        {
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
      await new Promise<void>((resolve, reject) => {
        child.stdout.on("data", () => resolve());
        child.on("exit", (code) => reject(new Error(`writer exited early (${code})`)));
      });
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill("SIGKILL");
      await new Promise((r) => child.on("exit", r));
      const all = listCheckpoints(dir);
      assert.ok(all.length >= 1);
      for (const { dir: ck, step } of all) {
        const back = loadCheckpoint(
          ck,
          { w: np.zeros([512, 512]) },
          { count: np.zeros([], { dtype: np.int32 }) },
        );
        const w = await back.params.w.data();
        assert.ok(w[0] === step && w[w.length - 1] === step, `${ck} holds step ${w[0]}`);
        assert.equal((await back.optState.count.data())[0], step);
      }
    }
  });
});

describe("progress", () => {
  test("plain mode prints one line per interval; TTY mode redraws in place", () => {
    let t = 0;
    const out: string[] = [];
    const stream = { write: (s: string) => out.push(s), isTTY: false };
    const bar = new ProgressBar({
      total: 100,
      label: "sft",
      stream,
      everySeconds: 10,
      now: () => t,
    });
    for (let s = 1; s <= 100; s++) {
      t += 500; // 2 it/s
      bar.update(s, { loss: 1 / s });
    }
    bar.done();
    assert.equal(out.length, 5 + 1); // at 10 s, 20 s, ... 50 s, plus the final line
    assert.match(out[0], /^sft {2}20\/100 \(20%\) {2}2\.00 it\/s {2}ETA 0:40 {2}loss=0\.05\n$/);
    assert.match(out[5], /100\/100 \(100%\)/);
    const tty: string[] = [];
    const bar2 = new ProgressBar({
      total: 10,
      stream: { write: (s: string) => tty.push(s), isTTY: true, columns: 80 },
      now: () => t,
    });
    for (let s = 1; s <= 10; s++) {
      t += 200;
      bar2.update(s);
    }
    assert.ok(tty.length >= 10 && tty.every((s) => s.startsWith("\r\x1b[K") && !s.endsWith("\n")));
    assert.match(tty[tty.length - 1], /\[#{20}\] +10\/10/);
  });
});
