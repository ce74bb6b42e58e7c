/**
 * Trains the text-to-digit diffusion model (UNet + text encoder jointly) on
 * captioned MNIST with the ε-prediction loss E‖ε − ε_θ(√ᾱ_t x_0 + √(1−ᾱ_t) ε, t, c)‖²,
 * t uniform, caption dropout for classifier-free guidance, AdamW with warmup
 * and cosine decay, and an exponential moving average of the weights (the EMA
 * weights are what gets saved). All randomness comes from host generators
 * seeded by `seed`, so a run is reproducible.
 */
import { appendFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { measureSet, sampleCaptionedBatch } from "../data/digit-captions.js";
import { loadMnistSplit } from "../data/mnist.js";
import { jit, numpy as np, tree, valueAndGrad } from "../engine/jax.js";
import { countParams, disposeTree, refTree } from "../engine/pytree.js";
import { HostRng, makeKey } from "../engine/random.js";
import {
  type DiffusionConfig,
  type DiffusionParams,
  defaultDiffusionConfig,
  initDiffusion,
  predictNoise,
  saveDiffusion,
  textVectors,
} from "../models/diffusion/model.js";
import { makeSchedule, qCoefficients, qSample } from "../models/diffusion/schedule.js";
import { tokenize } from "../models/diffusion/tokenizer.js";
import { denoisingLoss } from "../objectives/denoising.js";

export type DiffusionTrainOptions = {
  outDir: string;
  steps?: number;
  batchSize?: number;
  learningRate?: number;
  warmup?: number;
  weightDecay?: number;
  emaDecay?: number;
  captionDropout?: number;
  attributeDropout?: number;
  seed?: number;
  config?: Partial<DiffusionConfig>;
  /** Called after every step with (step, loss, seconds per step). */
  onStep?: (step: number, loss: number, secPerStep: number) => void;
  /** Save an intermediate model every this many steps (0: only at the end). */
  saveEvery?: number;
};

type Adam = { m: DiffusionParams; v: DiffusionParams };

export async function trainDiffusion(
  opts: DiffusionTrainOptions,
): Promise<{ config: DiffusionConfig; seconds: number; finalLoss: number }> {
  const steps = opts.steps ?? 3000;
  const B = opts.batchSize ?? 32;
  const lr = opts.learningRate ?? 2e-3;
  const warmup = opts.warmup ?? 100;
  const wd = opts.weightDecay ?? 0;
  const emaDecay = opts.emaDecay ?? 0.995;
  const seed = opts.seed ?? 0;
  const config = defaultDiffusionConfig(opts.config);
  const schedule = makeSchedule(config.schedule.kind, config.schedule.T);
  const L = config.text.maxLen;
  const S = config.imageSize;
  mkdirSync(opts.outDir, { recursive: true });

  const data = measureSet(loadMnistSplit().train);
  const rng = new HostRng(seed * 7919 + 1);
  let params = initDiffusion(makeKey(seed), config);
  let ema = refTree(params);
  let adam: Adam = {
    m: mapZeros(params),
    v: mapZeros(params),
  };
  console.error(
    `diffusion: ${countParams(params)} parameters, ${data.n} training images, ${steps} steps of ${B}`,
  );

  const lossFn = (
    p: DiffusionParams,
    x0: np.Array,
    eps: np.Array,
    tok: np.Array,
    t: np.Array,
    a: np.Array,
    b: np.Array,
  ) => {
    const xt = qSample(x0, eps.ref, a, b);
    const text = textVectors(p.text, tok, config);
    const pred = predictNoise(p.unet, xt, t, text, config);
    return denoisingLoss(pred, eps);
  };
  const gradStep = jit(valueAndGrad(lossFn));
  const update = jit(
    (p: DiffusionParams, g: DiffusionParams, st: Adam, e: DiffusionParams, hp: np.Array) => {
      // hp = [lr, 1 − β1^k, 1 − β2^k, emaDecay]
      const lrNow = hp.ref.slice(0);
      const bc1 = hp.ref.slice(1);
      const bc2 = hp.ref.slice(2);
      const d = hp.slice(3);
      const b1 = 0.9;
      const b2 = 0.999;
      // global-norm clipping to 1
      const leaves = flat(g);
      let sq: np.Array = np.zeros([]);
      for (const x of leaves) sq = sq.add(np.sum(np.square(x.ref)));
      const scale = np.minimum(1, np.reciprocal(np.sqrt(sq).add(1e-6)));
      const out = {
        p: [] as np.Array[],
        m: [] as np.Array[],
        v: [] as np.Array[],
        e: [] as np.Array[],
      };
      const ps = flat(p);
      const ms = flat(st.m);
      const vs = flat(st.v);
      const es = flat(e);
      for (let i = 0; i < ps.length; i++) {
        const gi = leaves[i].mul(scale.ref);
        const m = ms[i].mul(b1).add(gi.ref.mul(1 - b1));
        const v = vs[i].mul(b2).add(np.square(gi).mul(1 - b2));
        const stepv = m.ref.div(bc1.ref).div(np.sqrt(v.ref.div(bc2.ref)).add(1e-8));
        let pi = ps[i].sub(stepv.mul(lrNow.ref));
        if (wd > 0) pi = pi.sub(pi.ref.mul(lrNow.ref.mul(wd)));
        const ei = es[i].mul(d.ref).add(pi.ref.mul(d.ref.mul(-1).add(1)));
        out.p.push(pi);
        out.m.push(m);
        out.v.push(v);
        out.e.push(ei);
      }
      scale.dispose();
      lrNow.dispose();
      bc1.dispose();
      bc2.dispose();
      d.dispose();
      return out;
    },
  );

  const metricsPath = join(opts.outDir, "metrics.jsonl");
  const t0 = performance.now();
  let last = t0;
  let finalLoss = Number.NaN;
  let avg = 0;
  for (let step = 1; step <= steps; step++) {
    const batch = sampleCaptionedBatch(data, B, rng, {
      captionDropout: opts.captionDropout ?? 0.1,
      attributeDropout: opts.attributeDropout ?? 0.2,
    });
    const epsHost = new Float32Array(B * S * S);
    for (let i = 0; i < epsHost.length; i++) epsHost[i] = rng.normal();
    const ts = new Int32Array(B);
    for (let i = 0; i < B; i++) ts[i] = rng.int(schedule.T);
    const { a, b } = qCoefficients(schedule, ts);
    const tok = tokenize(batch.captions, config.vocab, L);
    const [lossArr, grads] = gradStep(
      refTree(params),
      np.array(batch.pixels).reshape([B, S, S, 1]),
      np.array(epsHost).reshape([B, S, S, 1]),
      np.array(tok, { dtype: np.int32 }).reshape([B, L]),
      np.array(Float32Array.from(ts)),
      np.array(a),
      np.array(b),
    );
    const loss = (await lossArr.data())[0];
    const lrNow =
      lr *
      Math.min(1, step / warmup) *
      (0.5 * (1 + Math.cos((Math.PI * step) / steps)) * 0.95 + 0.05);
    const d = Math.min(emaDecay, (1 + step) / (10 + step));
    const hp = np.array(new Float32Array([lrNow, 1 - 0.9 ** step, 1 - 0.999 ** step, d]));
    const out = update(params, grads, adam, ema, hp);
    params = unflat(params, out.p);
    adam = { m: unflat(params, out.m), v: unflat(params, out.v) };
    ema = unflat(params, out.e);
    finalLoss = loss;
    avg = step === 1 ? loss : 0.98 * avg + 0.02 * loss;
    const now = performance.now();
    const sec = (now - last) / 1000;
    last = now;
    if (step % 10 === 0 || step === steps) {
      appendFileSync(
        metricsPath,
        `${JSON.stringify({ step, loss, loss_avg: avg, lr: lrNow, sec_per_step: sec, elapsed_s: (now - t0) / 1000 })}\n`,
      );
      // force the parameter update so memory never queues up
      await flat(params)[0].ref.data();
    }
    opts.onStep?.(step, loss, sec);
    if (opts.saveEvery && step % opts.saveEvery === 0 && step < steps) {
      await saveDiffusion(opts.outDir, { config, params: ema }, { step: String(step) });
    }
  }
  await saveDiffusion(
    opts.outDir,
    { config, params: ema },
    { step: String(steps), seed: String(seed) },
  );
  disposeTree(params);
  disposeTree(ema);
  disposeTree(adam);
  return { config, seconds: (performance.now() - t0) / 1000, finalLoss };
}

function flat(t: unknown): np.Array[] {
  return tree.leaves(t as tree.JsTree<np.Array>) as np.Array[];
}
function unflat<T>(like: T, leaves: np.Array[]): T {
  const [, def] = tree.flatten(like as tree.JsTree<np.Array>);
  return tree.unflatten(def, leaves) as T;
}
function mapZeros(t: DiffusionParams): DiffusionParams {
  return unflat(
    t,
    flat(t).map((x) => np.zeros(x.shape)),
  );
}
