// StrykerJS test-runner plugin for `npm run mutate`: runs an area's test files inside Stryker's
// own worker process, loading them once, and for each mutant only the tests that reach it.
//
// Stryker's tap runner starts `node --import tsx <file>` for every covering test file of every
// mutant: about a second of Node, tsx and engine start-up each time, and every test of the file
// even when one reaches the mutant. Here the worker registers tsx and redirects `node:test` to a
// recorder (scripts/mutate-node-test.mjs), imports each test file once, and then:
// - dry run: runs every test with the instrumenter's current-test id set, so coverage is per test
//   (a suite's before/after hooks are charged to every test under it);
// - mutant run: switches the mutant on (`__stryker__.activeMutant`) and runs only the covering
//   tests, in file order, stopping at the first failure.
// A mutant reached while the files load (module top level) is "static": the runner reports
// `reloadEnvironment: false`, so Stryker starts a fresh worker for it, which loads the files with
// the mutant already on and runs every test; and a fresh one again after it. A mutant that loops
// is stopped by the instrumenter's hit limit or by Stryker's timeout, which also replaces the
// worker. Options (`prefoptRunner`): testFiles, the area's test files, fastest first.
//
// One process for many mutants is only sound while no run leaves a mark on the next, and
// while the tests Stryker picks for a mutant are all that can see it. Neither holds by itself:
// - a mutant may break the engine for every later run (a mutated dispose frees a buffer twice,
//   and from then on every test fails: each later mutant would count as killed). After every
//   mutant run a canary checks the engine: arrays of many sizes allocated, filled, combined
//   eagerly and under `jit`, read back exactly and freed. A failing canary, a run stopped at the
//   hit limit, or a run that erred leaves the worker to be replaced before the next mutant;
// - a process keeps results from earlier runs (a compiled `jit` trace in a module-level cache,
//   a memoised value), so a test may use a mutated function without running it, and coverage
//   charges that function to the test that filled the cache only. So no survivor is taken from
//   a warm worker: it is run again in a fresh one, which loads the files with the mutant on (as
//   the tap runner's fresh process would) and runs every test of every file that reached the
//   mutant's source file in the dry run (its loading, hooks or tests ran any of its mutants).
// The worker is replaced by ending it: Stryker's crash retry then runs the same mutant again in
// a fresh worker. `npm run mutate -- --runner tap` runs the same areas through the tap runner,
// one fresh process per test file, to check this runner against. PREFOPT_MUTATE_TRACE=FILE
// appends one JSON line per mutant run (worker, fresh or warm, load, test and canary times).

import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import module from "node:module";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { commonTokens, declareClassPlugin, PluginKind } from "@stryker-mutator/api/plugin";
import {
  DryRunStatus,
  determineHitLimitReached,
  MutantRunStatus,
  TestStatus,
  toMutantRunResult,
} from "@stryker-mutator/api/test-runner";

const NS = "__stryker__";

function failureText(error) {
  if (error instanceof Error) return `${error.name}: ${error.message}`.slice(0, 2000);
  return String(error).slice(0, 2000);
}

/** A test file that throws while it loads (under a static mutant: the mutant is detected). */
class LoadError extends Error {}

const failed = (t) => t.status === TestStatus.Failed;

/** Where the dry run leaves, for every worker, the mutants each test file reached. */
const REACH_FILE = ".prefopt-mutate-reach.json";

/**
 * The test files whose load, hooks or tests reached any mutant of `sourceFile` in the dry run
 * (its mutants are the ids in its instrumented text); all files when that is not known.
 */
function filesReaching(files, sourceFile) {
  if (!existsSync(REACH_FILE) || !sourceFile || !existsSync(sourceFile)) return files;
  const reach = JSON.parse(readFileSync(REACH_FILE, "utf8"));
  const ids = new Set(
    [...readFileSync(sourceFile, "utf8").matchAll(/stryMutAct_9fa48\("(\d+)"\)/g)].map((m) => m[1]),
  );
  if (ids.size === 0) return files;
  return files.filter((f) => !reach[f] || reach[f].some((m) => ids.has(m)));
}

let affine;

/**
 * Whether the engine still computes right after a mutant's run: arrays from 1 to 65,539
 * elements allocated and filled, transformed under `jit` and summed, read back and compared
 * exactly, and freed (a heap broken by a double free fails here).
 */
