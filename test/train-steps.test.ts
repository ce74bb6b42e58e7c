import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { collatePairs } from "../src/data/preference-collate.js";
import { initEngine } from "../src/engine/init.js";
import { numpy as np, random } from "../src/engine/jax.js";
import { refTree } from "../src/engine/pytree.js";
import { HostRng, makeKey } from "../src/engine/random.js";
import { defaultDiffusionConfig, initDiffusion } from "../src/models/diffusion/model.js";
import { makeSchedule } from "../src/models/diffusion/schedule.js";
import { sequenceLogProbs } from "../src/models/lm/logprobs.js";
import { packedArrays } from "../src/models/lm/pair-logprobs.js";
import { packPairs } from "../src/models/lm/pair-pack.js";
import { initParams } from "../src/models/lm/params.js";
import { dpoLoss } from "../src/objectives/dpo.js";
import { diffusionDpoBatch, makeDiffusionDpoStep } from "../src/pipelines/diffusion-dpo-step.js";
import { makeDpoStep } from "../src/pipelines/dpo-step.js";
import { adamw } from "../src/train/optimizer.js";
import { tinyGPT2 } from "./lm-reference.js";

before(async () => {
  await initEngine();
});

const LN2 = Math.log(2);

describe("compiled preference steps", () => {
  it("DPO step: loss = dpoLoss of the concatenated forward; training on one batch lowers it", async () => {
    const c = tinyGPT2;
    const rng = new HostRng(5);
    const toks = (n: number) => Array.from({ length: n }, () => rng.int(c.vocabSize));
    const pairs = [0, 1, 2].map((i) => ({
      prompt: toks(2 + i),
      chosen: toks(3),
      rejected: toks(1 + i),
    }));
    let params = initParams(c, makeKey(1));
    // an independent route: the plain concatenated forward and dpoLoss, reference ≠ policy
    const refC = np.array([-9, -8.5, -10]);
    const refR = np.array([-4, -6, -3.5]);
    const plain = collatePairs(pairs);
    const lp = sequenceLogProbs(
      c,
      refTree(params),
      np.array(plain.ids, { dtype: np.int32 }).reshape([plain.B, plain.T]),
      np.array(plain.mask).reshape([plain.B, plain.T]),
    );
    const want = dpoLoss(
      {
        policyChosenLogps: lp.ref.slice([0, 3]),
        policyRejectedLogps: lp.slice([3, 6]),
        refChosenLogps: refC.ref,
        refRejectedLogps: refR.ref,
      },
      { beta: 0.1 },
    );
    const wantLoss = (await want.loss.data())[0];
    const opt = adamw({ learningRate: 1e-2, weightDecay: 0 });
    let state = opt.init(refTree(params));
    const step = makeDpoStep(c, opt, { beta: 0.1 });
    const batch = packPairs(pairs);
    const losses: number[] = [];
    for (let s = 0; s < 4; s++) {
      const r = step(
        params,
        {},
        state,
        packedArrays(batch),
        refC.ref,
        refR.ref,
        np.array(1e-2, { dtype: np.float32 }),
      );
      params = r.params;
      state = r.state;
      r.gradNorm.dispose();
      for (const a of Object.values(r.aux)) a.dispose();
      losses.push((await r.loss.data())[0]);
    }
    assert.ok(Math.abs(losses[0] - wantLoss) < 1e-5, `${losses[0]} vs ${wantLoss}`);
    assert.ok(losses[3] < losses[0], `loss ${losses.join(" → ")} did not fall`);
    step.dispose();
  });

  it("Diffusion-DPO step: ln 2 while policy = reference; training on one batch lowers it", async () => {
    const config = defaultDiffusionConfig({
      unet: { channels: [8, 16], condDim: 16, groups: 4 },
    });
    config.text = { ...config.text, dim: 16, layers: 1, heads: 2, outDim: 16 };
    const { unet: u0, text } = initDiffusion(makeKey(0), config);
    const refUnet = refTree(u0);
    let unet = u0;
    const opt = adamw({ learningRate: 1e-3, weightDecay: 0 });
    let state = opt.init(refTree(unet));
    const schedule = makeSchedule("linear", config.schedule.T);
    const n = 2;
    const S = config.imageSize;
    const winner = np.tanh(random.normal(random.key(1), [n, S, S, 1]));
    const loser = np.tanh(random.normal(random.key(2), [n, S, S, 1]));
    const tokens = np
      .array(new Int32Array(n * config.text.maxLen).fill(3), {
        dtype: np.int32,
      })
      .reshape([n, config.text.maxLen]);
    // the same noise and timesteps every step
    const batch = diffusionDpoBatch(schedule, winner, loser, tokens, makeKey(3), new HostRng(0));
    const step = makeDiffusionDpoStep(config, opt, { beta: 500 });
    const losses: number[] = [];
    let acc0 = -1;
    for (let s = 0; s < 3; s++) {
      const r = step(
        unet,
        state,
        refTree(refUnet),
        refTree(text),
        refTree(batch),
        np.array(1e-3, { dtype: np.float32 }),
      );
      unet = r.unet;
      state = r.state;
      r.gradNorm.dispose();
      if (s === 0) acc0 = (await r.aux.implicit_accuracy.ref.data())[0];
      for (const a of Object.values(r.aux)) a.dispose();
      losses.push((await r.loss.data())[0]);
    }
    assert.ok(Math.abs(losses[0] - LN2) < 1e-6, `first loss ${losses[0]} ≠ ln 2`);
    assert.equal(acc0, 0, "inside = 0 is not a correct ranking");
    assert.ok(losses[2] < losses[0], `loss ${losses.join(" → ")} did not fall`);
    step.dispose();
  });
});
