import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { initEngine } from "../src/engine/init.js";
import { numpy as np, tree } from "../src/engine/jax.js";
import { refTree } from "../src/engine/pytree.js";
import { HostRng, makeKey } from "../src/engine/random.js";
import { packedArrays } from "../src/models/lm/pair-logprobs.js";
import { packPairs } from "../src/models/lm/pair-pack.js";
import { initParams, type LMParams } from "../src/models/lm/params.js";
import { dpoPairObjective, makeDpoStep } from "../src/pipelines/dpo-step.js";
import { makeAccumulatedStep, splitMicroBatches } from "../src/train/gradient-accumulation.js";
import { adamw } from "../src/train/optimizer.js";
import { tinyGPT2 } from "./lm-reference.js";

before(async () => {
  await initEngine();
});

const leaves = async (t: unknown) =>
  Promise.all((tree.leaves(t as never) as np.Array[]).map(async (x) => [...(await x.data())]));

describe("gradient accumulation", () => {
  it("splits into k near-equal consecutive micro-batches", () => {
    assert.deepEqual(splitMicroBatches([1, 2, 3, 4, 5], 2), [
      [1, 2, 3],
      [4, 5],
    ]);
    assert.deepEqual(splitMicroBatches([1, 2], 4), [[1], [2]]);
  });

  it("DPO: 2 micro-batches of 2 pairs give the update, loss and metrics of one batch of 4", async () => {
    const c = tinyGPT2;
    const rng = new HostRng(11);
    const toks = (n: number) => Array.from({ length: n }, () => rng.int(c.vocabSize));
    // unequal prompt and completion lengths: the micro-batches pad differently
    const pairs = [0, 1, 2, 3].map((i) => ({
      prompt: toks(2 + i),
      chosen: toks(3 + (i % 2)),
      rejected: toks(1 + i),
    }));
    const refC = [-9, -8.5, -10, -7];
    const refR = [-4, -6, -3.5, -5];
    const opt = adamw({ learningRate: 1e-2, weightDecay: 0.01, maxGradNorm: 1 });
    const lossOpts = { beta: 0.1 };
    const lr = () => np.array(1e-2, { dtype: np.float32 });

    const p0 = initParams(c, makeKey(3));
    // one batch of 4
    const whole = makeDpoStep(c, opt, lossOpts);
    const a = whole(
      refTree(p0),
      {},
      opt.init(refTree(p0)),
      packedArrays(packPairs(pairs)),
      np.array(refC),
      np.array(refR),
      lr(),
    );
    // 2 × 2, accumulated
    const acc = makeAccumulatedStep(
      (p: LMParams, _f: Record<string, never>, batch, rc: np.Array, rr: np.Array) =>
        dpoPairObjective(c, p, batch as ReturnType<typeof packedArrays>, rc, rr, lossOpts),
      opt,
    );
    const micro = splitMicroBatches([0, 1, 2, 3], 2).map((idx) => ({
      args: [
        packedArrays(packPairs(idx.map((i) => pairs[i]))),
        np.array(idx.map((i) => refC[i])),
        np.array(idx.map((i) => refR[i])),
      ] as [ReturnType<typeof packedArrays>, np.Array, np.Array],
      weight: idx.length / pairs.length,
    }));
    const b = acc(refTree(p0), () => ({}), opt.init(refTree(p0)), micro, lr());
    tree.dispose(p0 as never);

    const close = (x: number, y: number, tol: number, what: string) =>
      assert.ok(Math.abs(x - y) <= tol * (1 + Math.abs(y)), `${what}: ${x} vs ${y}`);
    close((await b.loss.data())[0], (await a.loss.data())[0], 1e-5, "loss");
    close((await b.gradNorm.data())[0], (await a.gradNorm.data())[0], 1e-4, "grad norm");
    for (const k of Object.keys(a.aux))
      close((await b.aux[k].data())[0], (await a.aux[k].data())[0], 1e-5, k);
    const pa = await leaves(a.params);
    const pb = await leaves(b.params);
    let maxDiff = 0;
    let moved = 0;
    const p1 = await leaves(initParams(c, makeKey(3)));
    for (const [i, xs] of pa.entries())
      for (const [j, x] of xs.entries()) {
        maxDiff = Math.max(maxDiff, Math.abs(x - pb[i][j]));
        moved = Math.max(moved, Math.abs(x - p1[i][j]));
      }
    // the update moved weights by ~lr; the two routes agree far below that
    assert.ok(moved > 5e-3, `the update moved the weights by ${moved}`);
    assert.ok(maxDiff < 1e-5, `params differ by ${maxDiff}`);
    tree.dispose([a.state, b.state] as never);
    whole.dispose();
    acc.dispose();
  });
});
