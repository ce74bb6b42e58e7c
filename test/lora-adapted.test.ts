import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { jit, numpy as np, random, valueAndGrad } from "../src/engine/jax.js";
import { heapStats, withJitStreaming } from "../src/engine/memory-stats.js";
import { disposeTree, flattenNamed, refTree } from "../src/engine/pytree.js";
import { makeKey } from "../src/engine/random.js";
import { gpt2Config, type LMConfig, llamaConfig } from "../src/models/lm/config.js";
import { savePretrained } from "../src/models/lm/hf.js";
import {
  adaptLora,
  defaultLoraTargets,
  disposeAdapted,
  initLora,
  type LoraParams,
  mergeLora,
} from "../src/models/lm/lora.js";
import { type PackedPairArrays, packedArrays } from "../src/models/lm/pair-logprobs.js";
import { packPairs } from "../src/models/lm/pair-pack.js";
import { initParams, type LMParams } from "../src/models/lm/params.js";
import { dpoPairObjective, makeDpoStep } from "../src/pipelines/dpo-step.js";
import { adamw } from "../src/train/optimizer.js";
import { assertClose, read, setup } from "./helpers.js";

before(setup);

const pairs = [
  { prompt: [1, 2, 3], chosen: [4, 5, 6, 7], rejected: [8, 9] },
  { prompt: [10, 2], chosen: [3, 11], rejected: [12, 5, 1] },
];
const batch = (c: LMConfig) => packedArrays(packPairs(pairs, { maxPositions: c.maxPositions }));
const refs = () => [np.array([-20.5, -9.25]), np.array([-12, -21.75])];
const opts = { beta: 0.5 };

/** Adapters with B ≠ 0 (at B = 0 the gradient of A vanishes and would check nothing). */
function adapters(base: LMParams, c: LMConfig, rank: number): LoraParams {
  const lora = initLora(base, { rank, alpha: 3, targets: defaultLoraTargets(c) }, makeKey(1));
  let k = 0;
  for (const v of Object.values(lora)) {
    const shape = v.B.shape;
    v.B.dispose();
    v.B = random.normal(makeKey(100 + k++), shape).mul(0.3);
  }
  return lora;
}

/** Row-major [n, m] product a·b on the host in float64. */
function matmulHost(a: number[], b: number[], n: number, k: number, m: number): number[] {
  const out = new Array<number>(n * m).fill(0);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < k; p++)
      for (let j = 0; j < m; j++) out[i * m + j] += a[i * k + p] * b[p * m + j];
  return out;
}
const transposeHost = (a: number[], n: number, m: number) =>
  Array.from({ length: n * m }, (_, idx) => a[(idx % n) * m + Math.floor(idx / n)]);

for (const [name, c] of [
  ["GPT-2", gpt2Config({ vocabSize: 13, dModel: 8, nHead: 2, nLayer: 2, maxPositions: 24 })],
  [
    "LLaMA (GQA, SwiGLU, tied)",
    llamaConfig({
      vocabSize: 13,
      dModel: 8,
      nHead: 2,
      nKvHead: 1,
      dFF: 12,
      nLayer: 2,
      maxPositions: 24,
      tieWordEmbeddings: true,
      attentionBias: true,
    }),
  ],
] as const) {
  describe(`LoRA applied unmerged, ${name}`, () => {
    it("gives the merged policy's DPO loss and the adapters' chain-rule gradients", () => {
      const rank = 2;
      const scale = 3 / rank;
      const cfg = { rank, alpha: 3, targets: defaultLoraTargets(c) };
      const base = initParams(c, makeKey(0));
      const lora = adapters(base, c, rank);
      const objective =
        (policy: (t: LoraParams, b: LMParams) => LMParams) =>
        (t: LoraParams, b: LMParams, x: PackedPairArrays, rc: np.Array, rr: np.Array) =>
          dpoPairObjective(c, policy(t, b), x, rc, rr, opts)[0];
      const lossAndGrad = (policy: (t: LoraParams, b: LMParams) => LMParams) =>
        jit((t: LoraParams, b: LMParams, x: PackedPairArrays, rc: np.Array, rr: np.Array) =>
          valueAndGrad(objective(policy))(t, b, x, rc, rr),
        );
      const [rc1, rr1] = refs();
      const [lossU, gU] = lossAndGrad((t, b) => adaptLora(b, t, cfg))(
        refTree(lora),
        refTree(base),
        batch(c),
        rc1,
        rr1,
      );
      // the previous step: W + (α/r)·A·B formed inside the gradient
      const [rc2, rr2] = refs();
      const [lossM, gM] = lossAndGrad((t, b) => mergeLora(b, t, cfg))(
        refTree(lora),
        refTree(base),
        batch(c),
        rc2,
        rr2,
      );
      // independent: the full-weight gradient G at the merged weights W' = W + s·A·B, then by
      // the chain rule ∂L/∂A = s·G·Bᵀ and ∂L/∂B = s·Aᵀ·G, on the host in float64
      const [rc3, rr3] = refs();
      const [lossF, G] = jit((p: LMParams, x: PackedPairArrays, rc: np.Array, rr: np.Array) =>
        valueAndGrad((q: LMParams) => dpoPairObjective(c, q, x, rc, rr, opts)[0])(p),
      )(mergeLora(refTree(base), refTree(lora), cfg), batch(c), rc3, rr3);
      const lf = read(lossF)[0];
      assert.ok(lf > 0.1, `a non-trivial loss (${lf})`);
      assertClose(read(lossU)[0], lf, 1e-5, "loss, unmerged");
      assertClose(read(lossM)[0], lf, 1e-5, "loss, merged");
      const Gn = flattenNamed(G);
      for (const [path, { A, B }] of Object.entries(lora)) {
        const [inD, r] = A.shape;
        const outD = B.shape[1];
        const g = read(Gn[`${path}.weight`].ref);
        const a = read(A.ref);
        const b = read(B.ref);
        const wantA = matmulHost(g, transposeHost(b, r, outD), inD, outD, r).map((v) => v * scale);
        const wantB = matmulHost(transposeHost(a, inD, r), g, r, inD, outD).map((v) => v * scale);
        assert.ok(
          wantA.some((v) => Math.abs(v) > 1e-4),
          `${path}: the chain rule gives a non-zero ∂L/∂A`,
        );
        assertClose(read(gU[path].A.ref), wantA, 2e-4, `${path} ∂L/∂A unmerged`);
        assertClose(read(gU[path].B.ref), wantB, 2e-4, `${path} ∂L/∂B unmerged`);
        assertClose(read(gU[path].A.ref), read(gM[path].A.ref), 2e-4, `${path} ∂L/∂A vs merged`);
        assertClose(read(gU[path].B.ref), read(gM[path].B.ref), 2e-4, `${path} ∂L/∂B vs merged`);
      }
      for (const t of [gU, gM, G, lora, base]) disposeTree(t as never);
    });
  });
}

