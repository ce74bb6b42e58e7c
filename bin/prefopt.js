#!/usr/bin/env node
// The prefopt CLI. An installed package runs the compiled JavaScript in dist/
// (npm run build); a checkout, which has src/, runs the TypeScript sources
// through tsx so no build step stands between an edit and a run.
import { existsSync } from "node:fs";

const source = new URL("../src/cli/main.ts", import.meta.url);
if (existsSync(source)) {
  const { register } = await import("tsx/esm/api");
  register();
  await import(source.href);
} else {
  await import("../dist/cli/main.js");
}
