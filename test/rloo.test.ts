/**
 * RLOO (src/objectives/rloo.ts) against hand computations and closed forms:
 * leave-one-out advantages A_i = R̃_i − mean_{j≠i} R̃_j = k/(k−1)·(R̃_i − mean_group R̃),
 * the KL-penalised reward, and the loss gradient ∂L/∂log π(y_i) = −A_i/n.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { grad, numpy as np } from "../src/engine/jax.js";
import { HostRng } from "../src/engine/random.js";
import { klPenalisedRewards, rlooAdvantages, rlooLoss } from "../src/objectives/rloo.js";
import { assertClose, setup } from "./helpers.js";

before(setup);

describe("RLOO", () => {
  test("leave-one-out advantages by hand", () => {
    // group 1: 1 − (2+3)/2 = −1.5, 2 − (1+3)/2 = 0, 3 − (1+2)/2 = 1.5; group 2 is constant
    assert.deepEqual(rlooAdvantages([1, 2, 3, 10, 10, 10], 3), [-1.5, 0, 1.5, 0, 0, 0]);
    // k = 2: each sample is compared with the other one alone
    assert.deepEqual(rlooAdvantages([4, 1, -2, 5], 2), [3, -3, -7, 7]);
  });

  test("advantages equal k/(k−1)·(R̃_i − group mean) and sum to zero per group", () => {
    const rng = new HostRng(3);
    const k = 4;
    const r = Array.from({ length: 5 * k }, () => rng.normal() * 3);
    const a = rlooAdvantages(r, k);
    for (let g = 0; g < r.length; g += k) {
      const mean = r.slice(g, g + k).reduce((x, y) => x + y, 0) / k;
      for (let j = 0; j < k; j++) assertClose(a[g + j], (k / (k - 1)) * (r[g + j] - mean), 1e-12);
      assertClose(
        a.slice(g, g + k).reduce((x, y) => x + y, 0),
        0,
        1e-12,
      );
    }
  });

  test("normalised advantages: (A − mean A)/sd A over the batch", () => {
    const a = rlooAdvantages([1, 2, 3, 10, 10, 10], 3, { normalize: true });
    // A = [−1.5, 0, 1.5, 0, 0, 0]: mean 0, population sd √(4.5/6)
    const sd = Math.sqrt(4.5 / 6);
    assertClose(a, [-1.5 / sd, 0, 1.5 / sd, 0, 0, 0], 1e-6);
  });

  test("groups must have k ≥ 2 members", () => {
    assert.throws(() => rlooAdvantages([1, 2, 3], 2), /groups of k = 2/);
    assert.throws(() => rlooAdvantages([1, 2], 1), /k = 1/);
  });

  test("KL-penalised reward R̃ = r − λ(log π − log π_ref)", () => {
    const { rewards, kl } = klPenalisedRewards([1, -2], [-3, -5], [-4, -4.5], 0.5);
    assert.deepEqual(kl, [1, -0.5]);
    assert.deepEqual(rewards, [0.5, -1.75]);
  });

  test("loss −mean A·log π and its gradient −A/n", async () => {
    const lp = [-3, -1.5, -2, -4];
    const adv = [1, -0.5, 2, -2.5];
    const loss = (await rlooLoss(np.array(lp), np.array(adv)).data())[0];
    assertClose(loss, -lp.reduce((s, x, i) => s + x * adv[i], 0) / 4, 1e-6);
    const g = await grad((x: np.Array) => rlooLoss(x, np.array(adv)))(np.array(lp)).data();
    assertClose(
      Array.from(g),
      adv.map((a) => -a / 4),
      1e-7,
    );
  });
});
