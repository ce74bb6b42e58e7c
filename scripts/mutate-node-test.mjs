// `node:test`'s registration API (describe, it, test, before, after, beforeEach, afterEach and
// their .skip/.todo/.only forms), recorded instead of run, so that `npm run mutate`'s in-process
// test runner (scripts/mutate-runner.mjs) can import a test file once and run any subset of its
// tests once per mutant. scripts/mutate-resolve.mjs points `import ... from "node:test"` here
// inside that runner only; `npm test` never loads this file.
//
// What it runs is what Node's runner runs for the subset: suites in order, a suite's `before`
// hooks once before its first selected test and `after` hooks after its last, `beforeEach` and
// `afterEach` of every enclosing suite around each test (outer first, and inner first after),
// a test's `timeout` option. A test context offers name, signal, skip, todo and diagnostic.

/** A test file's top-level suite, by file. */
const roots = new Map();
/** Suites whose bodies are being registered (innermost last). */
const stack = [];

class Suite {
  constructor(name, parent, options) {
    this.kind = "suite";
    this.name = name;
    this.parent = parent;
    this.options = options;
    this.children = [];
    this.hooks = { before: [], after: [], beforeEach: [], afterEach: [] };
    this.id = parent ? `${parent.id} > ${name}` : name;
  }
}

function current(what) {
  const s = stack.at(-1);
  if (!s) throw new Error(`${what} called outside a test file being loaded by the mutation runner`);
  return s;
}

/** node:test's (name?, options?, fn?) argument forms. */
function args(a, b, c) {
  let name;
  let options = {};
  let fn;
  for (const x of [a, b, c]) {
    if (typeof x === "string") name = x;
    else if (typeof x === "function") fn = x;
    else if (x && typeof x === "object") options = x;
  }
  return { name: name ?? fn?.name ?? "<anonymous>", options, fn };
}

/** A unique id among the suite's children (a repeated name gets " #2", " #3", ...). */
function childId(parent, name) {
  const base = `${parent.id} > ${name}`;
  let id = base;
  for (let n = 2; parent.children.some((c) => c.id === id); n++) id = `${base} #${n}`;
  return id;
}

function registerSuite(a, b, c, extra = {}) {
  const { name, options, fn } = args(a, b, c);
  const parent = current("describe");
  const s = new Suite(name, parent, { ...options, ...extra });
  s.id = childId(parent, name);
  parent.children.push(s);
  stack.push(s);
  try {
    const r = fn?.call(s, {});
    if (r && typeof r.then === "function") {
      throw new Error(
        `describe("${name}"): an async suite body is not supported by the mutation runner`,
      );
    }
  } finally {
    stack.pop();
  }
}

function registerTest(a, b, c, extra = {}) {
  const { name, options, fn } = args(a, b, c);
  const parent = current("test");
  parent.children.push({
    kind: "test",
    name,
    options: { ...options, ...extra },
    fn,
    parent,
    id: childId(parent, name),
  });
}

function withForms(register) {
  const f = (a, b, c) => register(a, b, c);
  f.skip = (a, b, c) => register(a, b, c, { skip: true });
  f.todo = (a, b, c) => register(a, b, c, { todo: true });
  f.only = (a, b, c) => register(a, b, c);
  return f;
}

export const describe = withForms(registerSuite);
export const suite = describe;
export const it = withForms(registerTest);
export const test = it;

const hook = (kind) => (fn) => current(kind).hooks[kind].push(fn);
export const before = hook("before");
export const after = hook("after");
export const beforeEach = hook("beforeEach");
export const afterEach = hook("afterEach");

export default test;

// ---- used by scripts/mutate-runner.mjs ----

/** Imports a test file, recording its tests under a root suite named after the file. */
export async function loadFile(file, url) {
  const root = new Suite(file, null, {});
  stack.push(root);
  try {
    await import(url);
  } finally {
    stack.pop();
  }
  roots.set(file, root);
  return root;
}

