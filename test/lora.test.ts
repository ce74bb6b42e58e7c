import assert from "node:assert/strict";
import { before, test } from "node:test";
import { grad, jit, numpy as np } from "../src/engine/jax.js";
import { disposeTree, refTree } from "../src/engine/pytree.js";
import { makeKey } from "../src/engine/random.js";
import { gpt2Config } from "../src/models/lm/config.js";
import { sequenceLogProbs } from "../src/models/lm/logprobs.js";
import {
  defaultLoraTargets,
  initLora,
  type LoraParams,
  loraTargetPaths,
  mergeLora,
} from "../src/models/lm/lora.js";
import { type GPT2Params, initParams, type LMParams } from "../src/models/lm/params.js";
import { assertClose, read, setup } from "./helpers.js";

before(setup);

const c = gpt2Config({ vocabSize: 11, dModel: 8, nHead: 2, nLayer: 2, maxPositions: 16 });
const cfg = { rank: 2, alpha: 4, targets: defaultLoraTargets(c) };

test("LoRA targets every block linear layer, starts at the base model, merges W + (α/r)·A·B", async () => {
  const base = initParams(c, makeKey(0));
  assert.deepEqual(loraTargetPaths(base, cfg.targets), [
    "h.0.attn.c_attn",
    "h.0.attn.c_proj",
    "h.0.mlp.c_fc",
    "h.0.mlp.c_proj",
    "h.1.attn.c_attn",
    "h.1.attn.c_proj",
    "h.1.mlp.c_fc",
    "h.1.mlp.c_proj",
  ]);
  const lora = initLora(base, cfg, makeKey(1));
  const same = mergeLora(refTree(base), refTree(lora), cfg) as GPT2Params;
  assertClose(
    read(same.h[0].attn.c_attn.weight.ref),
    read((base as GPT2Params).h[0].attn.c_attn.weight.ref),
    0,
  );
  disposeTree(same);
  // with B ≠ 0 the merge is W + (α/r)·A·B, checked on the host
  const key = "h.1.mlp.c_fc";
  lora[key].B.dispose();
  lora[key].B = np.ones([2, 32], { dtype: np.float32 });
  const W = read((base as GPT2Params).h[1].mlp.c_fc.weight.ref);
  const A = read(lora[key].A.ref);
  const merged = mergeLora(refTree(base), refTree(lora), cfg) as GPT2Params;
  const got = read(merged.h[1].mlp.c_fc.weight.ref);
  const want = W.map((w, idx) => {
    const i = Math.floor(idx / 32);
    return w + 2 * (A[i * 2] + A[i * 2 + 1]);
  });
  assertClose(got, want, 1e-5);
  disposeTree(merged);

  // gradients reach the adapters through jit(grad(...)) and leave the base frozen
  const ids = np.array([[1, 2, 3, 4]], { dtype: np.int32 });
  const mask = np.array([[0, 1, 1, 1]], { dtype: np.float32 });
  const g = jit((t: LoraParams, b: LMParams, x: np.Array, m: np.Array) =>
    grad((tt: LoraParams) => sequenceLogProbs(c, mergeLora(b, tt, cfg), x, m).sum())(t),
  )(refTree(lora), refTree(base), ids, mask);
  const gB = read(g["h.0.attn.c_attn"].B.ref);
  assert.ok(
    gB.some((v) => Math.abs(v) > 1e-8),
    "the B adapter gets a gradient",
  );
  disposeTree(g);
  disposeTree(lora);
  disposeTree(base);
});
