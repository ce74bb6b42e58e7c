// Preference rows written and read back keep which completion is preferred, their margins and
// their text exactly (issue 20: a writer that swapped chosen and rejected when a margin is present
// went unnoticed, because no round trip included one).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type PreferenceExample,
  parsePreferenceJsonl,
  preferenceJsonl,
  sharedPrefix,
  splitEval,
} from "../src/data/preference-data.js";

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
