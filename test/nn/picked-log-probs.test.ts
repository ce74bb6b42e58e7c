import assert from "node:assert/strict";
import { before, test } from "node:test";
import { initEngine } from "../../src/engine/init.js";
import { grad, numpy as np } from "../../src/engine/jax.js";
import { HostRng } from "../../src/engine/random.js";
import { pickedLogProbs } from "../../src/nn/picked-log-probs.js";

before(async () => {
  await initEngine();
});

test("pickedLogProbs: log softmax at the target and its gradient g·(onehot − softmax), against float64", async () => {
  const rng = new HostRng(3);
  const [rows, V] = [6, 37];
  // large, shifted logits: the max subtraction must keep exp in range
  const x = Float64Array.from(
    { length: rows * V },
    (_, i) => 8 * rng.normal() + (i % V === 5 ? 90 : 0),
  );
  const t = Int32Array.from({ length: rows }, () => rng.int(V));
  const g = Float64Array.from({ length: rows }, () => rng.normal());
  const want = new Float64Array(rows);
  const wantGrad = new Float64Array(rows * V);
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * V, (r + 1) * V);
    const m = Math.max(...row);
    let s = 0;
    for (const v of row) s += Math.exp(v - m);
    const lse = m + Math.log(s);
    want[r] = row[t[r]] - lse;
    for (let k = 0; k < V; k++)
      wantGrad[r * V + k] = g[r] * ((k === t[r] ? 1 : 0) - Math.exp(row[k] - lse));
  }
  const logits = () => np.array(Float32Array.from(x)).reshape([2, 3, V]);
  const targets = () => np.array(t, { dtype: np.int32 }).reshape([2, 3]);
  const got = (await pickedLogProbs(logits(), targets(), V).data()) as Float32Array;
  for (let r = 0; r < rows; r++)
    assert.ok(Math.abs(got[r] - want[r]) < 1e-4, `row ${r}: ${got[r]} vs ${want[r]}`);
  const weights = np.array(Float32Array.from(g)).reshape([2, 3]);
  const dx = (await grad((l: np.Array) => pickedLogProbs(l, targets(), V).mul(weights.ref).sum())(
    logits(),
  ).data()) as Float32Array;
  weights.dispose();
  for (let i = 0; i < rows * V; i++)
    assert.ok(Math.abs(dx[i] - wantGrad[i]) < 1e-5, `d logits[${i}]: ${dx[i]} vs ${wantGrad[i]}`);
});
