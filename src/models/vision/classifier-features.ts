/**
 * The digit classifier's penultimate features, relu(fc1(·)) [B, hidden]: the
 * embedding a Fréchet distance between image sets is computed on (FID's
 * Inception pool features, in miniature).
 */
import { jit, nn, numpy as np } from "../../engine/jax.js";
import { refTree } from "../../engine/pytree.js";
import { conv2d } from "../../nn/conv2d.js";
import { linear } from "../../nn/linear.js";
import { avgPool2x } from "../../nn/resample.js";
import type { ClassifierParams, DigitClassifier } from "./digit-classifier.js";

/** Features [B, hidden] for images x [B, 28, 28, 1] in [0, 1] (the layers of `classifierLogits` up to fc1). Consumes p and x. */
export function classifierFeatureMap(p: ClassifierParams, x: np.Array): np.Array {
  const B = x.shape[0];
  let h = avgPool2x(nn.relu(conv2d(p.conv1, x.sub(0.13).mul(1 / 0.31), 3, "inference")));
  h = avgPool2x(nn.relu(conv2d(p.conv2, h, 3, "inference")));
  return nn.relu(linear(h.reshape([B, -1]), p.fc1.weight, p.fc1.bias));
}

const featuresJit = jit((p: ClassifierParams, x: np.Array) => classifierFeatureMap(p, x));

/** Host features (n × hidden) for n host images (n × 784 in [0, 1]). */
export async function classifierFeatures(
  model: DigitClassifier,
  pixels: Float32Array,
  batchSize = 256,
): Promise<Float32Array> {
  const n = pixels.length / 784;
  const H = model.config.hidden;
  const out = new Float32Array(n * H);
  for (let s = 0; s < n; s += batchSize) {
    const m = Math.min(batchSize, n - s);
    const x = np.array(pixels.slice(s * 784, (s + m) * 784)).reshape([m, 28, 28, 1]);
    out.set((await featuresJit(refTree(model.params), x).data()) as Float32Array, s * H);
  }
  return out;
}
