// fromHost's edges the other safetensors tests leave open: a BOOL tensor keeps its shape through
// the int32 detour, and a tensor given without a name is called "<tensor>" in its error.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { initEngine } from "../../src/engine/init.js";
import { fromHost } from "../../src/engine/safetensors.js";

before(async () => {
  await initEngine();
});

describe("fromHost edges", () => {
  it("a BOOL tensor of shape [2, 3] arrives as a [2, 3] bool array with its values", async () => {
    const a = fromHost({ dtype: "BOOL", shape: [2, 3], data: new Uint8Array([1, 0, 0, 1, 1, 0]) });
    assert.deepEqual(a.shape, [2, 3]);
    assert.equal(a.dtype, "bool");
    assert.deepEqual(Array.from((await a.data()) as ArrayLike<unknown>, Boolean), [
      true,
      false,
      false,
      true,
      true,
      false,
    ]);
  });

  it('an unnamed tensor with the wrong data is refused as "<tensor>"', () => {
    assert.throws(
      () => fromHost({ dtype: "F32", shape: [2], data: new Int32Array(2) as never }),
      /tensor "<tensor>": dtype F32 needs a Float32Array, got Int32Array/,
    );
  });
});
