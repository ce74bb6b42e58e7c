/**
 * SimPO, ORPO, KTO and listwise DPO on the DPO task's packed batch: the loss
 * from the prefix-shared forward equals the pure objective on log-probs of the
 * plain concatenated forward (an independent route), the task objective
 * (training and held-out evaluation) dispatches to it, and one gradient step
 * lowers it.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { collatePairs } from "../src/data/preference-collate.js";
import { initEngine } from "../src/engine/init.js";
import { numpy as np, tree, valueAndGrad } from "../src/engine/jax.js";
import { refTree } from "../src/engine/pytree.js";
import { HostRng, makeKey } from "../src/engine/random.js";
import { sequenceLogProbs } from "../src/models/lm/logprobs.js";
import { packedArrays } from "../src/models/lm/pair-logprobs.js";
import { packPairs } from "../src/models/lm/pair-pack.js";
import { initParams, type LMParams } from "../src/models/lm/params.js";
import { ktoLoss } from "../src/objectives/kto.js";
import { listwiseDpoLoss } from "../src/objectives/listwise-dpo.js";
import { orpoLoss } from "../src/objectives/orpo.js";
import { simpoLoss } from "../src/objectives/simpo.js";
import {
  FAMILY_LOSS_TYPES,
  familyPairObjective,
  isFamilyLossType,
} from "../src/pipelines/dpo-family.js";
import { dpoPairObjective } from "../src/pipelines/dpo-step.js";
import { tinyGPT2 } from "./lm-reference.js";

before(async () => {
  await initEngine();
});

describe("DPO-family objectives on the packed pair batch", () => {
  const c = tinyGPT2;
  const rng = new HostRng(11);
  const toks = (n: number) => Array.from({ length: n }, () => rng.int(c.vocabSize));
  const pairs = [0, 1, 2].map((i) => ({
    prompt: toks(2 + i),
    chosen: toks(3),
    rejected: toks(1 + i),
  }));
  const refC = [-9, -8.5, -10];
  const refR = [-4, -6, -3.5];

  for (const type of FAMILY_LOSS_TYPES) {
    it(`${type}: packed loss = pure objective on the plain forward; the task dispatches to it; a step lowers it`, async () => {
      const params = initParams(c, makeKey(1));
      const plain = collatePairs(pairs);
      const lp = (await sequenceLogProbs(
        c,
        refTree(params),
        np.array(plain.ids, { dtype: np.int32 }).reshape([plain.B, plain.T]),
        np.array(plain.mask).reshape([plain.B, plain.T]),
      ).data()) as Float32Array;
      const pc = Array.from(lp.slice(0, 3));
      const pr = Array.from(lp.slice(3, 6));
      const lc = pairs.map((p) => p.chosen.length);
      const lr = pairs.map((p) => p.rejected.length);
      const beta = 0.5;
      const a = (x: number[]) => np.array(new Float32Array(x));
      let want: np.Array;
      if (type === "simpo") {
        const o = simpoLoss(
          {
            policyChosenLogps: a(pc),
            policyRejectedLogps: a(pr),
            chosenLengths: a(lc),
            rejectedLengths: a(lr),
          },
          { beta, gamma: 1.3 },
        );
        want = o.loss;
      } else if (type === "orpo") {
        want = orpoLoss(
          {
            policyChosenLogps: a(pc),
            policyRejectedLogps: a(pr),
            chosenLengths: a(lc),
            rejectedLengths: a(lr),
          },
          { lambda: beta },
        ).loss;
      } else if (type === "listwise") {
        // three rankings of two: [best, other] per row
        want = listwiseDpoLoss(
          {
            policyLogps: a(pc.flatMap((x, i) => [x, pr[i]])).reshape([3, 2]),
            refLogps: a(refC.flatMap((x, i) => [x, refR[i]])).reshape([3, 2]),
          },
          { beta },
        ).loss;
      } else {
        want = ktoLoss(
          {
            policyLogps: a([...pc, ...pr]),
            refLogps: a([...refC, ...refR]),
            desirable: a([1, 1, 1, 0, 0, 0]),
          },
          { beta, desirableWeight: 1.5, undesirableWeight: 0.7 },
        ).loss;
      }
      const wantLoss = (await want.data())[0];
      // SimPO's γ and KTO's λ_D, λ_U off their defaults (the CLI's --simpo-gamma, --desirable-weight, --undesirable-weight)
      const o = { type, beta, simpoGamma: 1.3, desirableWeight: 1.5, undesirableWeight: 0.7 };
      const f = (p: LMParams) => {
        const [loss, aux] = familyPairObjective(
          c,
          p,
          packedArrays(packPairs(pairs)),
          a(refC),
          a(refR),
          o,
        );
        for (const x of Object.values(aux)) x.dispose();
        return loss;
      };
      const [loss, g] = valueAndGrad(f)(refTree(params));
      const got = (await loss.data())[0];
      assert.ok(Math.abs(got - wantLoss) < 1e-5, `${type}: ${got} vs ${wantLoss}`);
      // the DPO task's objective dispatches to it by loss type
      const [viaTask, aux] = dpoPairObjective(
        c,
        refTree(params),
        packedArrays(packPairs(pairs)),
        a(refC),
        a(refR),
        o,
      );
      for (const x of Object.values(aux)) x.dispose();
      assert.ok(Math.abs((await viaTask.data())[0] - got) < 1e-6, `${type} via dpoPairObjective`);
      // a plain gradient step downhill lowers the loss
      const [pl, def] = tree.flatten(params as never);
      const gl = tree.leaves(g as never) as np.Array[];
      const stepped = tree.unflatten(
        def,
        (pl as np.Array[]).map((p, i) => p.sub(gl[i].mul(0.05))),
      ) as unknown as LMParams;
      const after = (await f(stepped).data())[0];
      assert.ok(after < got, `${type}: ${got} → ${after}`);
    });
  }

  it("names its loss types", () => {
    assert.ok(isFamilyLossType("kto") && !isFamilyLossType("sigmoid"));
  });
});
