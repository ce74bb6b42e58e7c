/**
 * Byte-level BPE (GPT-2's scheme) trained on a corpus and written as a
 * Hugging Face `tokenizer.json`: bytes map to printable characters
 * (bytesToUnicode), text is pre-split with GPT-2's regex, and merges are
 * learned greedily: repeatedly merge the most frequent adjacent pair
 * (ties broken by the lexicographically smallest pair) until the vocabulary
 * reaches `vocabSize` or no pair occurs `minFrequency` times.
 */

/** GPT-2's reversible byte → printable-unicode-character table. */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const table = new Array<string>(256);
  for (let i = 0; i < bs.length; i++) table[bs[i]] = String.fromCodePoint(cs[i]);
  return table;
}

/** GPT-2's pre-tokenisation pattern. */
export const GPT2_SPLIT =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export type BPEOptions = {
  vocabSize: number;
  /** Special tokens appended after the learned vocabulary (first one is BOS/EOS). */
  specialTokens?: string[];
  minFrequency?: number;
  /** Prepend the first special token to every encoding (a BOS), as LLaMA does. */
  addBos?: boolean;
};

export type TrainedBPE = {
  vocab: Record<string, number>;
  merges: [string, string][];
  specialTokens: { content: string; id: number }[];
};

/** Learns merges from `texts`. The vocabulary is 256 byte symbols, then merges, then specials. */
export function trainBPE(texts: Iterable<string>, opts: BPEOptions): TrainedBPE {
  const specials = opts.specialTokens ?? ["<|endoftext|>"];
  const minFreq = opts.minFrequency ?? 2;
  const byteChar = bytesToUnicode();
  const enc = new TextEncoder();
  const counts = new Map<string, number>();
  for (const text of texts) {
    for (const m of text.matchAll(GPT2_SPLIT)) {
      const w = Array.from(enc.encode(m[0]), (b) => byteChar[b]).join("");
      counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  const words = [...counts.entries()].map(([w, c]) => ({ syms: Array.from(w), c }));
  const vocab: Record<string, number> = {};
  for (let b = 0; b < 256; b++) vocab[byteChar[b]] = b;
  let next = 256;
  const merges: [string, string][] = [];
  const budget = opts.vocabSize - specials.length;
  while (next < budget) {
    const pairs = new Map<string, number>();
    for (const { syms, c } of words) {
      for (let i = 0; i + 1 < syms.length; i++) {
        const k = `${syms[i]}\u0000${syms[i + 1]}`;
        pairs.set(k, (pairs.get(k) ?? 0) + c);
      }
    }
    let best: string | null = null;
    let bestC = 0;
    for (const [k, c] of pairs) {
      if (c > bestC || (c === bestC && best !== null && k < best)) {
        best = k;
        bestC = c;
      }
    }
    if (best === null || bestC < minFreq) break;
    const [a, b] = best.split("\u0000");
    const merged = a + b;
    merges.push([a, b]);
    if (vocab[merged] === undefined) vocab[merged] = next++;
    for (const w of words) {
      const s = w.syms;
      const out: string[] = [];
      for (let i = 0; i < s.length; i++) {
        if (i + 1 < s.length && s[i] === a && s[i + 1] === b) {
          out.push(merged);
          i++;
        } else out.push(s[i]);
      }
      w.syms = out;
    }
  }
  const specialTokens = specials.map((content) => ({ content, id: next++ }));
  return { vocab, merges, specialTokens };
}

/** The Hugging Face tokenizer.json object (byte-level BPE) for a trained model. */
export function bpeTokenizerJSON(
  bpe: TrainedBPE,
  opts: { addBos?: boolean } = {},
): Record<string, unknown> {
  const bos = bpe.specialTokens[0];
  const byteLevel = {
    type: "ByteLevel",
    add_prefix_space: false,
    trim_offsets: true,
    use_regex: true,
  };
  const postProcessor =
    opts.addBos && bos
      ? {
          type: "TemplateProcessing",
          single: [
            { SpecialToken: { id: bos.content, type_id: 0 } },
            { Sequence: { id: "A", type_id: 0 } },
          ],
          pair: [
            { SpecialToken: { id: bos.content, type_id: 0 } },
            { Sequence: { id: "A", type_id: 0 } },
            { SpecialToken: { id: bos.content, type_id: 0 } },
            { Sequence: { id: "B", type_id: 1 } },
          ],
          special_tokens: {
            [bos.content]: { id: bos.content, ids: [bos.id], tokens: [bos.content] },
          },
        }
      : { ...byteLevel, trim_offsets: false };
  const vocab: Record<string, number> = { ...bpe.vocab };
  for (const s of bpe.specialTokens) vocab[s.content] = s.id;
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: bpe.specialTokens.map((s) => ({
      id: s.id,
      content: s.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: postProcessor,
    decoder: byteLevel,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: bpe.merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}
