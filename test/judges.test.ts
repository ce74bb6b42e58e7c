import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { afinnJudge } from "../src/eval/judges.js";
import { llmJudge, pairwisePrompt, parseVerdict } from "../src/eval/llm-judge.js";
import { wilsonInterval, winRate } from "../src/eval/win-rate.js";
import { assertClose } from "./helpers.js";

describe("win rates", () => {
  test("Wilson interval matches closed-form values", () => {
    // p̂ = 0.5, n = 100: 0.5 ± 1.96·√(0.25/100 + 1.96²/40000) / (1 + 1.96²/100)
    assertClose(wilsonInterval(0.5, 100), [0.40383, 0.59617], 1e-4);
    // p̂ = 0, n = 10: upper bound z²/(n + z²)
    const z2 = 1.959964 ** 2;
    assertClose(wilsonInterval(0, 10), [0, z2 / (10 + z2)], 1e-9);
  });
  test("ties count half", () => {
    const r = winRate([1, 1, 0.5, 0]);
    assert.equal(r.rate, 0.625);
    assert.deepEqual([r.wins, r.ties, r.losses, r.n], [2, 1, 1, 4]);
    assert.ok(r.ci[0] < 0.625 && r.ci[1] > 0.625);
  });
  test("AFINN judge prefers the more positive completion", async () => {
    const out = await afinnJudge().compare([
      { prompt: "The movie", a: " was great.", b: " was awful." },
      { prompt: "The movie", a: " was bad.", b: " was good." },
      { prompt: "The movie", a: " was long.", b: " was blue." },
    ]);
    assert.deepEqual(out, [1, 0, 0.5]);
  });
});

describe("LLM judge against a local fake endpoint", () => {
  let server: Server;
  let base = "";
  let calls = 0;
  let failFirst = 0;
  let slowFirst = 0;
  let mode: "fair" | "biased" = "fair";
  let lastAuth: string | undefined;

  before(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = "";
      req.on("data", (d) => {
        body += d;
      });
      req.on("end", () => {
        calls++;
        lastAuth = req.headers.authorization;
        if (req.url !== "/v1/chat/completions") {
          res.writeHead(404).end("not found");
          return;
        }
        if (failFirst > 0) {
          failFirst--;
          res.writeHead(503).end("busy");
          return;
        }
        const reply = () => {
          const content = JSON.parse(body).messages[0].content as string;
          const a = /Response A: (.*)/.exec(content)?.[1] ?? "";
          const pick = mode === "biased" ? "A" : /great/.test(a) ? "A" : "B";
          res.writeHead(200, { "content-type": "application/json" }).end(
            JSON.stringify({
              choices: [
                {
                  message: {
                    role: "assistant",
                    content: `Comparison: one is nicer.\nMore positive: ${pick}`,
                  },
                },
              ],
            }),
          );
        };
        // a slow request never gets an answer: the client's timeout, not a race with it, ends it
        if (slowFirst > 0) slowFirst--;
        else reply();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const items = [
    { prompt: "The movie", a: " was great.", b: " was dull." },
    { prompt: "The movie", a: " was dull.", b: " was great." },
  ];

  test("both orders cancel position bias; key from the environment", async () => {
    process.env.PREFOPT_TEST_KEY = "sk-test";
    const j = llmJudge({
      url: base,
      model: "fake",
      criterion: "more positive",
      apiKeyEnv: "PREFOPT_TEST_KEY",
    });
    mode = "fair";
    assert.deepEqual(await j.compare(items), [1, 0]);
    assert.equal(lastAuth, "Bearer sk-test");
    mode = "biased";
    assert.deepEqual(await j.compare(items), [0.5, 0.5]);
  });

  test("retries 5xx and timeouts", async () => {
    mode = "fair";
    calls = 0;
    failFirst = 2;
    const j = llmJudge({
      url: `${base}/chat/completions`,
      model: "fake",
      criterion: "more positive",
      backoffMs: 5,
      concurrency: 1,
    });
    assert.deepEqual(await j.compare(items.slice(0, 1)), [1]);
    assert.equal(calls, 4);
    slowFirst = 1;
    // generous: the answered retry must come back within it even on a loaded machine
    const jt = llmJudge({
      url: base,
      model: "fake",
      timeoutMs: 2000,
      backoffMs: 5,
      concurrency: 1,
    });
    assert.deepEqual(await jt.compare(items.slice(0, 1)), [1]);
  });

  test("gives up with a clear error", async () => {
    failFirst = 100;
    const j = llmJudge({ url: base, model: "fake", retries: 1, backoffMs: 1, concurrency: 1 });
    await assert.rejects(j.compare(items.slice(0, 1)), /judge failed after 2 attempts: HTTP 503/);
    failFirst = 0;
    const bad = llmJudge({ url: `${base}/nope`, model: "fake", retries: 0 });
    await assert.rejects(bad.compare(items.slice(0, 1)), /HTTP 404/);
  });

  test("prompt and verdict parsing", () => {
    const p = pairwisePrompt("q", "x", "y", "more helpful");
    assert.match(p, /which response is more helpful\?/);
    assert.match(p, /More helpful: <"A" or "B">/);
    assert.equal(parseVerdict("Comparison: A is better.\nMore helpful: B"), "B");
    assert.equal(parseVerdict("Comparison: blah\nMore positive: **A**"), "A");
    assert.equal(parseVerdict("I cannot decide"), null);
  });
});
