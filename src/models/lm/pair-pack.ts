/**
 * Prefix-shared packing of preference pairs: one row per pair holding
 * [prompt | chosen | rejected | pad], so the prompt runs through the model
 * once per pair instead of twice (TRL's concatenated forward runs it for
 * chosen and for rejected). Both completions take positions |prompt|,
 * |prompt|+1, …; an additive attention bias lets a token see the prompt and
 * the earlier tokens of its own completion only, so every completion token
 * gets exactly the context it has in the plain sequence prompt ⊕ completion.
 * Scored tokens are listed per row (chosen first, then rejected) with the
 * position whose hidden state predicts each one — the last prompt token for
 * the first token of either completion. No padding inside a row.
 */
import { UserError } from "../../engine/errors.js";
import type { PackedPairsHost } from "./pair-logprobs.js";

/** A packed batch (layout in `PackedPairsHost`) and how many of its rows are real pairs. */
export type PackedPairs = PackedPairsHost & {
  /** real pairs (rows beyond are empty) */
  pairs: number;
};

const MASKED = -1e9;
const roundUp = (x: number, m: number) => Math.ceil(x / m) * m;

/**
 * Packs pairs (prompt ids non-empty, completions as scored) into rows padded
 * to `batchSize` pairs; S and C are rounded up to `padMultiple` (default 8) so
 * jit sees few shapes. `maxPositions` (GPT-2's context) bounds each sequence.
 */
export function packPairs(
  pairs: { prompt: number[]; chosen: number[]; rejected: number[] }[],
  opts: {
    padTokenId?: number;
    padMultiple?: number;
    batchSize?: number;
    maxPositions?: number;
  } = {},
): PackedPairs {
  const pad = opts.padTokenId ?? 0;
  const mult = opts.padMultiple ?? 8;
  const n = Math.max(pairs.length, opts.batchSize ?? 0, 1);
  let longest = 2;
  let scored = 1;
  pairs.forEach((p, i) => {
    if (p.prompt.length === 0)
      throw new UserError(`pair ${i + 1}: empty prompt (start it with BOS)`);
    const seq = p.prompt.length + Math.max(p.chosen.length, p.rejected.length);
    if (opts.maxPositions !== undefined && seq > opts.maxPositions)
      throw new UserError(
        `pair ${i + 1}: ${seq} positions exceed the model's context of ${opts.maxPositions}`,
      );
    longest = Math.max(longest, p.prompt.length + p.chosen.length + p.rejected.length);
    scored = Math.max(scored, p.chosen.length + p.rejected.length);
  });
  const S = roundUp(longest, mult);
  const C = roundUp(scored, mult);
  const ids = new Int32Array(n * S).fill(pad);
  const positions = new Int32Array(n * S);
  const bias = new Float32Array(n * S * S).fill(MASKED);
  const select = new Float32Array(n * C * S);
  const targets = new Int32Array(n * C).fill(pad);
  const chosenMask = new Float32Array(n * C);
  const rejectedMask = new Float32Array(n * C);
  // segment of each position: 0 prompt, 1 chosen, 2 rejected, -1 padding
  const seg = new Int8Array(S);
  for (let b = 0; b < n; b++) {
    const p = pairs[b];
    const Lp = p ? p.prompt.length : 0;
    const Lc = p ? p.chosen.length : 0;
    const Lr = p ? p.rejected.length : 0;
    seg.fill(-1);
    const row = b * S;
    for (let t = 0; t < Lp; t++) {
      ids[row + t] = p.prompt[t];
      positions[row + t] = t;
      seg[t] = 0;
    }
    for (let j = 0; j < Lc; j++) {
      ids[row + Lp + j] = p.chosen[j];
      positions[row + Lp + j] = Lp + j;
      seg[Lp + j] = 1;
    }
    for (let j = 0; j < Lr; j++) {
      ids[row + Lp + Lc + j] = p.rejected[j];
      positions[row + Lp + Lc + j] = Lp + j;
      seg[Lp + Lc + j] = 2;
    }
    const bb = b * S * S;
    for (let q = 0; q < S; q++) {
      if (seg[q] < 0) {
        bias[bb + q * S + q] = 0; // padding sees itself: finite, never scored
        continue;
      }
      for (let k = 0; k <= q; k++) if (seg[k] === 0 || seg[k] === seg[q]) bias[bb + q * S + k] = 0;
    }
    const sc = b * C;
    for (let j = 0; j < Lc; j++) {
      targets[sc + j] = p.chosen[j];
      chosenMask[sc + j] = 1;
      select[(sc + j) * S + Lp + j - 1] = 1;
    }
    for (let j = 0; j < Lr; j++) {
      targets[sc + Lc + j] = p.rejected[j];
      rejectedMask[sc + Lc + j] = 1;
      select[(sc + Lc + j) * S + (j === 0 ? Lp - 1 : Lp + Lc + j - 1)] = 1;
    }
  }
  return {
    n,
    S,
    C,
    ids,
    positions,
    bias,
    select,
    targets,
    chosenMask,
    rejectedMask,
    pairs: pairs.length,
  };
}
