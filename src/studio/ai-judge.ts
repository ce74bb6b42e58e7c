/**
 * The AI judges' answers on the evaluation pairs, so people's answers can be
 * compared with them: text pairs by AFINN (the embedded world's ground-truth
 * reward of prompt + completion), image pairs by the text-to-digit world's
 * three judges (general preference, visual appeal, prompt alignment). Only
 * pairs without a judge's answer (none imported) are judged.
 */
import { join } from "node:path";
import { initEngine } from "../engine/init.js";
import { readGrayPng } from "../engine/png.js";
import { digitWorldJudges } from "../eval/image-judge.js";
import { afinnJudge } from "../eval/judges.js";
import { defaultModelDir } from "../models/default-model.js";
import { loadClassifier } from "../models/vision/digit-classifier.js";
import type { Answer, Store } from "./store.js";

const answer = (o: number): Answer => (o === 1 ? "a" : o === 0 ? "b" : "tie");

/** Judges the unjudged evaluation pairs of `store`; returns how many of each kind. */
export async function judgeEvalItems(
  store: Store,
  opts: { classifier?: string } = {},
): Promise<{ text: number; image: number; skipped: number }> {
  const todo = store.items("eval").filter((i) => !i.judge);
  const text = todo.filter((i) => i.media === "text");
  if (text.length) {
    const out = await afinnJudge().compare(text.map((i) => ({ prompt: i.prompt, a: i.a, b: i.b })));
    for (const [k, i] of text.entries()) store.setJudge(i.id, { preference: answer(out[k]) });
  }
  // the digit world's judges read 28×28 images; other sizes are left unjudged
  const read = (name: string) => readGrayPng(join(store.dataDir, "images", name));
  const images = todo
    .filter((i) => i.media === "image")
    .map((i) => ({ item: i, a: read(i.a), b: read(i.b) }))
    .filter((x) => [x.a, x.b].every((im) => im.width === 28 && im.height === 28));
  const skipped = todo.filter((i) => i.media === "image").length - images.length;
  if (images.length) {
    await initEngine();
    const judges = digitWorldJudges(
      loadClassifier(opts.classifier ?? defaultModelDir("digit-classifier")),
    );
    const items = images.map((x) => ({ prompt: x.item.prompt, a: x.a.pixels, b: x.b.pixels }));
    const [overall, appeal, alignment] = await Promise.all([
      judges.general.compare(items),
      judges.appeal.compare(items),
      judges.alignment.compare(items),
    ]);
    for (const [k, x] of images.entries()) {
      store.setJudge(x.item.id, {
        overall: answer(overall[k]),
        appeal: answer(appeal[k]),
        alignment: answer(alignment[k]),
      });
    }
  }
  return { text: text.length, image: images.length, skipped };
}
