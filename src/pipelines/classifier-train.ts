/**
 * Trains the MNIST digit classifier (the judge of generated digits) with
 * cross-entropy −log softmax(f(x))_y, AdamW, and random ±2-pixel shifts as
 * augmentation, on the shared training loop; reports held-out accuracy on
 * the held-out split.
 */

import { type DigitImages, loadMnistSplit, PIXELS } from "../data/mnist.js";
import { jit, nn, numpy as np, tree, valueAndGrad } from "../engine/jax.js";
import { disposeTree, refTree } from "../engine/pytree.js";
import { HostRng, makeKey } from "../engine/random.js";
import {
  type ClassifierParams,
  classifierLogits,
  type DigitClassifier,
  defaultClassifierConfig,
  initClassifier,
  predictDigits,
  saveClassifier,
} from "../models/vision/digit-classifier.js";
import { type AdamState, adamw } from "../train/optimizer.js";
import { loopOptions, stripUndefined, type TrainRunOptions } from "../train/run-options.js";
import { cosineWarmup } from "../train/schedules.js";
import { paramsAndOpt, rngHost, runTraining } from "../train/trainer.js";

export const CLASSIFIER_TRAIN_DEFAULTS = {
  steps: 1200,
  batchSize: 64,
  lr: 2e-3,
  seed: 0,
};

type State = { params: ClassifierParams; opt: AdamState<ClassifierParams>; rng: HostRng };

/** Copies image i shifted by (dx, dy) with zero fill into out at offset. */
function shifted(
  src: Float32Array,
  out: Float32Array,
  offset: number,
  dx: number,
  dy: number,
): void {
  for (let y = 0; y < 28; y++) {
    const sy = y - dy;
    for (let x = 0; x < 28; x++) {
      const sx = x - dx;
      out[offset + y * 28 + x] = sy >= 0 && sy < 28 && sx >= 0 && sx < 28 ? src[sy * 28 + sx] : 0;
    }
  }
}

export async function heldOutAccuracy(model: DigitClassifier, test: DigitImages): Promise<number> {
  const pred = await predictDigits(model, test.pixels);
  let ok = 0;
  for (let i = 0; i < test.n; i++) if (pred[i] === test.labels[i]) ok++;
  return ok / test.n;
}

/** Trains the digit classifier into `out`; see the module doc. */
export async function runClassifierTrain(
  opts: TrainRunOptions,
): Promise<{ status: "completed" | "interrupted"; accuracy: number; seconds: number }> {
  const o = { ...CLASSIFIER_TRAIN_DEFAULTS, ...stripUndefined(opts), out: opts.out };
  const { steps, seed, batchSize: B } = o;
  const config = defaultClassifierConfig();
  const { train, test } = loadMnistSplit();
  const opt = adamw({
    learningRate: cosineWarmup({
      peak: o.lr,
      warmupSteps: Math.min(50, Math.floor(steps / 10)),
      totalSteps: steps,
    }),
    weightDecay: 1e-4,
    maxGradNorm: 1,
  });
  const lossFn = (p: ClassifierParams, x: np.Array, y: np.Array) => {
    const logp = nn.logSoftmax(classifierLogits(p, x), -1);
    return np.mean(np.sum(logp.mul(y), -1)).mul(-1);
  };
  const trainStep = jit(
    (
      p: ClassifierParams,
      st: AdamState<ClassifierParams>,
      x: np.Array,
      y: np.Array,
      lr: np.Array,
    ) => {
      const [loss, grads] = valueAndGrad(lossFn)(tree.ref(p), x, y);
      const r = opt.step(p, grads, st, lr);
      r.gradNorm.dispose();
      return { loss, params: r.params, opt: r.state };
    },
  );
  const result = await runTraining<State>({
    ...loopOptions(o, "classifier", steps),
    keepCheckpoints: 1,
    init: () => {
      const params = initClassifier(makeKey(seed), config);
      return { params, opt: opt.init(refTree(params)), rng: new HostRng(seed + 12345) };
    },
    step: async (s, step) => {
      const x = new Float32Array(B * PIXELS);
      const y = new Float32Array(B * 10);
      for (let b = 0; b < B; b++) {
        const i = s.rng.int(train.n);
        shifted(
          train.pixels.subarray(i * PIXELS, (i + 1) * PIXELS),
          x,
          b * PIXELS,
          s.rng.int(5) - 2,
          s.rng.int(5) - 2,
        );
        y[b * 10 + train.labels[i]] = 1;
      }
      const out = trainStep(
        s.params,
        s.opt,
        np.array(x).reshape([B, 28, 28, 1]),
        np.array(y).reshape([B, 10]),
        np.array(opt.learningRate(step), { dtype: np.float32 }),
      );
      s.params = out.params;
      s.opt = out.opt;
      return { loss: (await out.loss.data())[0] };
    },
    ...paramsAndOpt<State>(rngHost<State>()),
  });
  const model: DigitClassifier = { config, params: result.state.params };
  let accuracy = Number.NaN;
  if (result.status === "completed") {
    accuracy = await heldOutAccuracy(model, test);
    model.config = { ...config, heldOutAccuracy: accuracy };
    await saveClassifier(o.out, model);
  }
  disposeTree(result.state.params);
  disposeTree(result.state.opt);
  return { status: result.status, accuracy, seconds: result.seconds };
}
