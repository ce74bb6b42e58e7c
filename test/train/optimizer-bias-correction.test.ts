import assert from "node:assert/strict";
import { before, test } from "node:test";
import { initEngine } from "../../src/engine/init.js";
import { jit, numpy as np } from "../../src/engine/jax.js";
import { oneMinusPowCount } from "../../src/train/optimizer.js";

before(async () => {
  await initEngine();
});

// AdamW's bias correction 1 − βᵗ is traced in float32 (WebGPU has no float64).
// It must stay within a few float32 ulps of the float64 value, including where
// it is tiny: a float32 βᵗ would be off by 1.3e-5 relative at β = 0.999, t = 1.
test("1 − βᵗ in float32 matches float64 to 1e-6 relative for t up to 2³¹−1 (jit)", () => {
  const f = jit((t: np.Array) => oneMinusPowCount(0.999, t));
  const g = jit((t: np.Array) => oneMinusPowCount(0.9, t));
  const h = jit((t: np.Array) => oneMinusPowCount(0.9999, t));
  const ts = [0, 1, 2, 3, 7, 10, 100, 1000, 4097, 12345, 2 ** 20 + 7, 2 ** 31 - 1];
  for (const [beta, fn] of [
    [0.999, f],
    [0.9, g],
    [0.9999, h],
  ] as const) {
    for (const t of ts) {
      const out = fn(np.array(t, { dtype: np.int32 }));
      assert.equal(out.dtype, np.float32);
      const got = (out.dataSync() as Float32Array)[0];
      const want = -Math.expm1(t * Math.log(beta));
      if (t === 0) assert.equal(got, 0);
      else
        assert.ok(
          Math.abs(got - want) <= 1e-6 * want,
          `β ${beta}, t ${t}: ${got} vs ${want} (rel ${Math.abs(got - want) / want})`,
        );
    }
  }
});
