#!/usr/bin/env node
// npm run build (and prepack): compiles src/ to JavaScript and .d.ts in dist/
// with tsconfig.build.json. The installed package runs dist/ (bin/prefopt.js,
// the "exports" of package.json) with no TypeScript loader; the engine it
// imports is vendor/jax-js, shipped beside it.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });
const tsc = "node_modules/typescript/bin/tsc";
const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { stdio: "inherit" });
if (r.status !== 0) {
  rmSync("dist", { recursive: true, force: true });
  console.error("build: tsc failed, dist/ removed");
  process.exit(r.status ?? 1);
}

// the studio's web app as one bundle (src/studio/web-assets.ts serves it; an installed package has no bundler)
const esbuild = await import("esbuild");
await esbuild.build({
  entryPoints: ["src/studio/web/main.ts"],
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: true,
  legalComments: "none",
  outfile: "dist/studio/web/app.bundle.js",
  logLevel: "warning",
});
