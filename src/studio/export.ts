/**
 * Labels out of the studio, in the formats the trainers read unchanged:
 * text pairs as standard TRL JSONL {"prompt", "chosen", "rejected"} (for
 * `prefopt dpo --data`), image pairs as image-pair JSONL whose PNG paths are
 * relative to the exported file's folder (for `prefopt data check` and
 * Diffusion-DPO). Each pair is the majority vote of its labelers (tallied in
 * tally.ts); pairs with no majority are left out.
 */
import { mkdirSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { writeFileAtomic } from "../engine/atomic.js";
import { UserError } from "../engine/errors.js";
import type { Media, Store } from "./store.js";
import { majorityPairs } from "./tally.js";

export type ExportSummary = {
  media: Media;
  rows: number;
  undecided: number;
  unlabeled: number;
};

/** JSONL text of the labeled pairs of `media`; image paths are written relative to `outDir`. */
export function exportText(
  store: Store,
  media: Media,
  outDir: string,
): { text: string; summary: ExportSummary } {
  const items = store.items("pairs").filter((i) => i.media === media);
  const { pairs, undecided, unlabeled } = majorityPairs(items, store.judgments("pairs"));
  const imagePath = (name: string) =>
    relative(resolve(outDir), join(resolve(store.dataDir), "images", name))
      .split("\\")
      .join("/");
  const lines = pairs.map(({ item, winner }) => {
    const [chosen, rejected] = winner === "a" ? [item.a, item.b] : [item.b, item.a];
    return JSON.stringify(
      media === "text"
        ? { prompt: item.prompt, chosen, rejected }
        : { prompt: item.prompt, chosen: imagePath(chosen), rejected: imagePath(rejected) },
    );
  });
  return {
    text: lines.length ? `${lines.join("\n")}\n` : "",
    summary: { media, rows: lines.length, undecided, unlabeled },
  };
}

/** Writes the export to `outPath` atomically; a UserError when no pair has a majority yet. */
export function exportFile(store: Store, media: Media, outPath: string): ExportSummary {
  const { text, summary } = exportText(store, media, dirname(resolve(outPath)));
  if (summary.rows === 0) {
    throw new UserError(
      `nothing to export: no ${media} pair has a majority label yet (${summary.unlabeled} unlabeled, ${summary.undecided} tied)`,
    );
  }
  mkdirSync(dirname(resolve(outPath)), { recursive: true });
  writeFileAtomic(outPath, text);
  return summary;
}