describe("saving a LoRA policy", () => {
  it("merges each adapted weight as it is written: the file of the merged model", async () => {
    const c = gpt2Config({ vocabSize: 13, dModel: 8, nHead: 2, nLayer: 2, maxPositions: 24 });
    const cfg = { rank: 2, alpha: 3, targets: defaultLoraTargets(c) };
    const base = initParams(c, makeKey(0));
    const lora = adapters(base, c, 2);
    const dir = mkdtempSync(join(tmpdir(), "prefopt-lora-save-"));
    try {
      const merged = mergeLora(refTree(base), refTree(lora), cfg);
      await savePretrained(join(dir, "merged"), c, merged);
      const adapted = adaptLora(refTree(base), refTree(lora), cfg);
      await savePretrained(join(dir, "adapted"), c, adapted);
      const a = readFileSync(join(dir, "adapted", "model.safetensors"));
      assert.deepEqual(a, readFileSync(join(dir, "merged", "model.safetensors")));
      // and the adapters are in it: not the base model's file
      await savePretrained(join(dir, "base"), c, base);
      assert.notDeepEqual(a, readFileSync(join(dir, "base", "model.safetensors")));
      disposeTree(merged);
      disposeAdapted(adapted);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    disposeTree(lora);
    disposeTree(base);
  });
});

describe("a compiled LoRA DPO step holds the frozen base once", () => {
  it("needs far less transient heap than the weights (no merged or transposed weight copies)", async () => {
    // weight-dominated: 2.1 MB of weights, one short pair
    const c = gpt2Config({ vocabSize: 1024, dModel: 128, nHead: 4, nLayer: 2, maxPositions: 16 });
    const base = initParams(c, makeKey(0));
    const cfg = { rank: 4, alpha: 8, targets: defaultLoraTargets(c) };
    let lora: LoraParams = initLora(base, cfg, makeKey(1));
    const weightBytes = Object.values(flattenNamed(base)).reduce((s, x) => s + 4 * x.size, 0);
    const opt = adamw({ learningRate: 1e-3 });
    let state = opt.init(refTree(lora));
    const step = makeDpoStep<LoraParams, LMParams>(c, opt, opts, (t, b) => adaptLora(b, t, cfg));
    const one = [{ prompt: [1, 2, 3], chosen: [4, 5], rejected: [6, 7] }];
    const run = () =>
      withJitStreaming(async () => {
        const out = step(
          lora,
          refTree(base),
          state,
          packedArrays(packPairs(one, { maxPositions: 16 })),
          np.array([-14]),
          np.array([-14]),
          np.array(1e-3, { dtype: np.float32 }),
        );
        lora = out.params;
        state = out.state;
        out.gradNorm.dispose();
        disposeTree(out.aux);
        return (await out.loss.data())[0];
      });
    await run(); // compile and allocate the optimiser state
    heapStats({ reset: true });
    const loss = await run();
    const s = heapStats();
    assert.ok(s, "heap figures on the CPU backend");
    const transient = s.peakLiveBytes - s.liveBytes;
    assert.ok(Number.isFinite(loss));
    // merged weights, or the transposed copies a compiled gradient used to keep, are ≥ 0.8 × weights
    assert.ok(
      transient < 0.25 * weightBytes,
      `step transient ${transient} B against ${weightBytes} B of weights`,
    );
    step.dispose();
    disposeTree(lora);
    disposeTree(state as never);
    disposeTree(base);
  });
});
