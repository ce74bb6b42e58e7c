/**
 * What the judgments add up to: preference pairs by majority vote (for
 * export and training), win rates of model A over model B per question with
 * 95% Wilson intervals, and agreement between labelers and with AI judges.
 * Pure functions of items and live judgments.
 */
import { type WinRate, winRate } from "../eval/win-rate.js";
import { type Agreement, agreementWith, fleissKappa } from "./agreement.js";
import { type Answer, type Item, type Judgment, QUESTIONS, type Task } from "./store.js";

export type VotedPair = {
  item: Item;
  /** "a" or "b": the candidate the majority preferred */
  winner: "a" | "b";
  votes: { a: number; b: number; tie: number };
};

/**
 * Each item's majority preference on `question`: a strict majority of a over b
 * (ties count for neither) picks the winner; items without one are left out.
 */
export function majorityPairs(
  items: readonly Item[],
  judgments: readonly Judgment[],
  question = "preference",
): { pairs: VotedPair[]; undecided: number; unlabeled: number } {
  const votes = new Map<number, { a: number; b: number; tie: number }>();
  for (const j of judgments) {
    const ans = j.answers[question];
    if (j.skipped || !ans) continue;
    const v = votes.get(j.itemId) ?? { a: 0, b: 0, tie: 0 };
    v[ans]++;
    votes.set(j.itemId, v);
  }
  const pairs: VotedPair[] = [];
  let undecided = 0;
  let unlabeled = 0;
  for (const item of items) {
    const v = votes.get(item.id);
    if (!v) unlabeled++;
    else if (v.a === v.b) undecided++;
    else pairs.push({ item, winner: v.a > v.b ? "a" : "b", votes: v });
  }
  return { pairs, undecided, unlabeled };
}

export type QuestionResult = {
  question: string;
  /** win rate of model A over model B; each labeler's answer is one comparison */
  winRate: WinRate;
  /** agreement between labelers on items answered by two or more */
  agreement: Agreement;
  /** agreement of labelers' answers with the AI judge's on the same items */
  judge: { n: number; agree: number; rate: number };
};

/** Per-question results of a task over live judgments (skips ignored). */
export function questionResults(
  task: Task,
  items: readonly Item[],
  judgments: readonly Judgment[],
): QuestionResult[] {
  const byId = new Map(items.map((i) => [i.id, i]));
  const questions = new Set<string>();
  for (const i of items) for (const q of QUESTIONS[task][i.media]) questions.add(q);
  const out: QuestionResult[] = [];
  for (const q of questions) {
    const outcomes: number[] = [];
    const perItem = new Map<number, Answer[]>();
    const judgePairs: { human: string; judge: string }[] = [];
    for (const j of judgments) {
      const ans = j.answers[q];
      const item = byId.get(j.itemId);
      if (j.skipped || !ans || !item) continue;
      outcomes.push(ans === "a" ? 1 : ans === "b" ? 0 : 0.5);
      perItem.set(j.itemId, [...(perItem.get(j.itemId) ?? []), ans]);
      const ja = item.judge?.[q];
      if (ja) judgePairs.push({ human: ans, judge: ja });
    }
    out.push({
      question: q,
      winRate: winRate(outcomes),
      agreement: fleissKappa([...perItem.values()]),
      judge: agreementWith(judgePairs),
    });
  }
  return out;
}
