/**
 * DPO+SFT for Diffusion-DPO (`sftWeight` γ): at policy = reference the loss
 * is ln 2 + γ·mean err(x_w) in closed form; and with β → 0 the preference
 * part has no gradient, so one DPO+SFT step (γ = 1) must move the UNet
 * exactly as the separately written SFT-on-winners step does.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { numpy as np } from "../../src/engine/jax.js";
import { disposeTree, flattenNamed, refTree } from "../../src/engine/pytree.js";
import { HostRng, makeKey } from "../../src/engine/random.js";
import {
  type DiffusionModel,
  defaultDiffusionConfig,
  initDiffusion,
} from "../../src/models/diffusion/model.js";
import { makeSchedule } from "../../src/models/diffusion/schedule.js";
import { tokenize } from "../../src/models/diffusion/tokenizer.js";
import {
  type DiffusionDpoBatch,
  type DiffusionDpoStepFn,
  diffusionDpoBatchFromHost,
  makeDiffusionDpoStep,
  makeDiffusionSftStep,
} from "../../src/pipelines/diffusion-dpo-step.js";
import { type Adamw, adamw } from "../../src/train/optimizer.js";
import { setup } from "../helpers.js";

const S = 28;
const P = S * S;

function tinyModel(): DiffusionModel {
  const config = defaultDiffusionConfig({ unet: { channels: [8, 16], condDim: 16, groups: 4 } });
  config.text = { ...config.text, dim: 16, layers: 1, heads: 2, outDim: 16 };
  return { config, params: initDiffusion(makeKey(3), config) };
}

/** A fixed batch of n pairs: winners a bar, losers random specks; the same noise each call. */
function fixedBatch(m: DiffusionModel, n: number) {
  const rng = new HostRng(9);
  const w = new Float32Array(n * P).fill(-1);
  const l = new Float32Array(n * P);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < P; k++) {
      const y = Math.floor(k / S);
      const x = k % S;
      if (y >= 6 && y < 22 && x >= 12 && x < 16) w[i * P + k] = 1;
      l[i * P + k] = rng.next() < 0.1 ? 1 : -1;
    }
  const tok = Int32Array.from(
    tokenize(
      Array.from({ length: n }, (_, i) => `a thin ${i}`),
      m.config.vocab,
      m.config.text.maxLen,
    ),
  );
  const schedule = makeSchedule("linear", m.config.schedule.T);
  return () => diffusionDpoBatchFromHost(schedule, w, l, tok, n, S, new HostRng(21));
}

/** One step from the model's own UNet (policy = reference) at lr 1e-3 on the fixed batch. */
function stepOnce(
  step: DiffusionDpoStepFn,
  m: DiffusionModel,
  opt: Adamw,
  batch: () => DiffusionDpoBatch,
) {
  const unet = refTree(m.params.unet);
  return step(
    unet,
    opt.init(refTree(unet)),
    refTree(m.params.unet),
    refTree(m.params.text),
    batch(),
    np.array(1e-3, { dtype: np.float32 }),
  );
}

async function num(a: np.Array): Promise<number> {
  return Number((await a.data())[0]);
}

/** The tree's leaves as host arrays, in a fixed (name) order; lends the tree. */
async function hostLeaves(t: object): Promise<Float32Array[]> {
  const named = flattenNamed(t);
  return Promise.all(
    Object.keys(named)
      .sort()
      .map(async (k) => Float32Array.from((await named[k].ref.data()) as ArrayLike<number>)),
  );
}

before(setup);

describe("Diffusion-DPO with an SFT term on the winners", () => {
  it("at policy = reference the loss is ln 2 + γ·mse_w", async () => {
    const m = tinyModel();
    const batch = fixedBatch(m, 4);
    const opt = adamw({ learningRate: 1e-3, weightDecay: 0 });
    const gamma = 40;
    const step = makeDiffusionDpoStep(m.config, opt, { beta: 2500, sftWeight: gamma });
    const r = stepOnce(step, m, opt, batch);
    const loss = await num(r.loss);
    const dpo = await num(r.aux.dpo_loss);
    const mseW = await num(r.aux.mse_w);
    for (const [k, v] of Object.entries(r.aux)) if (k !== "dpo_loss" && k !== "mse_w") v.dispose();
    r.gradNorm.dispose();
    disposeTree(r.unet);
    disposeTree(r.state);
    step.dispose();
    assert.ok(Math.abs(dpo - Math.log(2)) < 1e-4, `DPO part ${dpo} ≠ ln 2`);
    assert.ok(mseW > 0.01, `winners' error ${mseW}`);
    assert.ok(
      Math.abs(loss - (Math.log(2) + gamma * mseW)) < 1e-4 * gamma,
      `loss ${loss} ≠ ln 2 + ${gamma}·${mseW}`,
    );
  });

  it("with β → 0 one DPO+SFT step (γ = 1) equals one SFT-on-winners step", async () => {
    const m = tinyModel();
    const batch = fixedBatch(m, 4);
    const opt = adamw({ learningRate: 1e-3, weightDecay: 0 });
    const run = async (kind: "dpo+sft" | "sft") => {
      const step =
        kind === "sft"
          ? makeDiffusionSftStep(m.config, opt)
          : makeDiffusionDpoStep(m.config, opt, { beta: 1e-9, sftWeight: 1 });
      const r = stepOnce(step, m, opt, batch);
      const leaves = await hostLeaves(r.unet);
      r.loss.dispose();
      r.gradNorm.dispose();
      for (const v of Object.values(r.aux)) v.dispose();
      disposeTree(r.unet);
      disposeTree(r.state);
      step.dispose();
      return leaves;
    };
    const a = await run("dpo+sft");
    const b = await run("sft");
    const base = await hostLeaves(m.params.unet);
    assert.equal(a.length, b.length);
    let moved = 0;
    let worst = 0;
    a.forEach((leaf, i) => {
      for (let k = 0; k < leaf.length; k++) {
        moved = Math.max(moved, Math.abs(b[i][k] - base[i][k]));
        worst = Math.max(worst, Math.abs(leaf[k] - b[i][k]));
      }
    });
    assert.ok(moved > 5e-4, `the SFT step moved the UNet by only ${moved}`);
    assert.ok(worst < 1e-5, `DPO+SFT (β → 0) and SFT steps differ by ${worst}`);
  });
});
