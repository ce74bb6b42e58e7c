// Preference rows written and read back keep which completion is preferred, their margins and
// their text exactly (issue 20: a writer that swapped chosen and rejected when a margin is present
// went unnoticed, because no round trip included one).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type ChatTemplate,
  type PreferenceExample,
  parsePreferenceJsonl,
  preferenceJsonl,
  sharedPrefix,
  splitEval,
} from "../src/data/preference-data.js";
import { UserError } from "../src/engine/errors.js";

describe("preference JSONL round trips", () => {
  test("with a margin on every row: chosen stays chosen, margins survive", () => {
    const ex: PreferenceExample[] = [
      { prompt: "The film", chosen: " was a joy.", rejected: " was a chore.", margin: 2.5 },
      { prompt: "Service", chosen: " kind", rejected: " rude", margin: -0.75 },
      { prompt: "", chosen: "yes", rejected: "no", margin: 0 },
    ];
    const text = preferenceJsonl(ex);
    assert.equal(
      text.split("\n")[0],
      '{"prompt":"The film","chosen":" was a joy.","rejected":" was a chore.","margin":2.5}',
    );
    assert.deepEqual(parsePreferenceJsonl(text, "m.jsonl"), ex);
  });

  test("without margins: exact standard explicit lines, one per row, newline-terminated", () => {
    const ex: PreferenceExample[] = [
      { prompt: "a", chosen: " b", rejected: " c" },
      { prompt: 'q\t"x"', chosen: " ü", rejected: " 😀" },
    ];
    const text = preferenceJsonl(ex);
    assert.equal(
      text,
      '{"prompt":"a","chosen":" b","rejected":" c"}\n{"prompt":"q\\t\\"x\\"","chosen":" ü","rejected":" 😀"}\n',
    );
    assert.deepEqual(parsePreferenceJsonl(text, "p.jsonl"), ex);
  });

  test("BOM, CRLF and blank lines are accepted; a null margin means none", () => {
    const text =
      '\uFEFF{"prompt": "p", "chosen": " a", "rejected": " b"}\r\n\r\n{"prompt": "p", "chosen": " c", "rejected": " d", "margin": null}\r\n';
    assert.deepEqual(parsePreferenceJsonl(text, "w.jsonl"), [
      { prompt: "p", chosen: " a", rejected: " b" },
      { prompt: "p", chosen: " c", rejected: " d" },
    ]);
  });

  test("implicit prompts: the shared prefix backs off to a word boundary, the space stays with the completion", () => {
    assert.equal(sharedPrefix("The cat sat", "The cat ran"), "The cat");
    assert.equal(sharedPrefix("The cat sat", "The cab ran"), "The");
    assert.equal(sharedPrefix("abc", "abd"), "");
    assert.equal(sharedPrefix("same", "same"), "same");
    assert.equal(sharedPrefix("a  b", "a  c"), "a");
    const [e] = parsePreferenceJsonl(
      '{"chosen": "I liked it a lot", "rejected": "I liked it not"}',
      "i.jsonl",
    );
    assert.deepEqual(e, { prompt: "I liked it", chosen: " a lot", rejected: " not" });
    const [m] = parsePreferenceJsonl(
      '{"chosen": "Fine.", "rejected": "Awful.", "margin": 1}',
      "i.jsonl",
    );
    assert.deepEqual(m, { prompt: "", chosen: "Fine.", rejected: "Awful.", margin: 1 });
  });

  test("eval split: every k-th row with k = round(1/fraction), at least every 2nd", () => {
    const xs = Array.from({ length: 12 }, (_, i) => i);
    assert.deepEqual(splitEval(xs, 0.25).eval, [3, 7, 11]);
    assert.deepEqual(splitEval(xs, 0.25).train, [0, 1, 2, 4, 5, 6, 8, 9, 10]);
    assert.deepEqual(splitEval(xs, 0.9).eval, [1, 3, 5, 7, 9, 11]);
    assert.deepEqual(splitEval(xs, 0), { train: xs, eval: [] });
    assert.deepEqual(splitEval(xs, -1).eval, []);
  });
});

