import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Tokenizer } from "@huggingface/tokenizers";
import { afinnScore } from "../src/data/afinn.js";
import { bpeTokenizerJSON, bytesToUnicode, trainBPE } from "../src/data/bpe.js";
import { movieReviewCorpus } from "../src/data/movie-reviews.js";
import { packSentences, unigramLogProbs, unigramNLL } from "../src/data/pack.js";
import { loadSFTJsonl, positiveReviewSFT, tokenizeSFT } from "../src/data/sft-data.js";
import { UserError } from "../src/engine/errors.js";
import { LMTokenizer } from "../src/models/lm/tokenizer.js";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const EOS = "<|endoftext|>";
function tok(): LMTokenizer {
  const bpe = trainBPE(movieReviewCorpus(500, 2), { vocabSize: 400, specialTokens: [EOS] });
  return new LMTokenizer(bpeTokenizerJSON(bpe, { addBos: true }), {
    bos_token: EOS,
    eos_token: EOS,
    chat_template:
      "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}",
  });
}

describe("movie-review corpus", () => {
  it("is seeded and its AFINN scores spread across negative, zero and positive", () => {
    const a = movieReviewCorpus(600, 5);
    assert.deepEqual(a, movieReviewCorpus(600, 5));
    assert.notDeepEqual(a, movieReviewCorpus(600, 6));
    const scores = a.map(afinnScore);
    const neg = scores.filter((s) => s < 0).length;
    const pos = scores.filter((s) => s > 0).length;
    const zero = scores.filter((s) => s === 0).length;
    assert.ok(neg > 100 && pos > 100 && zero > 30, `neg ${neg} pos ${pos} zero ${zero}`);
    assert.ok(new Set(scores).size >= 10, "many distinct scores");
    assert.ok(Math.min(...scores) <= -5 && Math.max(...scores) >= 5);
    for (const s of a) assert.match(s, /^[A-Z][A-Za-z ,']+\.$/);
  });
});

describe("byte-level BPE", () => {
  it("bytesToUnicode is a bijection onto printable characters", () => {
    const t = bytesToUnicode();
    assert.equal(new Set(t).size, 256);
    assert.equal(t[32], "Ġ");
    assert.equal(t[65], "A");
  });

  it("writes a tokenizer.json that @huggingface/tokenizers loads; encode/decode round-trips any text", () => {
    const t = tok();
    const raw = new Tokenizer(t.json, {});
    for (const s of [
      "The plot was great.",
      "Héllo wörld! 123 — ünknown 🎬",
      "  spaces\tand\nnewlines ",
    ]) {
      const ids = t.encode(s);
      assert.equal(ids[0], t.bosTokenId, "BOS first");
      assert.deepEqual(raw.encode(s).ids, ids);
      assert.equal(t.decode(ids), s);
    }
    // merges compress the corpus: well under one token per character
    const s = "I thought the acting was wonderful and charming.";
    assert.ok(t.encode(s, { addSpecialTokens: false }).length < s.length / 3);
    assert.equal(t.vocabSize, 400);
  });
});

describe("packing and the unigram baseline", () => {
  it("rows start with BOS, hold whole sentences followed by EOS, and pad the rest", () => {
    const p = packSentences([[1, 2], [3, 4, 5], [6]], 6, { bos: 9, eos: 8, pad: 0 });
    assert.deepEqual(Array.from(p.ids), [9, 1, 2, 8, 0, 0, 9, 3, 4, 5, 8, 0, 9, 6, 8, 0, 0, 0]);
    assert.deepEqual(Array.from(p.mask), [1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0]);
    const lp = unigramLogProbs(p, 10);
    assert.ok(Math.abs(lp.reduce((a, x) => a + Math.exp(x), 0) - 1) < 1e-12);
    // uniform data → the unigram NLL is the smoothed log-frequency average
    const nll = unigramNLL(p, lp);
    assert.ok(nll > 0 && nll < Math.log(10) + 1e-9);
  });
});

describe("SFT data (TRL formats)", () => {
  const dir = mkdtempSync(join(tmpdir(), "prefopt-sft-"));
  dirs.push(dir);

  it("reads prompt/completion, messages and conversational prompt/completion; completion-only masks", () => {
    const f = join(dir, "ok.jsonl");
    writeFileSync(
      f,
      [
        JSON.stringify({ prompt: "The plot", completion: " was great." }),
        "",
        JSON.stringify({
          messages: [
            { role: "user", content: "Review?" },
            { role: "assistant", content: "I loved it." },
          ],
        }),
        JSON.stringify({
          prompt: [{ role: "user", content: "Plot?" }],
          completion: [{ role: "assistant", content: "Dull." }],
        }),
      ].join("\n"),
    );
    const ex = loadSFTJsonl(f);
    assert.equal(ex.length, 3);
    const t = tok();
    const eos = t.eosTokenId as number;
    const a = tokenizeSFT(ex[0], t);
    assert.equal(t.decode(a.prompt), "The plot");
    assert.equal(t.decode(a.completion), " was great.");
    assert.equal(a.completion[a.completion.length - 1], eos);
    const b = tokenizeSFT(ex[1], t);
    assert.equal(t.decode(b.prompt), "<user>Review?<assistant>");
    assert.equal(t.decode(b.completion), "I loved it.");
    const c = tokenizeSFT(ex[2], t);
    assert.equal(t.decode(c.prompt), "<user>Plot?<assistant>");
    assert.equal(t.decode(c.completion), "Dull.");
  });

  it("bad rows are UserErrors naming file and line", () => {
    const bad = (rows: string[], re: RegExp) => {
      const f = join(dir, "bad.jsonl");
      writeFileSync(f, rows.join("\n"));
      assert.throws(
        () => loadSFTJsonl(f),
        (e: Error) => e instanceof UserError && re.test(e.message),
      );
    };
    bad(['{"prompt": "a", "completion": "b"}', "{oops"], /bad\.jsonl:2: not valid JSON/);
    bad(['{"prompt": "a"}'], /bad\.jsonl:1: field "completion": missing/);
    bad(
      ['{"messages": [{"role": "user", "content": "x"}]}'],
      /bad\.jsonl:1: field "messages": the last message must have role "assistant"/,
    );
    bad(
      ['{"prompt": "a", "completion": 3}'],
      /bad\.jsonl:1: field "completion": expected a string/,
    );
  });

  it("the built-in set holds positive reviews split into prompt and completion", () => {
    const ex = positiveReviewSFT(50, 1);
    assert.equal(ex.length, 50);
    for (const e of ex) {
      const { prompt, completion } = e as { prompt: string; completion: string };
      assert.ok(afinnScore(prompt + completion) > 0);
      assert.ok(completion.startsWith(" "));
    }
  });
});
