/**
 * The studio's HTTP surface: what it refuses (a request naming another host,
 * a missing or wrong token off loopback, path traversal in every parameter
 * that names a file, bodies that are too large, not JSON, or not of the
 * schema — each with a one-line error) and what it answers (a label round
 * trip, export, live evaluation results). Requests go to 127.0.0.1 only.
 */
import assert from "node:assert/strict";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { importJsonl } from "../../src/studio/import.js";
import { trainArgs } from "../../src/studio/jobs.js";
import { type RunningStudio, serveStudio } from "../../src/studio/serve.js";
import { createStudioServer } from "../../src/studio/server.js";
import { Store } from "../../src/studio/store.js";
import { NO_SQLITE, tempDir, writePng } from "./helpers.js";

const LOCAL = { host: "127.0.0.1:8470" };

describe("studio server", { skip: NO_SQLITE }, () => {
  let dir: string;
  let store: Store;
  let app: FastifyInstance;
  before(async () => {
    dir = tempDir();
    store = new Store(dir);
    importJsonl(
      store,
      [
        { prompt: "The film was", chosen: " moving.", rejected: " dull." },
        { prompt: "The plot", chosen: " grips.", rejected: " drags." },
      ]
        .map((r) => JSON.stringify(r))
        .join("\n"),
      "p.jsonl",
      { task: "pairs", baseDir: dir },
    );
    writePng(join(dir, "x.png"), (x) => x / 28);
    writePng(join(dir, "y.png"), (_x, y) => y / 28);
    importJsonl(
      store,
      JSON.stringify({ prompt: "a seven", a: "x.png", b: "y.png", judge: { overall: "a" } }),
      "e.jsonl",
      { task: "eval", baseDir: dir, modelA: "tuned", modelB: "base" },
    );
    app = await createStudioServer({ store, access: {} });
  });
  after(async () => {
    await app.close();
    store.close();
  });

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({
      method: "POST",
      url,
      headers: { ...LOCAL, "content-type": "application/json", ...headers },
      payload: typeof payload === "string" ? payload : JSON.stringify(payload),
    });
  const get = (url: string, headers: Record<string, string> = LOCAL) =>
    app.inject({ method: "GET", url, headers });

  it("serves the app with a strict Content-Security-Policy", async () => {
    const r = await get("/");
    assert.equal(r.statusCode, 200);
    assert.match(r.headers["content-security-policy"] as string, /script-src 'self'/);
    assert.doesNotMatch(r.headers["content-security-policy"] as string, /unsafe-inline/);
    assert.equal(r.headers["x-content-type-options"], "nosniff");
    const js = await get("/app.js");
    assert.equal(js.statusCode, 200);
    assert.ok(js.body.length > 5000);
    // the app never writes markup from data: no innerHTML or dangerouslySetInnerHTML in its own code
    assert.doesNotMatch(js.body, /dangerouslySetInnerHTML\s*:/);
  });

  it("refuses a request that names another host (DNS rebinding) when bound to loopback", async () => {
    const r = await get("/api/summary", { host: "evil.example:8470" });
    assert.equal(r.statusCode, 403);
    assert.match(r.json().error, /localhost only/);
    for (const host of ["127.0.0.1:1", "localhost:8470", "[::1]:8470"]) {
      assert.equal((await get("/api/summary", { host })).statusCode, 200, host);
    }
  });

  it("labels round-trip through the API; export gives TRL JSONL", async () => {
    for (const want of ["chosen", "rejected"]) {
      const n = (await get("/api/next?task=pairs&labeler=ann")).json();
      const a = n.next;
      // pick the file's "chosen" on the first pair, its "rejected" on the second
      const chosenText = a.prompt === "The film was" ? " moving." : " grips.";
      const side = (a.left === chosenText) === (want === "chosen") ? "left" : "right";
      const r = await post("/api/judgments", {
        assignment: a.assignment,
        labeler: "ann",
        answers: { preference: side },
        clientId: `c-${want}-000000`,
      });
      assert.equal(r.statusCode, 200, r.body);
    }
    const ex = await get("/api/export?media=text");
    assert.equal(ex.headers["x-prefopt-rows"], "2");
    assert.deepEqual(
      ex.body
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l)),
      [
        { prompt: "The film was", chosen: " moving.", rejected: " dull." },
        { prompt: "The plot", chosen: " drags.", rejected: " grips." },
      ],
    );
    const sum = (await get("/api/summary")).json();
    assert.equal(sum.exportable, 2);
    // agreement with the file's own choice: 1 of 2
    assert.deepEqual([sum.labeling[0].judge.n, sum.labeling[0].judge.agree], [2, 1]);
  });

  it("evaluation: three questions for an image pair, results with Wilson intervals", async () => {
    const a = (await get("/api/next?task=eval&labeler=ann")).json().next;
    assert.deepEqual(a.questions, ["overall", "appeal", "alignment"]);
    const img = await get(`/media/${a.left}`);
    assert.equal(img.statusCode, 200);
    assert.equal(img.headers["content-type"], "image/png");
    const missing = await post("/api/judgments", {
      assignment: a.assignment,
      labeler: "ann",
      answers: { overall: "left" },
    });
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json().error, "answers.appeal: missing; expected left, right or tie");
    // left is model A's image iff it is x.png's copy; answer "model A" on overall only
    const leftIsA = a.left === store.items("eval")[0].a;
    const r = await post("/api/judgments", {
      assignment: a.assignment,
      labeler: "ann",
      answers: {
        overall: leftIsA ? "left" : "right",
        appeal: "tie",
        alignment: leftIsA ? "right" : "left",
      },
    });
    assert.equal(r.statusCode, 200, r.body);
    const res = (await get("/api/eval/results")).json();
    assert.deepEqual(res.models, ["tuned vs base"]);
    const by = Object.fromEntries(res.questions.map((q: { question: string }) => [q.question, q]));
    assert.equal(by.overall.winRate.rate, 1);
    assert.equal(by.appeal.winRate.rate, 0.5);
    assert.equal(by.alignment.winRate.rate, 0);
    assert.ok(Math.abs(by.overall.winRate.ci[0] - 0.2065) < 1e-3); // Wilson, n = 1, p̂ = 1
    assert.deepEqual([by.overall.judge.n, by.overall.judge.agree], [1, 1]);
  });

  it("reports: run folders with metrics and figures; curves drawn by report/curves.ts as SVG", async () => {
    const run = join(dir, "runs", "r1");
    mkdirSync(run, { recursive: true });
    writeFileSync(
      join(run, "metrics.jsonl"),
      [1, 2, 3].map((step) => JSON.stringify({ step, loss: 1 / step })).join("\n"),
    );
    writePng(join(run, "grid.png"), (x, y) => (x + y) / 56);
    const r = (await get("/api/reports")).json();
    assert.deepEqual(r.runs, [{ dir: "runs/r1", metrics: true, figures: ["grid.png"] }]);
    const svg = await get("/api/curves.svg?dir=runs%2Fr1");
    assert.equal(svg.statusCode, 200);
    assert.match(svg.headers["content-type"] as string, /^image\/svg\+xml/);
    assert.match(svg.body, /<svg[^>]*>[\s\S]*loss/);
    const png = await get("/api/figure?dir=runs%2Fr1&name=grid.png");
    assert.equal(png.headers["content-type"], "image/png");
    assert.equal((await get("/api/metrics?dir=runs%2Fr1")).json().rows.length, 3);
  });

  it("refuses path traversal in every parameter that names a file", async () => {
    symlinkSync("/etc", join(dir, "etc-link"));
    writeFileSync(join(dir, "ok.jsonl"), '{"prompt": "p", "chosen": "a", "rejected": "b"}\n');
    const cases: [string, Promise<{ statusCode: number; json(): { error: string } }>][] = [
      ["media ..", get("/media/..%2f..%2fetc%2fpasswd")],
      ["media db", get("/media/studio.db")],
      ["metrics ..", get("/api/metrics?dir=..%2F..%2F..%2Fetc")],
      ["metrics abs", get("/api/metrics?dir=%2Fetc")],
      ["metrics symlink", get("/api/metrics?dir=etc-link")],
      ["curves ..", get("/api/curves.svg?dir=..%2F..")],
      ["figure ..", get("/api/figure?dir=..%2F..%2F..%2Fusr%2Fshare&name=x.png")],
      ["import ..", post("/api/import", { task: "pairs", file: "../../../etc/passwd" })],
      ["import symlink", post("/api/import", { task: "pairs", file: "etc-link/passwd" })],
      [
        "image ..",
        post("/api/import", {
          task: "pairs",
          jsonl: '{"prompt": "p", "chosen": "../../../usr/share/x.png", "rejected": "y.png"}',
        }),
      ],
    ];
    for (const [name, p] of cases) {
      const r = await p;
      assert.ok(r.statusCode === 400 || r.statusCode === 404, `${name}: ${r.statusCode}`);
      assert.match(r.json().error, /leaves|outside|absolute|not an image name|not found/, name);
      assert.doesNotMatch(r.json().error, /root:/, name);
    }
    const fig = await get("/api/figure?dir=runs&name=..%2Fstudio.db");
    assert.equal(fig.statusCode, 400);
    assert.match(fig.json().error, /must match pattern/);
    const ok = await post("/api/import", { task: "pairs", file: "ok.jsonl" });
    assert.deepEqual(ok.json(), { added: 1, existing: 0 });
  });

  it("refuses bad bodies with one-line errors: schema, unknown fields, not JSON, too large", async () => {
    const cases: [unknown, number, RegExp][] = [
      [
        { assignment: 1, labeler: "ann", answers: { preference: "up" } },
        400,
        /allowed values \(left, right, tie\)/,
      ],
      [
        { assignment: 1, labeler: "ann", skip: true, admin: true },
        400,
        /additional properties "admin"/,
      ],
      [{ assignment: "1", labeler: "ann", skip: true }, 400, /assignment: must be integer/],
      [{ assignment: 1, labeler: "<img src=x>", skip: true }, 400, /labeler: must match pattern/],
      [{ assignment: 1, labeler: "ann" }, 400, /give answers or skip/],
      ['{"assignment": 1,', 400, /not valid JSON/],
      [{ assignment: 1, labeler: "ann", clientId: "x".repeat(20000) }, 413, /too large/],
    ];
    for (const [body, status, msg] of cases) {
      const r = await post("/api/judgments", body);
      assert.equal(r.statusCode, status, r.body);
      assert.match(r.json().error, msg);
      assert.ok(!r.json().error.includes("\n"));
    }
    const img = await post("/api/train", { kind: "diffusion-dpo", steps: 1, batchSize: 2 });
    assert.equal(img.statusCode, 400);
    assert.match(img.json().error, /no image pair has a majority label yet/);
    const gen = await post("/api/generate", { task: "eval", run: "dpo-nope" });
    assert.equal(gen.statusCode, 400);
    assert.equal(gen.json().error, 'run: "dpo-nope" is not a finished DPO run of this studio');
    const train = await post("/api/train", { steps: 0, beta: 0.1, batchSize: 2 });
    assert.match(train.json().error, /steps: must be >= 1/);
    const form = await app.inject({
      method: "POST",
      url: "/api/judgments",
      headers: { ...LOCAL, "content-type": "text/plain" },
      payload: "assignment=1",
    });
    assert.equal(form.statusCode, 415);
  });
});

