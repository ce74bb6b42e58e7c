// q(x_t | x_0) on image batches with one timestep per example: each example's pixels are scaled
// by its own √ᾱ_t and √(1 − ᾱ_t) (issue 20: the tests only used 1-D batches, where a wrong
// broadcast axis cannot show).
import { before, describe, it } from "node:test";
import { numpy as np } from "../../src/engine/jax.js";
import { makeSchedule, qCoefficients, qSample } from "../../src/models/diffusion/schedule.js";
import { assertClose, read, setup } from "../helpers.js";

describe("qSample on a [B, C, H, W] batch", () => {
  before(setup);

  it("scales example b by its own coefficients, whatever B and the pixel count", () => {
    const s = makeSchedule("cosine", 100);
    const ts = [3, 97]; // B = 2 = W, so a coefficient broadcast along the last axis would still run
    const B = 2;
    const D = 1 * 2 * 2;
    const x0 = Array.from({ length: B * D }, (_, i) => Math.sin(i + 1));
    const eps = Array.from({ length: B * D }, (_, i) => Math.cos(2 * i + 1));
    const { a, b } = qCoefficients(s, ts);
    const got = read(
      qSample(
        np.array(x0).reshape([B, 1, 2, 2]),
        np.array(eps).reshape([B, 1, 2, 2]),
        np.array(a),
        np.array(b),
      ),
    );
    const want = x0.map((x, i) => {
      const ab = s.alphaBars[ts[Math.floor(i / D)]];
      return Math.sqrt(ab) * x + Math.sqrt(1 - ab) * eps[i];
    });
    assertClose(got, want, 1e-6);
  });
});
