/**
 * The digit classifier, judge of the text-to-digit world: a small CNN on
 * 28×28 white-on-black images (NHWC), p(y | x) = softmax(f(x)) with
 * f = dense ∘ relu ∘ dense ∘ flatten ∘ [pool ∘ relu ∘ conv3×3]×2.
 * Saved as config.json + model.safetensors.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../../engine/atomic.js";
import { UserError } from "../../engine/errors.js";
import { jit, nn, numpy as np } from "../../engine/jax.js";
import { disposeTree, refTree } from "../../engine/pytree.js";
import { makeKey, splitKey } from "../../engine/random.js";
import { loadParams, saveParams } from "../../engine/safetensors.js";
import { type Conv2dParams, type ConvPass, conv2d, initConv2d } from "../../nn/conv2d.js";
import { linear } from "../../nn/linear.js";
import { avgPool2x } from "../../nn/resample.js";
import { type DenseParams, initDense } from "../diffusion/dense.js";

export type ClassifierConfig = {
  modelType: "prefopt-digit-classifier";
  channels: [number, number];
  hidden: number;
  /** Held-out accuracy measured after training (informational). */
  heldOutAccuracy?: number;
};

export type ClassifierParams = {
  conv1: Conv2dParams;
  conv2: Conv2dParams;
  fc1: DenseParams;
  fc2: DenseParams;
};

export type DigitClassifier = { config: ClassifierConfig; params: ClassifierParams };

export function defaultClassifierConfig(): ClassifierConfig {
  return { modelType: "prefopt-digit-classifier", channels: [16, 32], hidden: 128 };
}

export function initClassifier(key: np.Array, cfg: ClassifierConfig): ClassifierParams {
  const [c1, c2] = cfg.channels;
  const ks = splitKey(key, 4);
  return {
    conv1: initConv2d(ks[0], 1, c1, 3, Math.SQRT2),
    conv2: initConv2d(ks[1], c1, c2, 3, Math.SQRT2),
    fc1: initDense(ks[2], 7 * 7 * c2, cfg.hidden, Math.SQRT2),
    fc2: initDense(ks[3], cfg.hidden, 10),
  };
}

/**
 * Logits [B, 10] for images x [B, 28, 28, 1] in [0, 1]. Consumes p and x.
 * `pass` picks the convolutions' fastest formulation (nn/conv2d.ts).
 */
export function classifierLogits(
  p: ClassifierParams,
  x: np.Array,
  pass: ConvPass = "training",
): np.Array {
  const B = x.shape[0];
  let h = avgPool2x(nn.relu(conv2d(p.conv1, x.sub(0.13).mul(1 / 0.31), 3, pass)));
  h = avgPool2x(nn.relu(conv2d(p.conv2, h, 3, pass)));
  const flat = h.reshape([B, -1]);
  return linear(nn.relu(linear(flat, p.fc1.weight, p.fc1.bias)), p.fc2.weight, p.fc2.bias);
}

const logitsJit = jit((p: ClassifierParams, x: np.Array) => classifierLogits(p, x, "inference"));

/** Class probabilities [n × 10] for n host images (n × 784 in [0, 1]). */
export async function classifyDigits(
  model: DigitClassifier,
  pixels: Float32Array,
  batchSize = 256,
): Promise<Float32Array> {
  const n = pixels.length / 784;
  const out = new Float32Array(n * 10);
  for (let s = 0; s < n; s += batchSize) {
    const m = Math.min(batchSize, n - s);
    const x = np.array(pixels.slice(s * 784, (s + m) * 784)).reshape([m, 28, 28, 1]);
    const probs = nn.softmax(logitsJit(refTree(model.params), x), -1);
    out.set((await probs.data()) as Float32Array, s * 10);
  }
  return out;
}

/** argmax class per image. */
export async function predictDigits(
  model: DigitClassifier,
  pixels: Float32Array,
): Promise<Int32Array> {
  const probs = await classifyDigits(model, pixels);
  const n = probs.length / 10;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let k = 1; k < 10; k++) if (probs[i * 10 + k] > probs[i * 10 + best]) best = k;
    out[i] = best;
  }
  return out;
}

export async function saveClassifier(dir: string, model: DigitClassifier): Promise<void> {
  mkdirSync(dir, { recursive: true });
  await saveParams(join(dir, "model.safetensors"), model.params);
  writeFileAtomic(join(dir, "config.json"), `${JSON.stringify(model.config, null, 2)}\n`);
}

export function loadClassifier(dir: string): DigitClassifier {
  const cfgPath = join(dir, "config.json");
  if (!existsSync(cfgPath))
    throw new UserError(`${cfgPath}: not found (expected a digit classifier directory)`);
  const config = JSON.parse(readFileSync(cfgPath, "utf8")) as ClassifierConfig;
  if (config.modelType !== "prefopt-digit-classifier") {
    throw new UserError(
      `${cfgPath}: field "modelType" is ${JSON.stringify(config.modelType)}, expected "prefopt-digit-classifier"`,
    );
  }
  const template = initClassifier(makeKey(0), config);
  const params = loadParams(join(dir, "model.safetensors"), template);
  disposeTree(template);
  return { config, params };
}
