/**
 * The embedded text world: a seeded generator of short movie-review
 * sentences. Each sentence draws a polarity (positive, negative, neutral or
 * mixed) and fills templates from word lists, so the AFINN score of the npm
 * package `sentiment` (the ground-truth reward, DESIGN §2) spreads over
 * roughly −8…+8 with many sentences near 0. Same seed, same corpus.
 */
import { HostRng } from "../engine/random.js";

const SUBJECTS = [
  "the movie",
  "this film",
  "the plot",
  "the acting",
  "the story",
  "the script",
  "the ending",
  "the cast",
  "the dialogue",
  "the music",
  "the soundtrack",
  "the director",
  "the camera work",
  "the lead actor",
  "the lead actress",
  "the villain",
  "the first half",
  "the second half",
  "the pacing",
  "the humor",
  "the special effects",
  "the final scene",
];
const NOUNS = [
  "story",
  "cast",
  "script",
  "soundtrack",
  "ending",
  "plot",
  "performances",
  "characters",
  "visuals",
  "dialogue",
  "scenes",
  "jokes",
];
const POS_ADJ = [
  "good",
  "great",
  "wonderful",
  "brilliant",
  "amazing",
  "beautiful",
  "fun",
  "funny",
  "charming",
  "excellent",
  "lovely",
  "perfect",
  "fantastic",
  "enjoyable",
  "clever",
  "sweet",
];
const NEG_ADJ = [
  "bad",
  "terrible",
  "awful",
  "boring",
  "dull",
  "horrible",
  "stupid",
  "weak",
  "poor",
  "disappointing",
  "annoying",
  "ugly",
  "lame",
  "messy",
  "painful",
  "pathetic",
];
const NEU_ADJ = [
  "long",
  "short",
  "slow",
  "quiet",
  "simple",
  "dark",
  "loud",
  "familiar",
  "old",
  "new",
  "quick",
  "unusual",
  "typical",
  "serious",
];
const ADVERBS = ["", "", "", "very ", "really ", "quite ", "pretty ", "so ", "rather "];
const POS_VERBS = ["loved", "liked", "enjoyed", "admired", "adored"];
const NEG_VERBS = ["hated", "disliked", "regretted watching", "could not stand"];
const NEU_VERBS = ["watched", "saw", "rented", "streamed", "remember"];
const POS_FEEL = ["laugh", "smile", "happy", "cheer"];
const NEG_FEEL = ["sad", "angry", "yawn", "cry", "bored"];
const NEU_FEEL = ["think", "wonder", "sleepy", "hungry"];
const WHEN = [
  "last night",
  "yesterday",
  "on sunday",
  "with my friends",
  "at the cinema",
  "at home",
  "twice",
];

export type Polarity = "positive" | "negative" | "neutral" | "mixed";

/** "a" or "an" before `phrase`, by its first letter. */
function article(phrase: string): string {
  return /^[aeiou]/.test(phrase) ? `an ${phrase}` : `a ${phrase}`;
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function lists(p: "positive" | "negative" | "neutral") {
  if (p === "positive") return { adj: POS_ADJ, verb: POS_VERBS, feel: POS_FEEL };
  if (p === "negative") return { adj: NEG_ADJ, verb: NEG_VERBS, feel: NEG_FEEL };
  return { adj: NEU_ADJ, verb: NEU_VERBS, feel: NEU_FEEL };
}

/** One sentence of the given polarity (drawn when omitted). */
export function reviewSentence(rng: HostRng, polarity?: Polarity): string {
  const pol: Polarity =
    polarity ??
    rng.pick<Polarity>(["positive", "positive", "negative", "negative", "neutral", "mixed"]);
  if (pol === "mixed") {
    const [a, b] =
      rng.next() < 0.5 ? (["positive", "negative"] as const) : (["negative", "positive"] as const);
    const A = lists(a);
    const B = lists(b);
    const s1 = rng.pick(SUBJECTS);
    let s2 = rng.pick(SUBJECTS);
    while (s2 === s1) s2 = rng.pick(SUBJECTS);
    switch (rng.int(3)) {
      case 0:
        return `${cap(s1)} was ${rng.pick(ADVERBS)}${rng.pick(A.adj)}, but ${s2} was ${rng.pick(B.adj)}.`;
      case 1:
        return `${cap(s1)} is ${rng.pick(A.adj)} and ${s2} is ${rng.pick(ADVERBS)}${rng.pick(B.adj)}.`;
      default:
        return `${cap(article(rng.pick(A.adj)))} ${rng.pick(NOUNS)} with ${article(rng.pick(B.adj))} ${rng.pick(NOUNS)}.`;
    }
  }
  const L = lists(pol);
  const adj = () => rng.pick(L.adj);
  const subj = rng.pick(SUBJECTS);
  switch (rng.int(9)) {
    case 0:
      return `${cap(subj)} was ${rng.pick(ADVERBS)}${adj()}.`;
    case 1:
      return `I thought ${subj} was ${adj()} and ${adj()}.`;
    case 2:
      return `I ${rng.pick(L.verb)} this movie ${rng.pick(WHEN)}.`;
    case 3:
      return `${cap(subj)} made me ${rng.pick(L.feel)}.`;
    case 4:
      return `Overall ${article(`${rng.pick(ADVERBS)}${adj()}`)} film with ${adj()} ${rng.pick(NOUNS)}.`;
    case 5:
      return `The ${rng.pick(NOUNS)} felt ${rng.pick(ADVERBS)}${adj()}.`;
    case 6:
      return `What ${article(adj())} movie.`;
    case 7:
      return `${cap(subj)} is ${rng.pick(ADVERBS)}${adj()}, and ${rng.pick(SUBJECTS)} is ${adj()} too.`;
    default:
      return `This was ${article(adj())} film and I ${rng.pick(L.verb)} it.`;
  }
}

/** `n` sentences from `seed`. */
export function movieReviewCorpus(n: number, seed = 0): string[] {
  const rng = new HostRng(seed);
  return Array.from({ length: n }, () => reviewSentence(rng));
}