describe("training arguments", () => {
  it("text pairs train with prefopt dpo, image pairs with prefopt diffusion dpo; β only when given", () => {
    assert.deepEqual(trainArgs({ steps: 3, batchSize: 2 }, "d.jsonl", "out"), [
      "dpo",
      "--data",
      "d.jsonl",
      "--out",
      "out",
      "--steps",
      "3",
      "--batch-size",
      "2",
    ]);
    assert.deepEqual(
      trainArgs(
        { kind: "diffusion-dpo", steps: 1, batchSize: 4, beta: 2500, lr: 1e-5 },
        "i.jsonl",
        "o",
      ),
      [
        "diffusion",
        "dpo",
        "--data",
        "i.jsonl",
        "--out",
        "o",
        "--steps",
        "1",
        "--batch-size",
        "4",
        "--beta",
        "2500",
        "--lr",
        "0.00001",
      ],
    );
  });
});

describe("studio bound off loopback", { skip: NO_SQLITE }, () => {
  let s: RunningStudio;
  before(async () => {
    s = await serveStudio({ dataDir: tempDir(), host: "0.0.0.0", port: 0 });
  });
  after(async () => {
    await s.close();
  });

  it("generates a token and refuses every request without it (sent to 127.0.0.1 only)", async () => {
    assert.match(s.url, /\?token=[0-9a-f]{32}$/);
    const port = new URL(s.url).port;
    const base = `http://127.0.0.1:${port}`;
    for (const path of ["/", "/app.js", "/api/summary", `/api/summary?token=${"0".repeat(32)}`]) {
      const r = await fetch(base + path);
      assert.equal(r.status, 401, path);
      assert.match(((await r.json()) as { error: string }).error, /access token/);
    }
    const withHeader = await fetch(`${base}/api/summary`, {
      headers: { "x-prefopt-token": s.token! },
    });
    assert.equal(withHeader.status, 200);
    // the page URL sets a cookie so the page's script and images load
    const page = await fetch(`${base}/?token=${s.token}`);
    assert.equal(page.status, 200);
    const cookie = page.headers.get("set-cookie")!.split(";")[0];
    assert.equal((await fetch(`${base}/app.js`, { headers: { cookie } })).status, 200);
  });
});
