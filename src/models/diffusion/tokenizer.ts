/**
 * Word-level tokenizer for captions: a fixed vocabulary (every caption word,
 * plus <pad>, <null> and <unk>), padded to a fixed length. The empty caption
 * becomes the single <null> token: the null prompt of classifier-free guidance.
 */
import { captionVocabulary, captionWords } from "../../data/captions.js";

export const PAD = 0;
export const NULL_TOKEN = 1;
export const UNK = 2;

export function defaultVocabulary(): string[] {
  return ["<pad>", "<null>", "<unk>", ...captionVocabulary()];
}

/** Token ids [n × maxLen] (row-major) for captions; words beyond maxLen are dropped. */
export function tokenize(
  captions: string[],
  vocab: string[],
  maxLen: number,
): Int32Array<ArrayBuffer> {
  const index = new Map(vocab.map((w, i) => [w, i]));
  const out = new Int32Array(captions.length * maxLen);
  captions.forEach((c, i) => {
    const words = captionWords(c);
    if (words.length === 0) {
      out[i * maxLen] = NULL_TOKEN;
      return;
    }
    words.slice(0, maxLen).forEach((w, j) => {
      out[i * maxLen + j] = index.get(w) ?? UNK;
    });
  });
  return out;
}
