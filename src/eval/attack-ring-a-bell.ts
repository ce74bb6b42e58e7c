/**
 * Ring-A-Bell (Tsai et al. 2024), a model-agnostic red-teaming attack, on the
 * model's own text encoder E:
 *   concept vector  v = mean over prompt pairs of (E(with concept) − E(without)),
 *   target          y = E(prompt) + η·v,
 * then a genetic search over word sequences — the vocabulary minus the
 * concept's words and the special tokens — for a prompt p with E(p) closest
 * to y (fitness: cosine similarity). The prompts found name no concept word,
 * yet their embedding points where the concept's does.
 */
import { HostRng } from "../engine/random.js";
import { encodePrompts } from "../models/diffusion/guidance.js";
import type { DiffusionModel } from "../models/diffusion/model.js";
import { type Concept, digitPhrase, namesConcept } from "./concept.js";

export type RingABellOptions = {
  /** Strength of the concept vector added to each prompt's embedding (default 1.5). */
  eta?: number;
  /** Prompts to attack (digits 0–9 in turn; default 10). */
  count?: number;
  /** Words per attack prompt (default: the encoder's maxLen). */
  length?: number;
  population?: number;
  generations?: number;
  /** Per-word mutation probability (default 0.15). */
  mutation?: number;
  /** Prompt pairs averaged into the concept vector (default 50). */
  vectorPairs?: number;
  seed?: number;
};

export const RING_A_BELL_DEFAULTS = {
  eta: 1.5,
  count: 10,
  population: 64,
  generations: 40,
  mutation: 0.15,
  vectorPairs: 50,
  seed: 0,
};

export type RingABellResult = {
  /** attack prompts, one per attacked prompt */
  prompts: string[];
  /** the prompts attacked (without the concept) */
  sources: string[];
  /** cosine similarity of each attack prompt's embedding to its target */
  fitness: number[];
  /** ‖v‖ of the concept vector */
  vectorNorm: number;
};

/** Host text vectors (n × condDim) for prompts, in batches. */
export async function encodeTexts(model: DiffusionModel, prompts: string[]): Promise<Float32Array> {
  const E = model.config.text.outDim;
  const out = new Float32Array(prompts.length * E);
  for (let s = 0; s < prompts.length; s += 256) {
    const batch = prompts.slice(s, s + 256);
    out.set((await encodePrompts(model, batch).data()) as Float32Array, s * E);
  }
  return out;
}

/** v = mean_i E(with_i) − E(without_i) over `pairs` prompt pairs for random digits and concept phrases. */
export async function conceptVector(
  model: DiffusionModel,
  concept: Concept,
  pairs: number,
  rng: HostRng,
): Promise<Float32Array> {
  const withC: string[] = [];
  const without: string[] = [];
  for (let i = 0; i < pairs; i++) {
    const d = i % 10;
    const dp = digitPhrase(d, rng);
    const phrase = concept.phrases[i % concept.phrases.length];
    withC.push(rng.next() < 0.5 ? `${phrase} ${dp}` : `${dp} ${phrase}`);
    without.push(dp);
  }
  const a = await encodeTexts(model, withC);
  const b = await encodeTexts(model, without);
  const E = model.config.text.outDim;
  const v = new Float32Array(E);
  for (let i = 0; i < pairs; i++)
    for (let k = 0; k < E; k++) v[k] += (a[i * E + k] - b[i * E + k]) / pairs;
  return v;
}

function cosine(x: Float32Array, xo: number, y: Float32Array, E: number): number {
  let dot = 0;
  let nx = 0;
  let ny = 0;
  for (let k = 0; k < E; k++) {
    dot += x[xo + k] * y[k];
    nx += x[xo + k] ** 2;
    ny += y[k] ** 2;
  }
  return dot / Math.sqrt(nx * ny + 1e-12);
}

/** The words an attack may use: the vocabulary minus special tokens and the concept's words. */
export function attackVocabulary(model: DiffusionModel, concept: Concept): string[] {
  return model.config.vocab.filter((w) => !w.startsWith("<") && !namesConcept(concept, w));
}

/** Runs the attack on `count` prompts without the concept (digits 0–9 in turn). */
export async function ringABell(
  model: DiffusionModel,
  concept: Concept,
  opts: RingABellOptions = {},
): Promise<RingABellResult> {
  const o = { ...RING_A_BELL_DEFAULTS, ...opts };
  const rng = new HostRng(o.seed * 9973 + 5);
  const E = model.config.text.outDim;
  const K = o.length ?? model.config.text.maxLen;
  const vocab = attackVocabulary(model, concept);
  const v = await conceptVector(model, concept, o.vectorPairs, rng);
  const vectorNorm = Math.hypot(...v);
  const sources = Array.from({ length: o.count }, (_, i) => digitPhrase(i % 10, rng));
  const base = await encodeTexts(model, sources);
  const prompts: string[] = [];
  const fitness: number[] = [];
  for (let s = 0; s < o.count; s++) {
    const target = new Float32Array(E);
    for (let k = 0; k < E; k++) target[k] = base[s * E + k] + o.eta * v[k];
    // start from the source prompt's words plus random ones, and from random sequences
    const srcWords = sources[s].split(" ");
    let pop: string[][] = Array.from({ length: o.population }, (_, i) => {
      const words = Array.from({ length: K }, () => rng.pick(vocab));
      if (i % 2 === 0)
        srcWords.forEach((w, j) => {
          words[(j + i) % K] = w;
        });
      return words;
    });
    let best = { words: pop[0], fit: -2 };
    for (let g = 0; g <= o.generations; g++) {
      const emb = await encodeTexts(
        model,
        pop.map((w) => w.join(" ")),
      );
      const fit = pop.map((_, i) => cosine(emb, i * E, target, E));
      const order = fit.map((f, i) => [f, i] as const).sort((a, b) => b[0] - a[0]);
      if (order[0][0] > best.fit) best = { words: pop[order[0][1]].slice(), fit: order[0][0] };
      if (g === o.generations) break;
      const elite = order
        .slice(0, Math.max(2, Math.floor(o.population / 8)))
        .map(([, i]) => pop[i]);
      const pick = () => {
        // tournament of two
        const a = rng.int(pop.length);
        const b = rng.int(pop.length);
        return pop[fit[a] >= fit[b] ? a : b];
      };
      const next: string[][] = elite.map((w) => w.slice());
      while (next.length < o.population) {
        const p1 = pick();
        const p2 = pick();
        const cut = 1 + rng.int(K - 1);
        const child = [...p1.slice(0, cut), ...p2.slice(cut)];
        for (let j = 0; j < K; j++) if (rng.next() < o.mutation) child[j] = rng.pick(vocab);
        next.push(child);
      }
      pop = next;
    }
    prompts.push(best.words.join(" "));
    fitness.push(best.fit);
  }
  return { prompts, sources, fitness, vectorNorm };
}
