/**
 * Node's built-in modules, fetched when a function needs them
 * (`process.getBuiltinModule`, Node ≥ 20.16) instead of by a static `node:`
 * import. Modules that also run in browsers (the engine set-up, safetensors,
 * tokenizer, model loading) use this, so a browser bundle of prefopt holds no
 * Node built-in and their file-system functions throw a UserError there.
 */
import { UserError } from "./errors.js";

type Builtins = {
  buffer: typeof import("node:buffer");
  crypto: typeof import("node:crypto");
  fs: typeof import("node:fs");
  os: typeof import("node:os");
  path: typeof import("node:path");
  url: typeof import("node:url");
  v8: typeof import("node:v8");
  worker_threads: typeof import("node:worker_threads");
};

/** True in Node (and runtimes that present themselves as Node), false in a browser. */
export function isNode(): boolean {
  return typeof process !== "undefined" && typeof process.versions?.node === "string";
}

/** The built-in `node:<name>`; throws a UserError outside Node. */
export function nodeBuiltin<K extends keyof Builtins>(name: K): Builtins[K] {
  if (!isNode() || typeof process.getBuiltinModule !== "function") {
    throw new UserError(
      `node:${name} is not available here: files and threads need Node ≥ 20.16 (in a browser, load models with CausalLM.fromUrl)`,
    );
  }
  return process.getBuiltinModule(`node:${name}`) as Builtins[K];
}

/** Environment variable `name` in Node; undefined in a browser. */
export function envVar(name: string): string | undefined {
  return isNode() ? process.env[name] : undefined;
}
