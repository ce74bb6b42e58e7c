#!/usr/bin/env node
// Builds the browser example into examples/browser/dist/: main.ts bundled by
// esbuild for browsers (`prefopt` resolved to the package's browser entry,
// src/browser.ts, so no Node built-in can slip in), index.html, and the bundled
// text model's files under model/. Serve it with serve.mjs.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..");
const out = join(here, "dist");
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "model"), { recursive: true });

const r = await build({
  entryPoints: [join(here, "main.ts")],
  bundle: true,
  platform: "browser",
  format: "esm",
  target: "es2022",
  minify: true,
  sourcemap: true,
  alias: { prefopt: join(root, "src", "browser.ts") },
  outfile: join(out, "app.js"),
  metafile: true,
  logLevel: "warning",
});
const node = Object.keys(r.metafile.inputs).filter((f) => f.startsWith("node:"));
if (node.length) throw new Error(`browser bundle imports Node built-ins: ${node.join(", ")}`);
copyFileSync(join(here, "index.html"), join(out, "index.html"));
for (const f of ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]) {
  copyFileSync(join(root, "models", "text-base", f), join(out, "model", f));
}
const bytes =
  r.metafile.outputs[Object.keys(r.metafile.outputs).find((k) => k.endsWith("app.js"))].bytes;
console.log(
  `examples/browser/dist: app.js ${(bytes / 1024).toFixed(0)} KiB (minified), index.html, model/`,
);
