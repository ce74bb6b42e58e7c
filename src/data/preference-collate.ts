/**
 * Tokenisation, truncation and collation of preference pairs (TRL's DPO
 * tokenize_row + concatenated forward). Prompt (with the tokenizer's special
 * tokens, e.g. BOS) and completions (without) are encoded separately; EOS is appended to each completion; the prompt keeps its last
 * `maxPromptLength` tokens (left truncation), a completion its first
 * `maxCompletionLength`, and `maxLength` caps prompt+completion by cutting the
 * completion. A collated batch is right-padded, so no real token ever attends
 * to padding under the causal mask, and the loss mask is 1 exactly on
 * completion tokens: the log-prob of a sequence is Σ_t mask[t]·log π(y_t | y_<t).
 * Default pad multiple 8 keeps the number of distinct jit shapes small.
 */
import { UserError } from "../engine/errors.js";
import type { PreferenceExample } from "./preference-data.js";

/** What collation needs from a tokenizer. */
export type TextTokenizer = {
  /** with special tokens (e.g. BOS from the post-processor) unless told not to */
  encode(text: string, opts?: { addSpecialTokens?: boolean }): number[];
  decode(ids: number[], opts?: { skipSpecialTokens?: boolean }): string;
};

export type TruncationOptions = {
  maxPromptLength?: number;
  maxCompletionLength?: number;
  maxLength?: number;
  /** appended to every completion when given */
  eosTokenId?: number;
  /** the prompt when it encodes to no tokens (the first completion token needs a context) */
  bosTokenId?: number;
};

export type TokenizedPair = {
  prompt: number[];
  chosen: number[];
  rejected: number[];
  margin?: number;
};

/** Completion ids after EOS and truncation; `prompt` truncated keep-end. */
export function truncatePair(
  prompt: number[],
  completions: number[][],
  o: TruncationOptions,
): { prompt: number[]; completions: number[][] } {
  let p = prompt.length === 0 && o.bosTokenId !== undefined ? [o.bosTokenId] : prompt.slice();
  if (o.maxPromptLength !== undefined && p.length > o.maxPromptLength)
    p = p.slice(p.length - o.maxPromptLength);
  const cs = completions.map((c) => {
    let x = o.eosTokenId !== undefined ? [...c, o.eosTokenId] : c.slice();
    if (o.maxCompletionLength !== undefined) x = x.slice(0, o.maxCompletionLength);
    if (o.maxLength !== undefined) x = x.slice(0, Math.max(0, o.maxLength - p.length));
    return x;
  });
  return { prompt: p, completions: cs };
}

/** Tokenises and truncates every pair; a pair left with an empty completion is an error naming its row. */
export function tokenizePairs(
  examples: PreferenceExample[],
  tok: TextTokenizer,
  o: TruncationOptions = {},
  file = "dataset",
): TokenizedPair[] {
  return examples.map((e, i) => {
    const plain = { addSpecialTokens: false };
    const t = truncatePair(
      tok.encode(e.prompt),
      [tok.encode(e.chosen, plain), tok.encode(e.rejected, plain)],
      o,
    );
    if (t.completions[0].length === 0 || t.completions[1].length === 0) {
      throw new UserError(
        `${file}: row ${i + 1}: no completion tokens left after truncation (prompt ${t.prompt.length} tokens, max_length ${o.maxLength}); lower --max-prompt-length below --max-length`,
      );
    }
    const out: TokenizedPair = {
      prompt: t.prompt,
      chosen: t.completions[0],
      rejected: t.completions[1],
    };
    if (e.margin !== undefined) out.margin = e.margin;
    return out;
  });
}

/**
 * A right-padded batch of prompt+completion sequences: `ids` [B, T] and
 * `mask` [B, T] = 1 on completion tokens (the layout `sequenceLogProbs`
 * takes). T = longest row rounded up to a multiple of `padMultiple`, so that
 * jit sees few shapes; rows beyond `rows.length` (up to `batchSize`) are empty.
 */
export type SequenceBatch = {
  B: number;
  T: number;
  ids: Int32Array<ArrayBuffer>;
  mask: Float32Array<ArrayBuffer>;
  /** real tokens (prompt + completion) per row */
  lengths: number[];
};

export function collateSequences(
  rows: { prompt: number[]; completion: number[] }[],
  opts: { padTokenId?: number; padMultiple?: number; minLength?: number; batchSize?: number } = {},
): SequenceBatch {
  const pad = opts.padTokenId ?? 0;
  const mult = opts.padMultiple ?? 8;
  const B = Math.max(rows.length, opts.batchSize ?? 0);
  let longest = opts.minLength ?? 2;
  for (const r of rows) longest = Math.max(longest, r.prompt.length + r.completion.length);
  const T = Math.ceil(longest / mult) * mult;
  const ids = new Int32Array(B * T).fill(pad);
  const mask = new Float32Array(B * T);
  const lengths: number[] = [];
  rows.forEach((r, b) => {
    const seq = [...r.prompt, ...r.completion];
    lengths.push(seq.length);
    for (let t = 0; t < seq.length; t++) {
      ids[b * T + t] = seq[t];
      // position 0 has no context, so it is never scored
      if (t >= r.prompt.length && t > 0) mask[b * T + t] = 1;
    }
  });
  for (let b = rows.length; b < B; b++) lengths.push(0);
  return { B, T, ids, mask, lengths };
}

/**
 * The concatenated DPO batch: rows 0..n−1 are prompt+chosen, rows n..2n−1
 * prompt+rejected (eric-mitchell/direct-preference-optimization's
 * concatenated_forward), padded to `batchSize` pairs with empty rows.
 */
export function collatePairs(
  pairs: TokenizedPair[],
  opts: { padTokenId?: number; padMultiple?: number; batchSize?: number } = {},
): SequenceBatch & { pairs: number } {
  const n = Math.max(pairs.length, opts.batchSize ?? 0);
  const rows: { prompt: number[]; completion: number[] }[] = [];
  const empty = { prompt: [], completion: [] };
  for (let i = 0; i < n; i++)
    rows.push(i < pairs.length ? { prompt: pairs[i].prompt, completion: pairs[i].chosen } : empty);
  for (let i = 0; i < n; i++)
    rows.push(
      i < pairs.length ? { prompt: pairs[i].prompt, completion: pairs[i].rejected } : empty,
    );
  return { ...collateSequences(rows, opts), pairs: pairs.length };
}