export async function canary() {
  try {
    const { numpy: np, jit } = await import(pathToFileURL(resolve("src/engine/jax.ts")).href);
    affine ??= jit((x) => x.mul(2).add(1));
    for (const n of [1, 7, 1000, 4099, 65_539]) {
      const host = new Float32Array(n);
      for (let i = 0; i < n; i++) host[i] = i % 7; // sums stay below 2^24: exact in float32
      const a = np.array(host);
      const out = affine(a.ref).dataSync();
      const total = a.sum().dataSync()[0];
      let expected = 0;
      for (let i = 0; i < n; i++) {
        if (out[i] !== 2 * host[i] + 1) return false;
        expected += host[i];
      }
      if (total !== expected) return false;
    }
    const m = np.array(new Float32Array([1, 2, 3, 4, 5, 6])).reshape([2, 3]);
    const p = np.matmul(m.ref, m.transpose()).dataSync();
    return [14, 32, 32, 77].every((v, i) => p[i] === v);
  } catch {
    return false;
  }
}

class InProcessTestRunner {
  static inject = [commonTokens.options];

  constructor(options) {
    this.files = options.prefoptRunner?.testFiles ?? [];
    this.loaded = false;
    /** A run here may have broken the process: the next mutant needs a fresh worker. */
    this.dirty = false;
    this.recorder = null;
    /** Errors nobody awaited, charged to the test running when they surfaced. */
    this.stray = [];
  }

  capabilities() {
    return { reloadEnvironment: false };
  }

  async init() {
    if (this.files.length === 0) throw new Error("prefoptRunner.testFiles: no test files given");
    const { register } = await import("tsx/esm/api");
    register();
    module.register(pathToFileURL(resolve(import.meta.dirname, "mutate-resolve.mjs")).href);
    this.recorder = await import(
      pathToFileURL(resolve(import.meta.dirname, "mutate-node-test.mjs")).href
    );
    const onStray = (e) => this.stray.push(e);
    process.on("unhandledRejection", onStray);
    process.on("uncaughtException", onStray);
  }

  ns() {
    globalThis[NS] ??= {};
    return globalThis[NS];
  }

  /**
   * Imports every test file once. What a file's loading reaches is charged to "<file> [load]":
   * static for Stryker (module top level, no test to charge it to), and part of what the file
   * reaches for a survivor's rerun.
   */
  async load() {
    if (this.loaded) return;
    const ns = this.ns();
    ns.currentTestId = undefined;
    for (const file of this.files) {
      try {
        ns.currentTestId = `${file} [load]`;
        await this.recorder.loadFile(file, pathToFileURL(resolve(file)).href);
      } catch (e) {
        throw new LoadError(`loading ${file}: ${failureText(e)}`);
      }
    }
    ns.currentTestId = undefined;
    this.loaded = true;
  }

  /** Runs the tests in `filter` (all when null), file by file; the Stryker test results. */
  async run(filter, bail) {
    const ns = this.ns();
    const results = [];
    for (const file of this.files) {
      if (filter && ![...filter].some((id) => id.startsWith(`${file} > `))) continue;
      const done = await this.recorder.runFile(file, filter, {
        bail,
        enter: (id) => {
          ns.currentTestId = id ?? undefined;
        },
      });
      for (const r of done) {
        let { status, error } = r;
        if (this.stray.length > 0) {
          error ??= this.stray[0];
          status = "failed";
          this.stray = [];
        }
        const base = {
          id: r.test.id,
          name: r.test.id,
          timeSpentMs: Math.round(r.ms),
          fileName: file,
        };
        if (status === "passed") results.push({ ...base, status: TestStatus.Success });
        else if (status === "skipped") results.push({ ...base, status: TestStatus.Skipped });
        else {
          results.push({
            ...base,
            status: TestStatus.Failed,
            failureMessage: failureText(error),
          });
        }
      }
      if (bail && results.some((r) => r.status === TestStatus.Failed)) break;
    }
    return results;
  }

