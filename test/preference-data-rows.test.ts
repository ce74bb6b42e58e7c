// Preference rows that are almost right: each must be refused with the error that names its real
// problem (mutation testing, issue 20: these checks had no test that would fail without them),
// and the grouped eval split that keeps a ranking's pairs together.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { tokenizePairs } from "../src/data/preference-collate.js";
import {
  type ChatMessage,
  loadPreferenceJsonl,
  parsePreferenceJsonl,
  splitEvalGroups,
} from "../src/data/preference-data.js";

const parse = (row: unknown, opts = {}) =>
  parsePreferenceJsonl(JSON.stringify(row), "r.jsonl", opts);
const msg = (role: string, content: string): ChatMessage => ({ role, content });
const tpl = (ms: ChatMessage[], o: { addGenerationPrompt: boolean }) =>
  ms.map((m) => `<${m.role}>${m.content}</s>`).join("") +
  (o.addGenerationPrompt ? "<assistant>" : "");

describe("preference rows refused for the right reason", () => {
  test("a margin that JSON reads as infinite is not a finite number", () => {
    // 1e999 parses to Infinity: typeof is "number", so only the finiteness check refuses it
    assert.throws(
      () =>
        parsePreferenceJsonl(
          '{"prompt": "p", "chosen": "a", "rejected": "b", "margin": 1e999}',
          "m.jsonl",
        ),
      /m\.jsonl:1: field "margin": expected a finite number, got Infinity/,
    );
    assert.equal(parse({ prompt: "p", chosen: "a", rejected: "b", margin: -2 })[0].margin, -2);
  });

  test("a list of rejected strings is a listwise row, pointed at --loss-type listwise", () => {
    assert.throws(
      () => parse({ prompt: "p", chosen: "a", rejected: ["b", "c"] }),
      /r\.jsonl:1: field "rejected": a list of answers .*--loss-type listwise/,
    );
  });

  test("lists that are not a listwise row get the message-list error instead", () => {
    // chosen is a message list: a conversational row whose rejected is not messages
    for (const row of [
      { chosen: [msg("assistant", "a")], rejected: ["b"] },
      // rejected mixes a string with a message: not a list of answers either
      { prompt: "p", chosen: "a", rejected: ["b", msg("assistant", "c")] },
    ]) {
      assert.throws(
        () => parse(row, { chatTemplate: tpl }),
        (e: Error) => !/listwise/.test(e.message) && /r\.jsonl:1: field "/.test(e.message),
      );
    }
  });

  test("a conversational row's bad prompt and a template that drops the prompt name their field", () => {
    assert.throws(
      () =>
        parse(
          {
            prompt: [{ role: "user" }],
            chosen: [msg("assistant", "a")],
            rejected: [msg("assistant", "b")],
          },
          { chatTemplate: tpl },
        ),
      /r\.jsonl:1: field "prompt\[0\]\.content": expected a string/,
    );
    // a template that renders prompt + the rejected answer without the rendered prompt in front
    const odd = (ms: ChatMessage[], o: { addGenerationPrompt: boolean }) =>
      ms.at(-1)?.content === "b" ? "<b/>" : tpl(ms, o);
    assert.throws(
      () =>
        parse(
          {
            prompt: [msg("user", "q")],
            chosen: [msg("assistant", "a")],
            rejected: [msg("assistant", "b")],
          },
          { chatTemplate: odd },
        ),
      /r\.jsonl:1: field "rejected": the chat template renders prompt\+completion without the rendered prompt/,
    );
  });

  test("a missing file and an unreadable row name what was expected", () => {
    assert.throws(() => loadPreferenceJsonl("/nonexistent/prefs.jsonl"), /cannot read JSONL file/);
    assert.throws(
      () => parsePreferenceJsonl("{oops", "x.jsonl"),
      /expected \{"prompt", "chosen", "rejected"\} per line/,
    );
  });

  test("a pair left empty by truncation is named in the default dataset", () => {
    const tok = {
      encode: (s: string) => [...s].map((ch) => ch.charCodeAt(0)),
      decode: (ids: number[]) => String.fromCharCode(...ids),
    };
    assert.throws(
      () => tokenizePairs([{ prompt: "ppp", chosen: "a", rejected: "b" }], tok, { maxLength: 3 }),
      /^UserError: dataset: row 1: no completion tokens left/,
    );
  });
});

describe("splitEvalGroups", () => {
  test("keeps groups whole: with a quarter held out, the 4th group of 3 goes to eval", () => {
    const xs = Array.from({ length: 12 }, (_, i) => i);
    assert.deepEqual(splitEvalGroups(xs, 0.25, 3), {
      train: [0, 1, 2, 3, 4, 5, 6, 7, 8],
      eval: [9, 10, 11],
    });
    // a last, shorter group stays one group
    assert.deepEqual(splitEvalGroups([0, 1, 2, 3, 4], 0.5, 2), { train: [0, 1, 4], eval: [2, 3] });
    assert.deepEqual(splitEvalGroups(xs, 0, 3), { train: xs, eval: [] });
  });
});