describe("every malformed preference row is refused, naming its field", () => {
  const tpl: ChatTemplate = (msgs, o) =>
    msgs.map((m) => `<${m.role}>${m.content}</s>`).join("") +
    (o.addGenerationPrompt ? "<assistant>" : "");
  const bad = (row: unknown, re: RegExp, chatTemplate: ChatTemplate | undefined = tpl) =>
    assert.throws(
      () => parsePreferenceJsonl(JSON.stringify(row), "b.jsonl", { chatTemplate }),
      (e: unknown) => e instanceof UserError && re.test((e as Error).message),
      JSON.stringify(row),
    );
  const u = { role: "user", content: "q" };
  const a = { role: "assistant", content: "yes" };
  const b = { role: "assistant", content: "no" };

  test("rows that are not objects", () => {
    for (const row of [null, [1], "x", 3]) bad(row, /^b\.jsonl:1: expected a JSON object/);
  });

  test("plain rows: completions must be strings, the margin a finite number, completions non-empty", () => {
    bad({ chosen: 1, rejected: "b" }, /field "chosen": expected a string/);
    bad({ chosen: "a", rejected: false }, /field "rejected": expected a string/);
    bad({ prompt: "p", chosen: "a", rejected: "b", margin: true }, /field "margin"/);
    bad({ prompt: "p", chosen: "a", rejected: "b", margin: "1" }, /field "margin"/);
    bad({ prompt: "p", chosen: "", rejected: "b" }, /field "chosen": empty completion/);
    bad({ prompt: "p", chosen: "a", rejected: "" }, /field "rejected": empty completion/);
    // a completion that is the other's first word leaves nothing after the shared prompt
    bad({ chosen: "go now", rejected: "go" }, /field "rejected": empty completion/);
    assert.deepEqual(parsePreferenceJsonl('{"chosen": "go", "rejected": "go now"}', "b.jsonl"), [
      { prompt: "", chosen: "go", rejected: "go now" },
    ]);
    // an explicit null prompt is an implicit one
    assert.deepEqual(
      parsePreferenceJsonl('{"prompt": null, "chosen": "I a", "rejected": "I b"}', "b.jsonl"),
      [{ prompt: "I", chosen: " a", rejected: " b" }],
    );
  });

  test("conversational rows: messages, roles, contents, lists on both sides", () => {
    for (const m of [null, "hi", [u]])
      bad({ chosen: [u, m], rejected: [u, b] }, /field "chosen\[1\]": expected a message/);
    bad({ chosen: [u, { role: "", content: "x" }], rejected: [u, b] }, /"chosen\[1\]\.role"/);
    bad({ chosen: [u, { role: 3, content: "x" }], rejected: [u, b] }, /"chosen\[1\]\.role"/);
    bad({ chosen: [u, a], rejected: [u, { role: "assistant" }] }, /"rejected\[1\]\.content"/);
    bad({ chosen: [u, a], rejected: "no" }, /field "rejected": expected a list of messages/);
    bad({ chosen: "yes", rejected: [u, b] }, /field "chosen": expected a list of messages/);
    bad({ prompt: "q", chosen: [a], rejected: [b] }, /field "prompt": expected a list/);
    bad({ chosen: [u], rejected: [u, b] }, /field "chosen": no messages after the shared prompt/);
    bad({ chosen: [u, a], rejected: [u] }, /field "rejected": no messages after the shared prompt/);
    bad({ prompt: [u], chosen: [a], rejected: [a] }, /field "rejected": identical/);
    assert.throws(
      () => parsePreferenceJsonl(JSON.stringify({ prompt: [u], chosen: [a], rejected: [b] }), "b"),
      /field "chosen": conversational rows need a chat template/,
    );
    const noPrefix: ChatTemplate = (msgs, o) =>
      (o.addGenerationPrompt ? "[gen]" : "") + msgs.map((m) => m.content).join("|");
    bad({ prompt: [u], chosen: [a], rejected: [b] }, /"chosen": the chat template/, noPrefix);
  });

  test("conversational prompts: shared leading messages of the same role and content", () => {
    const sys = { role: "system", content: "q" };
    const plain: ChatTemplate = (msgs) => msgs.map((m) => `<${m.role}>${m.content}</s>`).join("");
    const [e] = parsePreferenceJsonl(
      JSON.stringify({ prompt: null, chosen: [u, a], rejected: [sys, b] }),
      "c.jsonl",
      { chatTemplate: plain },
    );
    // roles differ at the first message: no shared prompt
    assert.deepEqual(e, {
      prompt: "",
      chosen: "<user>q</s><assistant>yes</s>",
      rejected: "<system>q</s><assistant>no</s>",
    });
    const [f] = parsePreferenceJsonl(
      JSON.stringify({ chosen: [u, a, u, a], rejected: [u, a, u, b] }),
      "c.jsonl",
      { chatTemplate: tpl },
    );
    assert.equal(f.prompt, "<user>q</s><assistant>yes</s><user>q</s><assistant>");
    assert.equal(f.chosen, "yes</s>");
    assert.equal(f.rejected, "no</s>");
  });

  test("a margin on some rows only names how many carry one", () => {
    const rows = [
      { prompt: "p", chosen: "a", rejected: "b", margin: 1 },
      { prompt: "p", chosen: "c", rejected: "d", margin: 2 },
      { prompt: "p", chosen: "e", rejected: "f" },
    ];
    assert.throws(
      () => parsePreferenceJsonl(rows.map((r) => JSON.stringify(r)).join("\n"), "m.jsonl"),
      /present on 2 of 3 rows/,
    );
  });
});