  async dryRun(options) {
    const ns = this.ns();
    ns.activeMutant = undefined;
    ns.mutantCoverage = { static: {}, perTest: {} };
    try {
      await this.load();
      const tests = await this.run(null, !options.disableBail);
      // a suite's hook coverage goes to every test under it
      const perTest = ns.mutantCoverage.perTest;
      // what each file's loading reached is static for Stryker (no test to charge it to), and
      // with its tests' and hooks' what that file reaches
      const staticCoverage = { ...ns.mutantCoverage.static };
      const reach = Object.fromEntries(this.files.map((f) => [f, new Set()]));
      for (const [key, cov] of Object.entries(perTest)) {
        const file = this.files.find(
          (f) => key === `${f} [load]` || key.startsWith(`${f} > `) || key === `${f} [hooks]`,
        );
        if (file) for (const m of Object.keys(cov)) reach[file].add(m);
        if (key.endsWith(" [load]")) {
          for (const [m, n] of Object.entries(cov))
            staticCoverage[m] = (staticCoverage[m] ?? 0) + n;
        }
      }
      writeFileSync(
        REACH_FILE,
        JSON.stringify(Object.fromEntries(Object.entries(reach).map(([f, r]) => [f, [...r]]))),
      );
      const merged = {};
      for (const t of tests) {
        const own = { ...(perTest[t.id] ?? {}) };
        for (const [key, cov] of Object.entries(perTest)) {
          if (!key.endsWith(" [hooks]")) continue;
          const suite = key.slice(0, -" [hooks]".length);
          if (t.id.startsWith(`${suite} > `)) {
            for (const [m, n] of Object.entries(cov)) own[m] = (own[m] ?? 0) + n;
          }
        }
        merged[t.id] = own;
      }
      return {
        status: DryRunStatus.Complete,
        tests: tests.filter((t) => !t.id.endsWith(" [hooks]")),
        mutantCoverage: { static: staticCoverage, perTest: merged },
      };
    } catch (e) {
      return { status: DryRunStatus.Error, errorMessage: failureText(e) };
    } finally {
      ns.currentTestId = undefined;
    }
  }

  /** Ends this worker; Stryker's crash retry runs the mutant again in a fresh one. */
  replaceWorker() {
    process.exit(0);
  }

  async mutantRun(options) {
    const t0 = performance.now();
    try {
      return await this.mutantRunInner(options);
    } finally {
      if (process.env.PREFOPT_MUTATE_TRACE) {
        appendFileSync(
          process.env.PREFOPT_MUTATE_TRACE,
          `${JSON.stringify({ pid: process.pid, id: options.activeMutant.id, ms: Math.round(performance.now() - t0), ...this.last })}\n`,
        );
      }
    }
  }

  async mutantRunInner(options) {
    this.last = { dirtyStart: this.dirty, fresh: !this.loaded };
    if (this.dirty) this.replaceWorker();
    const ns = this.ns();
    const fresh = !this.loaded;
    ns.activeMutant = options.activeMutant.id;
    ns.mutantCoverage = { static: {}, perTest: {} };
    if (options.hitLimit !== undefined) {
      ns.hitLimit = options.hitLimit;
      ns.hitCount = 0;
    }
    this.stray = [];
    const bail = !options.disableBail;
    try {
      const tl = performance.now();
      await this.load();
      this.last.loadMs = Math.round(performance.now() - tl);
      const tRun = performance.now();
      const filter = options.testFilter ? new Set(options.testFilter) : null;
      let tests = await this.run(filter, bail);
      if (!tests.some(failed) && filter && fresh) {
        // a survivor is only taken from a fresh worker that ran every test of every file that
        // reaches the mutant's source file
        const files = filesReaching(this.files, options.sandboxFileName);
        const rest = new Set(this.recorder.allTests(files).filter((id) => !filter.has(id)));
        tests = tests.concat(await this.run(rest, bail));
      }
      const hit = determineHitLimitReached(ns.hitCount, ns.hitLimit);
      if (hit) {
        this.dirty = true;
        return toMutantRunResult(hit);
      }
      this.last.tests = tests.length;
      this.last.failed = tests.some(failed);
      this.last.runMs = Math.round(performance.now() - tRun);
      if (!tests.some(failed) && !fresh) this.replaceWorker();
      ns.activeMutant = undefined;
      const tc = performance.now();
      if (!(await canary())) this.dirty = true;
      this.last.canaryMs = Math.round(performance.now() - tc);
      this.last.dirty = this.dirty;
      return toMutantRunResult({ status: DryRunStatus.Complete, tests });
    } catch (e) {
      this.dirty = true;
      const hit = determineHitLimitReached(ns.hitCount, ns.hitLimit);
      if (hit) return toMutantRunResult(hit);
      if (e instanceof LoadError) {
        // as the tap runner's process for that file would fail
        return {
          status: MutantRunStatus.Killed,
          failureMessage: e.message,
          killedBy: [],
          nrOfTests: 0,
        };
      }
      return toMutantRunResult({ status: DryRunStatus.Error, errorMessage: failureText(e) });
    } finally {
      ns.activeMutant = undefined;
      ns.hitCount = undefined;
      ns.hitLimit = undefined;
      ns.currentTestId = undefined;
    }
  }
}

export const strykerPlugins = [
  declareClassPlugin(PluginKind.TestRunner, "prefopt-in-process", InProcessTestRunner),
];

export const strykerValidationSchema = {
  $schema: "http://json-schema.org/draft-07/schema",
  type: "object",
  properties: {
    prefoptRunner: {
      type: "object",
      properties: { testFiles: { type: "array", items: { type: "string" } } },
      additionalProperties: false,
    },
  },
};
