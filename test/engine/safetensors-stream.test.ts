import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { numpy as np } from "../../src/engine/jax.js";
import { disposeTree, refTree } from "../../src/engine/pytree.js";
import { makeKey } from "../../src/engine/random.js";
import {
  type HostTensor,
  readSafetensors,
  saveParams,
  writeSafetensors,
} from "../../src/engine/safetensors.js";
import { saveParamsStreaming } from "../../src/engine/safetensors-stream.js";
import { gpt2Config, llamaConfig } from "../../src/models/lm/config.js";
import { savePretrained } from "../../src/models/lm/hf.js";
import { paramsToHF } from "../../src/models/lm/hf-tensors.js";
import { type GPT2Params, initParams } from "../../src/models/lm/params.js";
import { adamw } from "../../src/train/optimizer.js";
import { engineTmpDir } from "../helpers.js";

const tmp = engineTmpDir("prefopt-st-stream-");

describe("streamed safetensors writer", () => {
  it("writes the same bytes as saveParams for a model and its AdamW state", async () => {
    const c = gpt2Config({ vocabSize: 17, dModel: 8, nHead: 2, nLayer: 2, maxPositions: 8 });
    const params = initParams(c, makeKey(3));
    const opt = adamw({ learningRate: 0.1 });
    // a state after one update: non-zero moments and an int32 count
    const grads = initParams(c, makeKey(4));
    const {
      params: next,
      state,
      gradNorm,
    } = opt.step(refTree(params), grads, opt.init(refTree(params)));
    gradNorm.dispose();
    // beside float32 and int32: bool, float64 and uint32 leaves, and an empty tensor
    const extra = {
      mask: np.array([true, false, true], { dtype: np.bool }),
      wide: np.array([1.5, -2.25], { dtype: np.float64 }),
      ids: np.array([7, 4294967295], { dtype: np.uint32 }),
      empty: np.zeros([0, 3], { dtype: np.float32 }),
    };
    for (const [name, tree, meta] of [
      ["model", next, { step: "1" }],
      ["optimizer", state, { step: "1" }],
      ["extra", extra, undefined],
    ] as const) {
      const a = join(tmp(), `${name}-whole.safetensors`);
      const b = join(tmp(), `${name}-streamed.safetensors`);
      await saveParams(a, tree, meta);
      await saveParamsStreaming(b, tree, meta);
      const whole = readFileSync(a);
      assert.ok(whole.length > 64, `${name}: a real file`);
      assert.deepEqual(readFileSync(b), whole, `${name}: identical bytes`);
    }
    assert.equal(
      readSafetensors(join(tmp(), "optimizer-streamed.safetensors")).tensors.count.dtype,
      "I32",
    );
    // no temporary file left beside the outputs
    assert.deepEqual(
      readdirSync(tmp()).filter((f) => f.startsWith(".")),
      [],
    );
    // the trees are not consumed
    assert.equal((next as GPT2Params).wte.weight.shape[0], 17);
    for (const t of [params, next, state, extra]) disposeTree(t as never);
  });

  it("writes a model in Hugging Face layout as the whole-model writer did", async () => {
    // LLaMA: nn.Linear weights transposed on the way out, an untied head
    const c = llamaConfig({
      vocabSize: 19,
      dModel: 8,
      nHead: 2,
      nKvHead: 1,
      dFF: 12,
      nLayer: 2,
      maxPositions: 8,
    });
    const params = initParams(c, makeKey(5));
    const hf = await paramsToHF(c, params);
    const host: Record<string, HostTensor> = {};
    for (const [k, t] of Object.entries(hf))
      host[k] = { dtype: "F32", shape: t.shape, data: t.data };
    const whole = join(tmp(), "hf-whole.safetensors");
    writeSafetensors(whole, host, { format: "pt" });
    const out = join(tmp(), "hf-model");
    await savePretrained(out, c, params);
    assert.ok(Object.keys(host).includes("lm_head.weight"));
    assert.deepEqual(readFileSync(join(out, "model.safetensors")), readFileSync(whole));
    disposeTree(params);
  });

  it("leaves no file behind when a tensor cannot be read", async () => {
    const path = join(tmp(), "broken.safetensors");
    const a = np.ones([4]);
    const tree = { a, b: np.ones([2]) };
    tree.b.dispose(); // a freed array: reading it throws after the header is written
    await assert.rejects(saveParamsStreaming(path, tree));
    assert.equal(existsSync(path), false);
    assert.deepEqual(
      readdirSync(tmp()).filter((f) => f.startsWith(".broken")),
      [],
    );
    a.dispose();
  });
});
