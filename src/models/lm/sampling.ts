/**
 * Picking the next token from one row of logits: temperature scaling, top-k
 * (keep the k largest), top-p / nucleus (keep the smallest set of most likely
 * tokens whose probability reaches p), then a draw from the renormalised
 * softmax with a seeded host generator. temperature 0 means greedy (argmax).
 */
import type { HostRng } from "../../engine/random.js";

export type SamplingOptions = { temperature?: number; topK?: number; topP?: number };

export function sampleToken(
  logits: ArrayLike<number>,
  rng: HostRng,
  o: SamplingOptions = {},
): number {
  const V = logits.length;
  const temperature = o.temperature ?? 1;
  if (temperature <= 0) {
    let best = 0;
    for (let i = 1; i < V; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  // descending logits; ties keep the lower id first (Array.prototype.sort is stable)
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => logits[b] - logits[a]);
  let keep = o.topK && o.topK > 0 ? Math.min(o.topK, V) : V;
  const max = logits[order[0]];
  const w = new Float64Array(keep);
  let z = 0;
  for (let r = 0; r < keep; r++) {
    w[r] = Math.exp((logits[order[r]] - max) / temperature);
    z += w[r];
  }
  const topP = o.topP ?? 1;
  if (topP < 1) {
    let cum = 0;
    for (let r = 0; r < keep; r++) {
      cum += w[r] / z;
      if (cum >= topP) {
        keep = r + 1;
        break;
      }
    }
  }
  return order[rng.categorical(w.subarray(0, keep))];
}
