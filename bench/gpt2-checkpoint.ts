/**
 * Writes a GPT-2-small-shaped checkpoint in Hugging Face layout with random
 * weights (12 layers, width 768, 12 heads, 1024 positions, vocabulary 50257,
 * 124M parameters; GPT-2's initialisation) and a valid byte-level BPE
 * tokenizer.json of that vocabulary (the bundled model's tokenizer, extended
 * with merges of its own tokens up to 50256 entries, then <|endoftext|> =
 * 50256, GPT-2's id), plus a preference set of 32 pairs, for the memory and
 * speed runs at a real size:
 *
 *   node --import tsx bench/gpt2-checkpoint.ts --out /tmp/gpt2-small [--pairs 32]
 *   prefopt dpo --model /tmp/gpt2-small --data /tmp/gpt2-small/prefs.jsonl --lora-rank 8 ...
 *
 * `--preset qwen-0.5b` writes a LLaMA-family checkpoint of Qwen2.5-0.5B's shape
 * instead (model_type llama: 24 layers, hidden 896, 14 query heads sharing 2
 * key/value heads, SwiGLU width 4864, q/k/v biases, RoPE θ 10⁶, tied
 * embeddings, vocabulary 151936 — 494M parameters, 1.84 GiB in float32); its
 * tokenizer is the same 50257-entry BPE (ids past it are embedding rows no
 * text reaches, as in Qwen's own padded vocabulary).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type HostTensor, writeSafetensors } from "../src/engine/safetensors.js";
import { configToHF } from "../src/models/lm/config.js";
import { hostWeights } from "./host-weights.js";
import { presetConfig } from "./presets.js";

const args = process.argv.slice(2);
const flag = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const out = flag("out", "/tmp/gpt2-small");
const nPairs = Number(flag("pairs", "32"));
const preset = flag("preset", "gpt2");
const VOCAB = 50257;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bundled = join(ROOT, "models", "text-base");

type TokenizerJson = {
  model: { vocab: Record<string, number>; merges: (string | [string, string])[] };
  added_tokens: { id: number; content: string }[];
};

/** The bundled tokenizer grown to `VOCAB` entries by merges of pairs of its own tokens. */
function extendTokenizer(): TokenizerJson {
  const t = JSON.parse(readFileSync(join(bundled, "tokenizer.json"), "utf8")) as TokenizerJson;
  const eos = "<|endoftext|>";
  const vocab = t.model.vocab;
  delete vocab[eos];
  const tokens = Object.entries(vocab)
    .sort((a, b) => a[1] - b[1])
    .map(([s]) => s);
  const asPair = typeof t.model.merges[0] !== "string";
  let next = tokens.length;
  // merges of a (longer, later) token with every earlier one, in a fixed order
  outer: for (let i = tokens.length - 1; i >= 0; i--)
    for (let j = 0; j < tokens.length; j++) {
      if (next >= VOCAB - 1) break outer;
      const a = tokens[i];
      const b = tokens[j];
      if (b.startsWith("Ġ") || vocab[a + b] !== undefined) continue;
      vocab[a + b] = next++;
      t.model.merges.push(asPair ? [a, b] : `${a} ${b}`);
    }
  vocab[eos] = VOCAB - 1;
  t.added_tokens = t.added_tokens.map((a) => (a.content === eos ? { ...a, id: VOCAB - 1 } : a));
  if (Object.keys(vocab).length !== VOCAB) throw new Error("vocabulary size");
  return t;
}

/** 32 prompts with a helpful and an unhelpful completion each. */
function preferencePairs(n: number): string {
  const topics = [
    "the weather",
    "a recipe",
    "the train",
    "a poem",
    "the garden",
    "music",
    "a book",
    "the sea",
  ];
  const rows: string[] = [];
  for (let i = 0; i < n; i++) {
    const topic = topics[i % topics.length];
    rows.push(
      JSON.stringify({
        prompt: `Tell me something about ${topic}, please (${i}).`,
        chosen: ` Gladly. Here is a short, friendly note about ${topic} that I hope you enjoy reading today.`,
        rejected: ` No. I will not talk about ${topic}; ask someone else and stop bothering me.`,
      }),
    );
  }
  return `${rows.join("\n")}\n`;
}

/**
 * The 0.5B shape's weights made on the host (bench/host-weights.ts: the engine's eager
 * random.normal over a 151936 × 896 embedding holds several copies at once and exceeds the
 * 4 GiB heap).
 */
function writeHostWeights(c: import("../src/models/lm/config.js").LMConfig): void {
  const host: Record<string, HostTensor> = {};
  for (const [name, t] of hostWeights(c)) host[name] = { dtype: "F32", ...t };
  writeSafetensors(join(out, "model.safetensors"), host, { format: "pt" });
  writeFileSync(join(out, "config.json"), JSON.stringify(configToHF(c), null, 2));
  writeFileSync(
    join(out, "generation_config.json"),
    JSON.stringify({ bos_token_id: c.bosTokenId, eos_token_id: c.eosTokenId }),
  );
}

async function main() {
  const { initEngine } = await import("../src/engine/init.js");
  await initEngine();
  const { makeKey } = await import("../src/engine/random.js");
  const { initParams } = await import("../src/models/lm/params.js");
  const { savePretrained } = await import("../src/models/lm/hf.js");
  const { tree } = await import("../src/engine/jax.js");
  mkdirSync(out, { recursive: true });
  const ids = { bosTokenId: VOCAB - 1, eosTokenId: VOCAB - 1 };
  // the preset's shape (bench/presets.ts) at its model's full context
  const c = presetConfig(preset, {
    maxPositions: preset === "gpt2" ? 1024 : 32768,
    ...ids,
  });
  if (preset === "gpt2") {
    const params = initParams(c, makeKey(0));
    await savePretrained(out, c, params);
    tree.dispose(params as never);
  } else writeHostWeights(c);
  writeFileSync(join(out, "tokenizer.json"), JSON.stringify(extendTokenizer()));
  const tc = JSON.parse(readFileSync(join(bundled, "tokenizer_config.json"), "utf8"));
  writeFileSync(
    join(out, "tokenizer_config.json"),
    JSON.stringify({ ...tc, model_max_length: c.maxPositions }, null, 2),
  );
  writeFileSync(join(out, "prefs.jsonl"), preferencePairs(nPairs));
  console.log(
    `wrote ${out}: config.json (${preset}), model.safetensors, tokenizer.json (${VOCAB}), prefs.jsonl (${nPairs} pairs)`,
  );
}

await main();
