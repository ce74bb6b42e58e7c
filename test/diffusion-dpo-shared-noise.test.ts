// Diffusion-DPO noises winner and loser with the same ε at the same timestep t (Wallace et al.;
// the lecture's "same noise and timestep"). The compiled step's loss and per-image errors are
// recomputed here independently, image by image, from x_t = √ᾱ_t·x_0 + √(1−ᾱ_t)·ε with the
// batch's one ε and t, against a reference network that differs from the policy — so a loser
// noised with −ε, another draw or another t gives other numbers.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { numpy as np, random } from "../src/engine/jax.js";
import { refTree } from "../src/engine/pytree.js";
import { HostRng, makeKey } from "../src/engine/random.js";
import {
  type DiffusionConfig,
  defaultDiffusionConfig,
  initDiffusion,
  predictNoise,
  textVectors,
} from "../src/models/diffusion/model.js";
import { makeSchedule } from "../src/models/diffusion/schedule.js";
import type { UNetParams } from "../src/models/diffusion/unet.js";
import { diffusionDpoBatch, makeDiffusionDpoStep } from "../src/pipelines/diffusion-dpo-step.js";
import { adamw } from "../src/train/optimizer.js";
import { assertClose, read, setup } from "./helpers.js";

const logSigmoid = (z: number) =>
  z >= 0 ? -Math.log1p(Math.exp(-z)) : z - Math.log1p(Math.exp(z));

/** A UNet whose zero-initialised output conv is given weights, so ε_θ depends on x_t. */
function withOutput(u: UNetParams, seed: number): UNetParams {
  u.convOut.weight.dispose();
  u.convOut.weight = random.normal(makeKey(seed), u.convOut.weight.shape).mul(0.4);
  return u;
}

describe("Diffusion-DPO step: winner and loser share ε and t", () => {
  before(setup);

  it("the step's loss and errors equal an image-by-image recomputation with the batch's ε and t", async () => {
    const config: DiffusionConfig = defaultDiffusionConfig({
      unet: { channels: [8, 16], condDim: 16, groups: 4 },
    });
    config.text = { ...config.text, dim: 16, layers: 1, heads: 2, outDim: 16 };
    const { unet: u0, text } = initDiffusion(makeKey(0), config);
    const unet = withOutput(u0, 11);
    const refUnet = withOutput(initDiffusion(makeKey(0), config).unet, 12);
    const schedule = makeSchedule("linear", config.schedule.T);
    const n = 2;
    const S = config.imageSize;
    const L = config.text.maxLen;
    const winner = np.tanh(random.normal(random.key(1), [n, S, S, 1]));
    const loser = np.tanh(random.normal(random.key(2), [n, S, S, 1]));
    const tokens = np.array(new Int32Array(n * L).fill(3), { dtype: np.int32 }).reshape([n, L]);
    const batch = diffusionDpoBatch(
      schedule,
      winner.ref,
      loser.ref,
      tokens.ref,
      makeKey(3),
      new HostRng(0),
    );
    const ts = read(batch.t.ref);
    assert.ok(ts[0] !== ts[1], "two different timesteps in the batch");

    // independent recomputation, one image at a time
    const beta = 3;
    const errOf = (u: UNetParams, x0: np.Array, i: number): number => {
      const ab = schedule.alphaBars[ts[i]];
      const eps = batch.noise.ref.slice([i, i + 1]);
      const xt = x0
        .slice([i, i + 1])
        .mul(Math.sqrt(ab))
        .add(eps.ref.mul(Math.sqrt(1 - ab)));
      const cond = textVectors(refTree(text), tokens.ref.slice([i, i + 1]), config);
      const pred = predictNoise(
        refTree(u),
        xt,
        np.array(new Int32Array([ts[i]]), { dtype: np.int32 }),
        cond,
        config,
      );
      const e = read(np.mean(np.square(pred.sub(eps))))[0];
      return e;
    };
    const want = { mseW: 0, mseL: 0, loss: 0 };
    for (let i = 0; i < n; i++) {
      const tw = errOf(unet, winner.ref, i);
      const tl = errOf(unet, loser.ref, i);
      const rw = errOf(refUnet, winner.ref, i);
      const rl = errOf(refUnet, loser.ref, i);
      want.mseW += tw / n;
      want.mseL += tl / n;
      want.loss += -logSigmoid(-beta * (tw - rw - (tl - rl))) / n;
    }

    const opt = adamw({ learningRate: 1e-3, weightDecay: 0 });
    const state = opt.init(refTree(unet));
    const step = makeDiffusionDpoStep(config, opt, { beta });
    const r = step(
      unet,
      state,
      refTree(refUnet),
      refTree(text),
      batch,
      np.array(1e-3, { dtype: np.float32 }),
    );
    const loss = read(r.loss)[0];
    const mseW = read(r.aux.mse_w)[0];
    const mseL = read(r.aux.mse_l)[0];
    assertClose(mseW, want.mseW, 1e-4, "policy error of the winners");
    assertClose(mseL, want.mseL, 1e-4, "policy error of the losers");
    assertClose(loss, want.loss, 1e-4, "Diffusion-DPO loss");
    // the reference differs from the policy, so the loss is not the trivial ln 2
    assert.ok(Math.abs(loss - Math.LN2) > 1e-3, `loss ${loss} is ln 2`);
    step.dispose();
    winner.dispose();
    loser.dispose();
    tokens.dispose();
  });
});
