// The streamed safetensors writer's edges: float16 leaves, tensors handed over out of name
// order, a read that returns the wrong number of bytes (refused, nothing left behind), and
// duplicate names.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { numpy as np } from "../../src/engine/jax.js";
import { saveParams, writeSafetensors } from "../../src/engine/safetensors.js";
import {
  saveParamsStreaming,
  writeSafetensorsStreaming,
} from "../../src/engine/safetensors-stream.js";
import { engineTmpDir } from "../helpers.js";

const tmp = engineTmpDir("prefopt-st-stream-edges-");

describe("streamed safetensors writer: edges", () => {
  it("a float16 leaf is stored as F16, the same bytes as saveParams", async () => {
    const tree = () => ({ half: np.array([1.5, -2, 0.25], { dtype: np.float16 }) });
    await saveParams(join(tmp(), "h-whole.safetensors"), tree());
    await saveParamsStreaming(join(tmp(), "h-streamed.safetensors"), tree());
    const streamed = readFileSync(join(tmp(), "h-streamed.safetensors"));
    assert.deepEqual(streamed, readFileSync(join(tmp(), "h-whole.safetensors")));
    assert.match(streamed.toString("latin1", 8, 120), /"dtype":"F16"/);
  });

  it("tensors given out of name order are laid out sorted, as writeSafetensors does", async () => {
    const names = ["zeta", "b.2", "b.10", "Alpha", "a"];
    const data = (i: number) => new Float32Array([i, -i]);
    await writeSafetensors(
      join(tmp(), "o-whole.safetensors"),
      Object.fromEntries(
        names.map((n, i) => [n, { dtype: "F32" as const, shape: [2], data: data(i) }]),
      ),
    );
    await writeSafetensorsStreaming(
      join(tmp(), "o-streamed.safetensors"),
      names.map((name, i) => ({ name, dtype: "F32", shape: [2], read: async () => data(i) })),
    );
    assert.deepEqual(
      readFileSync(join(tmp(), "o-streamed.safetensors")),
      readFileSync(join(tmp(), "o-whole.safetensors")),
    );
  });

  it("a read with the wrong byte count is refused and leaves no file; duplicate names are refused", async () => {
    const path = join(tmp(), "bad.safetensors");
    await assert.rejects(
      writeSafetensorsStreaming(path, [
        { name: "w", dtype: "F32", shape: [3], read: async () => new Float32Array(2) },
      ]),
      /tensor "w" has 8 bytes, its header says 12/,
    );
    assert.deepEqual(
      readdirSync(tmp()).filter((f) => f.startsWith("bad")),
      [],
      "no file or temporary left",
    );
    const t = { dtype: "F32" as const, shape: [1], read: async () => new Float32Array(1) };
    await assert.rejects(
      writeSafetensorsStreaming(path, [
        { name: "w", ...t },
        { name: "w", ...t },
      ]),
      /duplicate tensor names/,
    );
  });
});
