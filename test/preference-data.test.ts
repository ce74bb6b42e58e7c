import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import {
  collatePairs,
  collateSequences,
  tokenizePairs,
  truncatePair,
} from "../src/data/preference-collate.js";
import {
  type ChatTemplate,
  loadPreferenceJsonl,
  parsePreferenceJsonl,
  preferenceJsonl,
  sharedPrefix,
  splitEval,
} from "../src/data/preference-data.js";
import { UserError } from "../src/engine/errors.js";
import { cachedRefLogps, refCacheKey } from "../src/train/ref-logp-cache.js";

const tpl: ChatTemplate = (msgs, o) =>
  msgs.map((m) => `<${m.role}>${m.content}</s>`).join("") +
  (o.addGenerationPrompt ? "<assistant>" : "");

function throwsUser(f: () => unknown, re: RegExp) {
  assert.throws(f, (e: unknown) => {
    assert.ok(e instanceof UserError, `expected UserError, got ${e}`);
    assert.match((e as Error).message, re);
    return true;
  });
}

describe("TRL preference formats", () => {
  test("standard explicit, with margin", () => {
    const ex = parsePreferenceJsonl(
      '{"prompt": "The movie", "chosen": " was great.", "rejected": " was bad.", "margin": 1.5}\n\n',
      "p.jsonl",
    );
    assert.deepEqual(ex, [
      { prompt: "The movie", chosen: " was great.", rejected: " was bad.", margin: 1.5 },
    ]);
  });

  test("implicit prompt: shared prefix at a word boundary", () => {
    const [e] = parsePreferenceJsonl(
      '{"chosen": "The movie was great fun.", "rejected": "The movie was grim."}',
      "p.jsonl",
    );
    assert.deepEqual(e, { prompt: "The movie was", chosen: " great fun.", rejected: " grim." });
    assert.equal(sharedPrefix("I loved it", "I hated it"), "I");
  });

  test("conversational, explicit and implicit, through the chat template", () => {
    const rows = [
      {
        prompt: [{ role: "user", content: "Review?" }],
        chosen: [{ role: "assistant", content: "Great." }],
        rejected: [{ role: "assistant", content: "Bad." }],
      },
      {
        chosen: [
          { role: "user", content: "Review?" },
          { role: "assistant", content: "Great." },
        ],
        rejected: [
          { role: "user", content: "Review?" },
          { role: "assistant", content: "Bad." },
        ],
      },
    ];
    const ex = parsePreferenceJsonl(rows.map((r) => JSON.stringify(r)).join("\n"), "c.jsonl", {
      chatTemplate: tpl,
    });
    for (const e of ex) {
      assert.equal(e.prompt, "<user>Review?</s><assistant>");
      assert.equal(e.chosen, "<assistant>Great.</s>".slice("<assistant>".length));
      assert.equal(e.rejected, "Bad.</s>");
    }
  });

  test("errors name file, line and field", () => {
    const good = '{"prompt": "a", "chosen": " b", "rejected": " c"}';
    throwsUser(
      () => parsePreferenceJsonl(`${good}\n{oops`, "d.jsonl"),
      /^d\.jsonl:2: not valid JSON/,
    );
    throwsUser(
      () => parsePreferenceJsonl(`${good}\n{"prompt": "a", "chosen": " b"}`, "d.jsonl"),
      /^d\.jsonl:2: field "rejected": missing/,
    );
    throwsUser(
      () => parsePreferenceJsonl('{"prompt": 3, "chosen": " b", "rejected": " c"}', "d.jsonl"),
      /^d\.jsonl:1: field "prompt": expected a string/,
    );
    throwsUser(
      () =>
        parsePreferenceJsonl(
          `${good}\n${good}\n{"chosen": "x", "rejected": " y", "margin": "big"}`,
          "d.jsonl",
        ),
      /^d\.jsonl:3: field "margin": expected a finite number/,
    );
    throwsUser(
      () =>
        parsePreferenceJsonl(
          '{"chosen": [{"role": "user", "content": "q"}, {"content": "a"}], "rejected": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "b"}]}',
          "d.jsonl",
          { chatTemplate: tpl },
        ),
      /^d\.jsonl:1: field "chosen\[1\]\.role": expected a non-empty string/,
    );
    throwsUser(
      () =>
        parsePreferenceJsonl(
          '{"prompt": [{"role": "user", "content": "q"}], "chosen": [{"role": "assistant", "content": "a"}], "rejected": [{"role": "assistant", "content": "b"}]}',
          "d.jsonl",
        ),
      /chat template/,
    );
    throwsUser(
      () =>
        parsePreferenceJsonl(
          `${good}\n{"prompt": "a", "chosen": " b", "rejected": " c", "margin": 1}`,
          "d.jsonl",
        ),
      /field "margin": present on 1 of 2 rows/,
    );
    throwsUser(
      () => parsePreferenceJsonl('{"chosen": "same", "rejected": "same"}', "d.jsonl"),
      /field "rejected": identical to "chosen"/,
    );
    throwsUser(() => loadPreferenceJsonl("/nonexistent/x.jsonl"), /x\.jsonl: cannot read/);
  });

  test("round trip through JSONL and a deterministic eval split", () => {
    const dir = mkdtempSync(join(tmpdir(), "pref-"));
    const ex = [
      { prompt: "a", chosen: " b", rejected: " c" },
      { prompt: "d", chosen: " e", rejected: " f" },
    ];
    writeFileSync(join(dir, "x.jsonl"), preferenceJsonl(ex));
    assert.deepEqual(loadPreferenceJsonl(join(dir, "x.jsonl")), ex);
    const s = splitEval([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 0.2);
    assert.deepEqual(s.eval, [4, 9]);
    assert.equal(s.train.length, 8);
  });
});

describe("truncation and collation", () => {
  test("prompt keeps its end, completion its start, EOS appended, max_length cuts the completion", () => {
    const t = truncatePair([1, 2, 3, 4, 5], [[10, 11, 12], [20]], {
      maxPromptLength: 3,
      maxCompletionLength: 3,
      maxLength: 5,
      eosTokenId: 99,
    });
    assert.deepEqual(t.prompt, [3, 4, 5]);
    assert.deepEqual(t.completions, [
      [10, 11],
      [20, 99],
    ]);
    const e = truncatePair([], [[7]], { bosTokenId: 0 });
    assert.deepEqual(e.prompt, [0]);
  });

  test("tokenised pairs: prompt with special tokens, completions without", () => {
    const tok = {
      encode: (s: string, o?: { addSpecialTokens?: boolean }) => [
        ...(o?.addSpecialTokens === false ? [] : [1]),
        ...s.split("").map((ch) => ch.charCodeAt(0)),
      ],
      decode: (ids: number[]) => String.fromCharCode(...ids),
    };
    const [p] = tokenizePairs([{ prompt: "ab", chosen: "c", rejected: "de", margin: 2 }], tok, {
      eosTokenId: 2,
    });
    assert.deepEqual(p, {
      prompt: [1, 97, 98],
      chosen: [99, 2],
      rejected: [100, 101, 2],
      margin: 2,
    });
    assert.throws(
      () =>
        tokenizePairs(
          [{ prompt: "abc", chosen: "d", rejected: "e" }],
          tok,
          { maxLength: 4, maxPromptLength: 4 },
          "f.jsonl",
        ),
      /f\.jsonl: row 1: no completion tokens/,
    );
  });

  test("right padding; the mask is 1 exactly on completion tokens", () => {
    const b = collateSequences(
      [
        { prompt: [5, 6], completion: [7, 8, 9] },
        { prompt: [5], completion: [4] },
      ],
      { padTokenId: 0, padMultiple: 4 },
    );
    assert.equal(b.T, 8);
    assert.deepEqual(Array.from(b.ids.slice(0, 8)), [5, 6, 7, 8, 9, 0, 0, 0]);
    assert.deepEqual(Array.from(b.mask.slice(0, 8)), [0, 0, 1, 1, 1, 0, 0, 0]);
    assert.deepEqual(Array.from(b.ids.slice(8)), [5, 4, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(Array.from(b.mask.slice(8)), [0, 1, 0, 0, 0, 0, 0, 0]);
    const pb = collatePairs([{ prompt: [1], chosen: [2], rejected: [3, 4] }], { batchSize: 2 });
    assert.equal(pb.B, 4);
    assert.equal(pb.ids[0 * pb.T + 1], 2);
    assert.equal(pb.ids[2 * pb.T + 1], 3);
    assert.equal(pb.lengths[1], 0);
  });
});

describe("reference log-prob cache", () => {
  test("computed once, then read; the key follows data and model", async () => {
    const dir = mkdtempSync(join(tmpdir(), "refc-"));
    const data = join(dir, "d.jsonl");
    const pairs = [{ prompt: [1], chosen: [2], rejected: [3] }];
    const key = refCacheKey("model-a", pairs);
    assert.notEqual(key, refCacheKey("model-b", pairs));
    assert.notEqual(key, refCacheKey("model-a", [{ prompt: [1], chosen: [2], rejected: [4] }]));
    let calls = 0;
    const compute = async () => {
      calls++;
      return { chosen: [-1.5], rejected: [-2.5], chosenTokens: [1], rejectedTokens: [1] };
    };
    const a = await cachedRefLogps(data, key, 1, compute);
    const b = await cachedRefLogps(data, key, 1, compute);
    assert.equal(calls, 1);
    assert.equal(a.hit, false);
    assert.equal(b.hit, true);
    assert.deepEqual(b.logps.chosen, [-1.5]);
    assert.ok(b.path.startsWith(join(dir, "d.jsonl.ref-logps")));
  });
});
