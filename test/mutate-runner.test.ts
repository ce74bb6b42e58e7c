// The mutation runner (scripts/mutate-runner.mjs). Its node:test recorder
// (scripts/mutate-node-test.mjs) against Node's own runner: the same hooks and tests in the same
// order for a whole file, the enclosing suites' hooks only for a subset, and the failures Node's
// runner reports. Its engine canary: true on a sound engine, false on one that reads back wrong.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import module from "node:module";
import { resolve } from "node:path";
import { before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { numpy as np } from "../src/engine/jax.js";

const fixture = (name: string) => resolve("test/fixtures/mutate", name);
const g = globalThis as unknown as { __recorded: string[]; __failures: string[] };

// biome-ignore lint/suspicious/noExplicitAny: an untyped .mjs module, loaded at run time
let rec: any;

before(async () => {
  // as the runner does: the fixtures' `import ... from "node:test"` load the recorder
  module.register(pathToFileURL(resolve("scripts/mutate-resolve.mjs")).href);
  rec = await import(pathToFileURL(resolve("scripts/mutate-node-test.mjs")).href);
  await rec.loadFile("order", pathToFileURL(fixture("order.mjs")).href);
  await rec.loadFile("failures", pathToFileURL(fixture("failures.mjs")).href);
});

const run = (file: string, ids: string[] | null, bail = false) =>
  rec.runFile(file, ids && new Set(ids), { bail, enter() {} });

describe("mutation runner's node:test recorder", () => {
  it("records every test with a unique id, a repeated name numbered", () => {
    assert.deepEqual(rec.allTests(["order"]), [
      "order > top",
      "order > outer > a",
      "order > outer > a #2",
      "order > outer > inner > b",
      "order > outer > c",
      "order > skipped > d",
      "order > e",
    ]);
  });

  it("runs a whole file's hooks and tests in the order Node's runner does", async () => {
    // a plain run of the file (without this runner's context, which would switch its output)
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const node = spawnSync(process.execPath, [fixture("order.mjs")], {
      env: { ...env, PRINT_RECORDED: "1" },
      encoding: "utf8",
    });
    const line = node.stdout.split("\n").find((l) => l.startsWith("RECORDED "));
    assert.ok(line, `no log from Node's runner: ${node.stdout}${node.stderr}`);
    const expected = JSON.parse(line.slice("RECORDED ".length));
    g.__recorded = [];
    const results = await run("order", null);
    assert.deepEqual(g.__recorded, expected);
    assert.deepEqual(
      results.map((r: { test: { id: string }; status: string }) => `${r.test.id}: ${r.status}`),
      [
        "order > top: passed",
        "order > outer > a: passed",
        "order > outer > a #2: passed",
        "order > outer > inner > b: passed",
        "order > outer > c: passed",
        "order > skipped > d: skipped",
        "order > e: skipped",
      ],
    );
  });

  it("runs a subset with the hooks of the suites around it only", async () => {
    g.__recorded = [];
    await run("order", ["order > outer > inner > b"]);
    assert.deepEqual(g.__recorded, [
      "file before",
      "outer before",
      "inner before",
      "file beforeEach",
      "outer beforeEach",
      "inner beforeEach",
      "b",
      "inner afterEach",
      "outer afterEach",
      "file afterEach",
      "outer after",
      "file after",
    ]);
    g.__recorded = [];
    await run("order", ["order > top"]);
    assert.deepEqual(g.__recorded, [
      "file before",
      "file beforeEach",
      "top",
      "file afterEach",
      "file after",
    ]);
  });

  it("fails every test under a failing before hook, and reports assertions, timeouts and errors", async () => {
    g.__failures = [];
    const results = await run("failures", null);
    const by = new Map<string, { status: string; error?: { message: string; code?: string } }>(
      results.map((r: { test: { id: string } }) => [r.test.id, r]),
    );
    assert.equal(by.get("failures > broken setup > x")?.error?.message, "setup broke");
    assert.equal(by.get("failures > broken setup > y")?.status, "failed");
    assert.equal(by.get("failures > wrong value")?.error?.code, "ERR_ASSERTION");
    assert.equal(by.get("failures > after the failures")?.status, "passed");
    assert.match(by.get("failures > too slow")?.error?.message ?? "", /timed out after 20 ms/);
    assert.ok(by.get("failures > type error")?.error instanceof TypeError);
    assert.deepEqual(g.__failures, ["after"]);
  });

  it("stops at the first failure when told to bail", async () => {
    g.__failures = [];
    const results = await run(
      "failures",
      ["failures > wrong value", "failures > after the failures"],
      true,
    );
    assert.deepEqual(
      results.map((r: { test: { id: string }; status: string }) => `${r.test.id}: ${r.status}`),
      ["failures > wrong value: failed"],
    );
    assert.deepEqual(g.__failures, []);
  });
});

describe("mutation runner's engine canary", () => {
  it("passes on a sound engine and fails when a read-back is off by one", async () => {
    const { canary } = await import(pathToFileURL(resolve("scripts/mutate-runner.mjs")).href);
    assert.equal(await canary(), true);
    const proto = np.Array.prototype as unknown as { dataSync: () => Float32Array };
    const dataSync = proto.dataSync;
    proto.dataSync = function (this: unknown) {
      const d = dataSync.call(this);
      if (d.length === 4099) d[4098] += 1;
      return d;
    };
    try {
      assert.equal(await canary(), false);
    } finally {
      proto.dataSync = dataSync;
    }
    assert.equal(await canary(), true);
  });
});
