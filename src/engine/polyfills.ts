/**
 * Node 20 lacks a few web globals that @jax-js/jax expects: `navigator`
 * (thread count, user agent), `Float16Array`, and the ES2025 iterator helpers
 * used by `einsum` and `dotProductAttention`. This module installs them once,
 * before the engine is imported, and is a no-op in browsers and newer Nodes.
 */
import { Float16Array as Float16ArrayPolyfill } from "@petamoriken/float16";
import { envVar, isNode, nodeBuiltin } from "./node-builtins.js";

const g = globalThis as Record<string, unknown>;

/** Number of worker threads the engine will use: PREFOPT_THREADS or all cores (the browser's count there). */
export function engineThreads(): number {
  const env = Number(envVar("PREFOPT_THREADS"));
  if (Number.isInteger(env) && env > 0) return env;
  if (!isNode()) return Math.max(1, globalThis.navigator?.hardwareConcurrency ?? 1);
  const os = nodeBuiltin("os");
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

export function installPolyfills(): void {
  if (g.navigator === undefined) {
    Object.defineProperty(g, "navigator", {
      value: { hardwareConcurrency: engineThreads(), userAgent: `Node.js/${process.version}` },
      configurable: true,
      writable: true,
    });
  } else {
    try {
      Object.defineProperty(g.navigator as object, "hardwareConcurrency", {
        value: engineThreads(),
        configurable: true,
      });
    } catch {
      // a read-only navigator keeps its own count
    }
  }
  if (g.Float16Array === undefined) g.Float16Array = Float16ArrayPolyfill;
  installIteratorHelpers();
}

type AnyIter = Iterator<unknown> & Iterable<unknown>;

/** The ES2025 Iterator.prototype helpers (map, filter, take, drop, flatMap, reduce, toArray, forEach, some, every, find). */
function installIteratorHelpers(): void {
  const proto = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]())) as Record<
    string,
    unknown
  >;
  if (typeof proto.map === "function") return;
  const define = (name: string, fn: (this: AnyIter, ...args: never[]) => unknown) =>
    Object.defineProperty(proto, name, { value: fn, configurable: true, writable: true });
  function* mapGen(it: AnyIter, f: (v: unknown, i: number) => unknown) {
    let i = 0;
    for (const v of it) yield f(v, i++);
  }
  function* filterGen(it: AnyIter, f: (v: unknown, i: number) => unknown) {
    let i = 0;
    for (const v of it) if (f(v, i++)) yield v;
  }
  function* takeGen(it: AnyIter, n: number) {
    if (n <= 0) return;
    let i = 0;
    for (const v of it) {
      yield v;
      if (++i >= n) return;
    }
  }
  function* dropGen(it: AnyIter, n: number) {
    let i = 0;
    for (const v of it) if (i++ >= n) yield v;
  }
  function* flatMapGen(it: AnyIter, f: (v: unknown, i: number) => Iterable<unknown>) {
    let i = 0;
    for (const v of it) yield* f(v, i++);
  }
  define("map", function (f: (v: unknown, i: number) => unknown) {
    return mapGen(this, f);
  });
  define("filter", function (f: (v: unknown, i: number) => unknown) {
    return filterGen(this, f);
  });
  define("take", function (n: number) {
    return takeGen(this, n);
  });
  define("drop", function (n: number) {
    return dropGen(this, n);
  });
  define("flatMap", function (f: (v: unknown, i: number) => Iterable<unknown>) {
    return flatMapGen(this, f);
  });
  define("toArray", function () {
    return [...this];
  });
  define("forEach", function (f: (v: unknown, i: number) => void) {
    let i = 0;
    for (const v of this) f(v, i++);
  });
  define("some", function (f: (v: unknown, i: number) => unknown) {
    let i = 0;
    for (const v of this) if (f(v, i++)) return true;
    return false;
  });
  define("every", function (f: (v: unknown, i: number) => unknown) {
    let i = 0;
    for (const v of this) if (!f(v, i++)) return false;
    return true;
  });
  define("find", function (f: (v: unknown, i: number) => unknown) {
    let i = 0;
    for (const v of this) if (f(v, i++)) return v;
    return undefined;
  });
  define(
    "reduce",
    function (f: (acc: unknown, v: unknown, i: number) => unknown, ...init: unknown[]) {
      let i = 0;
      let acc: unknown;
      let started = init.length > 0;
      if (started) acc = init[0];
      for (const v of this) {
        if (!started) {
          acc = v;
          started = true;
        } else acc = f(acc, v, i);
        i++;
      }
      if (!started) throw new TypeError("Reduce of empty iterator with no initial value");
      return acc;
    },
  );
}
