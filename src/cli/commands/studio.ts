/**
 * `prefopt studio`: the preference studio web app (labeling, blinded human
 * evaluation, training on the labels, run reports), plus `studio import` and
 * `studio export` for its data directory from the command line.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { UserError } from "../../engine/errors.js";
import { loadPrompts } from "../../pipelines/rlhf.js";
import { judgeEvalItems } from "../../studio/ai-judge.js";
import { exportFile } from "../../studio/export.js";
import { generateCandidates, labeledPrompts } from "../../studio/generate.js";
import { importJsonl } from "../../studio/import.js";
import { serveStudio } from "../../studio/serve.js";
import { Store } from "../../studio/store.js";
import { parseInteger, parseNumber } from "../options.js";

const DEFAULT_DATA = "studio-data";

function parsePort(v: string): number {
  const n = parseInteger(v);
  if (n < 0 || n > 65535) throw new InvalidArgumentError(`expected a port 0–65535, got "${v}"`);
  return n;
}

export function registerStudio(program: Command): void {
  const studio = program
    .command("studio")
    .description(
      "The preference studio: a web app to label text or image pairs with the keyboard, run blinded " +
        "human evaluations of model A vs B with live win rates, train DPO on the labels and watch " +
        "its curves. `prefopt studio [--data DIR] [--port N] [--host H]` serves it; import, " +
        "generate and export work on its data directory from the shell.",
    );

  studio
    .command("serve", { isDefault: true })
    .description(
      "Serve the studio (the default): labels are saved at once in SQLite in --data. Binds to " +
        "127.0.0.1; any other --host requires the access token printed in the URL.",
    )
    .option("--data <dir>", "data directory (studio.db, images/, exports/, runs/)", DEFAULT_DATA)
    .option("--port <n>", "TCP port (0: any free port)", parsePort, 8470)
    .option("--host <address>", "address to bind (not loopback: a token is required)", "127.0.0.1")
    .option("--token <t>", "access token (default: random when --host is not loopback)")
    .action(async (opts) => {
      const s = await serveStudio({
        dataDir: opts.data,
        host: opts.host,
        port: opts.port,
        token: opts.token ?? process.env.PREFOPT_STUDIO_TOKEN,
      });
      const c = s.store.counts();
      console.log(`prefopt studio: ${s.url}`);
      console.log(
        `  data ${resolve(opts.data)}: ${c.items.pairs} pairs (${c.judgments.pairs} labels), ` +
          `${c.items.eval} evaluation pairs (${c.judgments.eval} judgments)`,
      );
      if (s.token) console.log("  bound off loopback: every request needs the token in that URL");
      console.log("  Ctrl-C stops it");
      const stop = () => {
        void s.close().then(() => process.exit(0));
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });

  studio
    .command("import <file>")
    .description(
      "Add pairs to the studio's data directory: TRL preference JSONL or image-pair JSONL (PNG paths " +
        'relative to the file) to label, or with --eval rows {"prompt", "a", "b", "judge"?} of model A ' +
        "and B outputs to evaluate blinded.",
    )
    .option("--data <dir>", "data directory", DEFAULT_DATA)
    .option("--eval", "rows are model A vs B outputs for human evaluation")
    .option("--model-a <name>", "name of model A (with --eval)", "A")
    .option("--model-b <name>", "name of model B (with --eval)", "B")
    .action((file: string, opts) => {
      let text: string;
      try {
        text = readFileSync(file, "utf8");
      } catch (e) {
        throw new UserError(`${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? e})`);
      }
      const store = new Store(opts.data);
      try {
        const r = importJsonl(store, text, file, {
          task: opts.eval ? "eval" : "pairs",
          modelA: opts.modelA,
          modelB: opts.modelB,
          baseDir: dirname(resolve(file)),
        });
        console.log(
          `imported ${r.added} new ${opts.eval ? "evaluation " : ""}pair(s) from ${file} into ${opts.data} (${r.existing} already there)`,
        );
      } finally {
        store.close();
      }
    });

  studio
    .command("generate")
    .description(
      "Generate candidates into the studio's data directory, prompt by prompt (the app can label them " +
        "at once): two samples per prompt from --model-a to label, or with --eval one sample each from " +
        "--model-a and --model-b (same seed) to compare blinded. Prompts: --prompts, or those of the " +
        "pairs already imported. The app starts this in the background.",
    )
    .option("--data <dir>", "data directory", DEFAULT_DATA)
    .option("--eval", "model A vs model B for human evaluation (default: pairs to label)")
    .option("--model-a <dir>", "model to sample (default: the bundled text model)")
    .option(
      "--model-b <dir>",
      "with --eval: the model to compare against (default: the bundled text model)",
    )
    .option("--name-a <name>", "name shown for model A", "A")
    .option("--name-b <name>", "name shown for model B", "B")
    .option("--prompts <file>", "prompts: JSONL with a prompt field, or one per line")
    .option("--limit <n>", "at most this many prompts", parseInteger, 50)
    .option("--max-new-tokens <n>", "tokens per sample", parseInteger, 24)
    .option("--temperature <x>", "sampling temperature", parseNumber, 1)
    .option("--seed <n>", "random seed (prompt i uses seed + i)", parseInteger, 0)
    .action(async (opts) => {
      const store = new Store(opts.data);
      try {
        const all = opts.prompts ? loadPrompts(opts.prompts) : labeledPrompts(store);
        const prompts = all.slice(0, Math.max(0, opts.limit));
        const added = await generateCandidates(
          store,
          {
            task: opts.eval ? "eval" : "pairs",
            prompts,
            modelA: opts.modelA,
            modelB: opts.modelB,
            nameA: opts.nameA,
            nameB: opts.nameB,
            maxNewTokens: opts.maxNewTokens,
            temperature: opts.temperature,
            seed: opts.seed,
          },
          (i, n) => console.log(`generated ${i}/${n}`),
        );
        console.log(
          `added ${added} ${opts.eval ? "evaluation " : ""}pair(s) from ${prompts.length} prompt(s) to ${opts.data}`,
        );
      } finally {
        store.close();
      }
    });

  studio
    .command("judge")
    .description(
      "Give the AI judges' answers on the evaluation pairs that have none, for agreement with people: " +
        "text by AFINN, 28×28 images by the text-to-digit world's three judges (general preference, " +
        "visual appeal, prompt alignment).",
    )
    .option("--data <dir>", "data directory", DEFAULT_DATA)
    .option(
      "--classifier <dir>",
      "digit classifier for the image judges (default: the bundled one)",
    )
    .action(async (opts) => {
      const store = new Store(opts.data);
      try {
        const r = await judgeEvalItems(store, { classifier: opts.classifier });
        console.log(
          `judged ${r.text} text and ${r.image} image evaluation pair(s)` +
            (r.skipped ? ` (${r.skipped} image pair(s) not 28×28 left unjudged)` : ""),
        );
      } finally {
        store.close();
      }
    });

  studio
    .command("export")
    .description(
      "Write the labeled pairs (majority vote per pair, ties left out) as TRL JSONL for `prefopt dpo " +
        "--data`, or with --media image as image-pair JSONL (PNG paths relative to --out).",
    )
    .option("--data <dir>", "data directory", DEFAULT_DATA)
    .requiredOption("--out <file>", "JSONL file to write")
    .option("--media <m>", "text | image", "text")
    .action((opts) => {
      if (opts.media !== "text" && opts.media !== "image") {
        throw new UserError(`--media: expected text or image, got "${opts.media}"`);
      }
      const store = new Store(opts.data);
      try {
        const s = exportFile(store, opts.media, opts.out);
        console.log(
          `wrote ${s.rows} ${s.media} pair(s) to ${opts.out} (${s.undecided} tied, ${s.unlabeled} unlabeled left out)`,
        );
      } finally {
        store.close();
      }
    });
}