/** Every test under a suite, in order. */
function testsUnder(suite) {
  return suite.children.flatMap((c) => (c.kind === "suite" ? testsUnder(c) : [c]));
}

/** The suites enclosing a test, outermost first. */
function suitesOf(t) {
  const out = [];
  for (let s = t.parent; s; s = s.parent) out.unshift(s);
  return out;
}

const skipped = (node) => {
  for (let n = node; n; n = n.parent) if (n.options?.skip || n.options?.todo) return true;
  return false;
};

function withTimeout(promise, ms, what) {
  if (!(ms > 0 && Number.isFinite(ms))) return promise;
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

class Skip extends Error {}

function context(name, controller) {
  return {
    name,
    signal: controller.signal,
    skip() {
      throw new Skip();
    },
    todo() {
      throw new Skip();
    },
    diagnostic() {},
  };
}

/**
 * Runs the selected tests of a loaded file (all when `selected` is null), in file order, and
 * returns one result per test run: { test, status: "passed" | "failed" | "skipped", error, ms }.
 * `enter(idOrNull)` is called before each test or suite hook runs (the id to charge its
 * coverage to: a test's id, or "<suite id> [hooks]"); with `bail`, stops at the first failure.
 */
export async function runFile(file, selected, { bail, enter }) {
  const results = [];
  let stop = false;
  const want = (t) => selected === null || selected.has(t.id);
  const selectedUnder = (s) => testsUnder(s).filter(want);

  async function runHooks(s, kind, label) {
    enter(`${s.id} [hooks]`);
    for (const fn of s.hooks[kind]) {
      await withTimeout(
        Promise.resolve().then(() => fn.call(s, {})),
        s.options.timeout,
        `${label} ${kind} hook`,
      );
    }
  }

  async function runTest(t) {
    const t0 = performance.now();
    if (skipped(t)) {
      results.push({ test: t, status: "skipped", ms: 0 });
      return;
    }
    const suites = suitesOf(t);
    const controller = new AbortController();
    let error;
    try {
      enter(t.id);
      for (const s of suites) for (const fn of s.hooks.beforeEach) await fn.call(s, {});
      if (t.fn) {
        await withTimeout(
          Promise.resolve().then(() => t.fn(context(t.name, controller))),
          t.options.timeout,
          `test "${t.name}"`,
        );
      }
    } catch (e) {
      if (!(e instanceof Skip)) error = e;
    }
    try {
      enter(t.id);
      for (const s of [...suites].reverse())
        for (const fn of s.hooks.afterEach) await fn.call(s, {});
    } catch (e) {
      error ??= e;
    }
    controller.abort();
    results.push({
      test: t,
      status: error ? "failed" : "passed",
      error,
      ms: performance.now() - t0,
    });
    if (error && bail) stop = true;
  }

  async function runSuite(s) {
    const mine = selectedUnder(s);
    if (!mine.some((t) => !skipped(t))) {
      // nothing to run here: no hooks either, and skipped tests reported as skipped
      for (const t of mine) results.push({ test: t, status: "skipped", ms: 0 });
      return;
    }
    try {
      await runHooks(s, "before", s.id);
    } catch (error) {
      // a failing `before` fails every selected test under it, as in Node's runner
      for (const t of mine) {
        if (!skipped(t)) results.push({ test: t, status: "failed", error, ms: 0 });
      }
      if (bail) stop = true;
      return;
    }
    for (const c of s.children) {
      if (stop) break;
      if (c.kind === "suite") await runSuite(c);
      else if (want(c)) await runTest(c);
    }
    try {
      await runHooks(s, "after", s.id);
    } catch (error) {
      results.push({
        test: { id: `${s.id} [hooks]`, name: `${s.name} after hook` },
        status: "failed",
        error,
        ms: 0,
      });
      if (bail) stop = true;
    }
  }

  await runSuite(roots.get(file));
  enter(null);
  return results;
}

/** The ids of every test of the loaded files, in order. */
export function allTests(files) {
  return files.flatMap((f) => testsUnder(roots.get(f)).map((t) => t.id));
}
