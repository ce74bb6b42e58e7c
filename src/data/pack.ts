/**
 * Packing tokenised sentences into fixed-length training rows for language
 * modelling: each row starts with BOS and takes whole sentences, each
 * followed by EOS, while they fit; the rest of the row is padding (mask 0).
 * A sentence longer than the row is cut. Target positions are t ≥ 1.
 */
export type PackedRows = { ids: Int32Array; mask: Float32Array; rows: number; T: number };

export function packSentences(
  sentences: number[][],
  T: number,
  o: { bos: number; eos: number; pad: number },
): PackedRows {
  const rows: number[][] = [];
  let cur: number[] = [o.bos];
  for (const s of sentences) {
    const piece = [...s, o.eos];
    if (cur.length + piece.length > T && cur.length > 1) {
      rows.push(cur);
      cur = [o.bos];
    }
    cur.push(...piece.slice(0, T - cur.length));
  }
  if (cur.length > 1) rows.push(cur);
  const ids = new Int32Array(rows.length * T).fill(o.pad);
  const mask = new Float32Array(rows.length * T);
  rows.forEach((r, i) => {
    ids.set(r, i * T);
    mask.fill(1, i * T, i * T + r.length);
  });
  return { ids, mask, rows: rows.length, T };
}

/** Unigram model of the target tokens (mask 1, t ≥ 1) with add-one smoothing: p(v) ∝ count(v) + 1. */
export function unigramLogProbs(p: PackedRows, vocabSize: number): Float64Array {
  const counts = new Float64Array(vocabSize).fill(1);
  for (let r = 0; r < p.rows; r++) {
    for (let t = 1; t < p.T; t++) if (p.mask[r * p.T + t]) counts[p.ids[r * p.T + t]]++;
  }
  const z = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => Math.log(c / z));
}

/** Mean NLL of the targets of `p` under a unigram model (nats per token). */
export function unigramNLL(p: PackedRows, logp: Float64Array): number {
  let s = 0;
  let n = 0;
  for (let r = 0; r < p.rows; r++) {
    for (let t = 1; t < p.T; t++) {
      if (p.mask[r * p.T + t]) {
        s -= logp[p.ids[r * p.T + t]];
        n++;
      }
    }
  }
  return s / Math.max(1, n);
}
