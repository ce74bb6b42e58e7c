/**
 * The embedded text world's ground-truth reward (DESIGN §2): the AFINN score
 * of the npm package `sentiment` — the sum of the AFINN-165 valences of the
 * words of a text (negation-aware), a scorer nobody here wrote.
 */
import { createRequire } from "node:module";

type Analysis = { score: number; comparative: number; positive: string[]; negative: string[] };
type SentimentCtor = new () => { analyze(text: string): Analysis };

const require = createRequire(import.meta.url);
let analyzer: { analyze(text: string): Analysis } | undefined;

/** r(text) = Σ AFINN valence of its words (an integer, typically −10…10). */
export function afinnScore(text: string): number {
  analyzer ??= new (require("sentiment") as SentimentCtor)();
  return analyzer.analyze(text).score;
}
