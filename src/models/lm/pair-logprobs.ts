/**
 * Completion log-probs of chosen and rejected under one prefix-shared
 * forward (layout: src/models/lm/pair-pack.ts): the prompt of a pair is run once,
 * both completions attend to its keys and values, and the output head runs
 * only at the positions that predict a completion token. Equal, within
 * float32 rounding, to `sequenceLogProbs` on the concatenated batch
 * [prompt ⊕ chosen; prompt ⊕ rejected]. Pure and jit/grad-traceable.
 */
import { jit, numpy as np } from "../../engine/jax.js";
import { withJitStreaming } from "../../engine/memory-stats.js";
import { refTree } from "../../engine/pytree.js";
import { pickedLogProbs } from "../../nn/picked-log-probs.js";
import type { LMConfig } from "./config.js";
import { forwardHidden } from "./forward.js";
import { packPairs } from "./pair-pack.js";
import type { LMParams } from "./params.js";

/** A packed batch as engine arrays (shapes as in PackedPairs). */
export type PackedPairArrays = {
  ids: np.Array;
  positions: np.Array;
  bias: np.Array;
  select: np.Array;
  targets: np.Array;
  chosenMask: np.Array;
  rejectedMask: np.Array;
};

/** Host arrays of a packed batch of n pairs, S positions per row, C scored tokens per row. */
export type PackedPairsHost = {
  n: number;
  S: number;
  C: number;
  /** [n, S] token ids */
  ids: Int32Array<ArrayBuffer>;
  /** [n, S] position of each token in its own sequence (prompt ⊕ completion) */
  positions: Int32Array<ArrayBuffer>;
  /** [n, 1, S, S] additive attention bias: 0 where query may see key, −1e9 elsewhere */
  bias: Float32Array<ArrayBuffer>;
  /** [n, C, S] one-hot: scored token c is predicted by the hidden state at position s */
  select: Float32Array<ArrayBuffer>;
  /** [n, C] the scored token ids */
  targets: Int32Array<ArrayBuffer>;
  /** [n, C] 1 on the chosen completion's tokens */
  chosenMask: Float32Array<ArrayBuffer>;
  /** [n, C] 1 on the rejected completion's tokens */
  rejectedMask: Float32Array<ArrayBuffer>;
};

/** Engine arrays of a host-packed batch. */
export function packedArrays(p: PackedPairsHost): PackedPairArrays {
  const { n, S, C } = p;
  return {
    ids: np.array(p.ids, { dtype: np.int32 }).reshape([n, S]),
    positions: np.array(p.positions, { dtype: np.int32 }).reshape([n, S]),
    bias: np.array(p.bias).reshape([n, 1, S, S]),
    select: np.array(p.select).reshape([n, p.C, S]),
    targets: np.array(p.targets, { dtype: np.int32 }).reshape([n, C]),
    chosenMask: np.array(p.chosenMask).reshape([n, C]),
    rejectedMask: np.array(p.rejectedMask).reshape([n, C]),
  };
}

/**
 * chosen[b] = Σ_j chosenMask[b, j]·log π(targets[b, j] | context), likewise
 * rejected (each divided by its token count with `average`). Consumes
 * `params` and `batch`.
 */
export function pairLogProbs(
  c: LMConfig,
  params: LMParams,
  batch: PackedPairArrays,
  opts: { average?: boolean } = {},
): { chosen: np.Array; rejected: np.Array } {
  const { hidden, head } = forwardHidden(c, params, batch.ids, {
    positions: batch.positions,
    bias: batch.bias,
  });
  // hidden states of the positions that predict scored tokens: [n, C, D]
  const h = np.matmul(batch.select, hidden);
  const logits = np.matmul(h, head.transpose());
  const picked = pickedLogProbs(logits, batch.targets, c.vocabSize); // [n, C]
  const sum = (mask: np.Array) => {
    if (!opts.average) return picked.ref.mul(mask).sum(-1);
    const count = np.maximum(mask.ref.sum(-1), 1);
    return picked.ref.mul(mask).sum(-1).div(count);
  };
  const chosen = sum(batch.chosenMask);
  const rejected = sum(batch.rejectedMask);
  picked.dispose();
  return { chosen, rejected };
}

/**
 * log π(completion | prompt) of every row, summed over completion tokens
 * (divided by their count with `average`), with no gradient: the one batched
 * log-prob helper (reference log-probs, evaluation, RLHF's KL). Consecutive
 * rows with the same prompt share one prefix-shared packed row, so a
 * preference pair given as [prompt ⊕ chosen, prompt ⊕ rejected] runs its
 * prompt once; `batchSize` packed rows run per call. Does not consume `params`.
 */
export async function completionLogProbs(
  c: LMConfig,
  params: LMParams,
  rows: { prompt: number[]; completion: number[] }[],
  o: { batchSize?: number; padTokenId?: number; average?: boolean } = {},
): Promise<number[]> {
  const same = (a: number[], b: number[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  // packed rows and, for each, the indices of the rows scored as its chosen and rejected parts
  const packed: { prompt: number[]; chosen: number[]; rejected: number[] }[] = [];
  const owners: [number, number][] = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    const next = rows[i + 1];
    if (next && same(r.prompt, next.prompt)) {
      packed.push({ prompt: r.prompt, chosen: r.completion, rejected: next.completion });
      owners.push([i, i + 1]);
      i++;
    } else {
      packed.push({ prompt: r.prompt, chosen: r.completion, rejected: [] });
      owners.push([i, -1]);
    }
  }
  const bs = o.batchSize ?? 16;
  const f = jit((p: LMParams, b: PackedPairArrays) => {
    const r = pairLogProbs(c, p, b, { average: o.average });
    return [r.chosen, r.rejected];
  });
  const out = new Array<number>(rows.length);
  try {
    for (let i = 0; i < packed.length; i += bs) {
      const chunk = packed.slice(i, i + bs);
      const batch = packPairs(chunk, { padTokenId: o.padTokenId ?? 0, batchSize: bs });
      const [lc, lr] = await withJitStreaming(async () => {
        const [ch, rj] = f(refTree(params), packedArrays(batch));
        return [(await ch.data()) as Float32Array, (await rj.data()) as Float32Array];
      });
      chunk.forEach((_, k) => {
        const [a, b] = owners[i + k];
        out[a] = lc[k];
        if (b >= 0) out[b] = lr[k];
      });
    }
  } finally {
    f.dispose();
  }
  return out;
}
