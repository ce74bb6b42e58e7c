/**
 * Random language-model weights made on the host, for shapes whose in-engine initialisation
 * does not fit the heap (bench/gpt2-checkpoint.ts writes them to a checkpoint, the DPO and
 * memory benchmarks build their model from them: `benchParams`).
 */
import { makeKey } from "../src/engine/random.js";
import type { LMConfig } from "../src/models/lm/config.js";
import { type F32Tensor, paramsFromHF, tensorSpecs } from "../src/models/lm/hf-tensors.js";
import { initParams, type LMParams } from "../src/models/lm/params.js";

/**
 * Random weights made on the host, tensor by tensor in `tensorSpecs(c)` order (Hugging Face
 * names and layouts), for shapes whose in-engine initialisation exceeds the heap (the engine's
 * eager random.normal over a 151936 × 896 embedding holds several copies at once): norm gains
 * (LayerNorm and RMSNorm) 1, biases 0, the rest uniform with standard deviation 0.02
 * (xorshift32, seed fixed).
 */
export function* hostWeights(c: LMConfig): Generator<[string, F32Tensor]> {
  let x = 2463534242;
  const half = 0.02 * Math.sqrt(3);
  for (const spec of tensorSpecs(c)) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (spec.name.endsWith(".bias")) {
      // zeros
    } else if (/norm|\.ln_/.test(spec.name)) data.fill(1);
    else
      for (let i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        data[i] = ((x >>> 0) / 4294967296 - 0.5) * 2 * half;
      }
    yield [spec.name, { shape: spec.shape, data }];
  }
}

/**
 * The same weights as a state dict that makes each tensor when it is first asked for and
 * forgets the one before: for `paramsFromHF`, which reads the tensors in `tensorSpecs` order,
 * so only one tensor is ever on the host at a time (the host copy would otherwise add the
 * model's size to the process's peak resident set).
 */
export function lazyHostWeights(c: LMConfig): Record<string, F32Tensor> {
  const it = hostWeights(c);
  let current: [string, F32Tensor] | undefined;
  return new Proxy({} as Record<string, F32Tensor>, {
    get(_, name) {
      if (typeof name !== "string") return undefined;
      while (current?.[0] !== name) {
        const next = it.next();
        if (next.done) throw new Error(`lazyHostWeights: ${name} asked for out of order`);
        current = next.value;
      }
      return current[1];
    },
  });
}

/**
 * The benchmarks' fresh model of `c`: GPT-2 shapes initialised in the engine (initParams, key 0);
 * LLaMA-family ones from the host-made weights above, one tensor at a time, since the engine's
 * eager initialisation of a 151936-word embedding does not fit its heap.
 */
export function benchParams(c: LMConfig): LMParams {
  return c.modelType === "gpt2"
    ? initParams(c, makeKey(0))
    : paramsFromHF(c, lazyHostWeights(c), "host weights");
}
