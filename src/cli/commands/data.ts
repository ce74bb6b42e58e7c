/** `prefopt data check`: validate a dataset file up front, with the errors training would give. */
import { type Command, InvalidArgumentError } from "commander";
import { loadImagePairs } from "../../data/image-pairs.js";
import { readJsonl } from "../../data/jsonl.js";
import { loadPreferenceJsonl } from "../../data/preference-data.js";
import { loadSFTJsonl } from "../../data/sft-data.js";
import { DEFAULT_CHAT_TEMPLATE, renderChatTemplate } from "../../models/lm/chat-template.js";
import { LMTokenizer } from "../../models/lm/tokenizer.js";
import { chatTemplateOf } from "../../pipelines/lm-data.js";
import { parseCount } from "../options.js";

const FORMATS = ["auto", "sft", "preference", "image-pairs"] as const;
type Format = (typeof FORMATS)[number];

function parseFormat(v: string): Format {
  if (!(FORMATS as readonly string[]).includes(v))
    throw new InvalidArgumentError(`expected one of ${FORMATS.join(", ")}, got "${v}"`);
  return v as Format;
}

/** sft if the first row has "completion" or "messages"; image-pairs if "chosen" is a .png path; else preference. */
function detect(file: string): Exclude<Format, "auto"> {
  const first = readJsonl(file)[0].value as Record<string, unknown> | null;
  if (first && typeof first === "object" && ("completion" in first || "messages" in first))
    return "sft";
  if (first && typeof first === "object" && typeof first.chosen === "string") {
    if (/\.png$/i.test(first.chosen)) return "image-pairs";
  }
  return "preference";
}

export function registerData(program: Command): void {
  const data = program.command("data").description("Dataset utilities.");
  data
    .command("check")
    .description(
      "Validate a dataset (TRL SFT or preference JSONL, or image pairs {prompt, chosen, rejected} with PNG paths) " +
        "and print what it holds; a bad row gets the error training would give (file, line, field), exit code 2.",
    )
    .argument("<file>", "the JSONL file")
    .option("--format <f>", FORMATS.join(" | "), parseFormat, "auto")
    .option("--model <dir>", "model whose chat template renders conversational rows")
    .option("--image-size <n>", "image pairs: expected width and height", parseCount, 28)
    .action((file: string, o) => {
      const format = o.format === "auto" ? detect(file) : o.format;
      let n: number;
      if (format === "sft") n = loadSFTJsonl(file).length;
      else if (format === "image-pairs") n = loadImagePairs(file, { size: o.imageSize }).length;
      else {
        const chatTemplate = o.model
          ? chatTemplateOf(LMTokenizer.load(o.model))
          : (m: { role: string; content: string }[], t: { addGenerationPrompt: boolean }) =>
              renderChatTemplate(DEFAULT_CHAT_TEMPLATE, m, t);
        n = loadPreferenceJsonl(file, { chatTemplate }).length;
      }
      console.log(`${file}: ${n} ${format} rows, all valid`);
    });
}
