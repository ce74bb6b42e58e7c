/**
 * The web app's three files: the HTML shell, the JavaScript bundle and the
 * style sheet. The bundle is web/main.ts with preact, bundled by esbuild when
 * the server starts (about a tenth of a second), or a prebuilt
 * web/app.bundle.js beside this module when a build step left one there.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { UserError } from "../engine/errors.js";
import { STUDIO_CSS } from "./web/style.js";

export type StudioAssets = { html: string; js: string; css: string };

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>prefopt studio</title>
<link rel="stylesheet" href="/app.css">
</head>
<body>
<div id="app"></div>
<script type="module" src="/app.js"></script>
</body>
</html>
`;

let cached: StudioAssets | undefined;

async function bundle(): Promise<string> {
  const prebuilt = fileURLToPath(new URL("./web/app.bundle.js", import.meta.url));
  if (existsSync(prebuilt)) return readFileSync(prebuilt, "utf8");
  const entry = ["./web/main.ts", "./web/main.js"]
    .map((p) => fileURLToPath(new URL(p, import.meta.url)))
    .find((p) => existsSync(p));
  if (!entry)
    throw new UserError("prefopt studio: the web app's sources are missing (web/main.ts)");
  let esbuild: typeof import("esbuild");
  try {
    esbuild = await import("esbuild");
  } catch {
    throw new UserError(
      "prefopt studio: the web app is not prebuilt and esbuild is not installed to bundle it (npm install esbuild)",
    );
  }
  const r = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "esm",
    target: "es2020",
    minify: true,
    legalComments: "none",
    logLevel: "silent",
  });
  return r.outputFiles[0].text;
}

/** The app's files (built once per process). */
export async function studioAssets(): Promise<StudioAssets> {
  cached ??= { html: HTML, js: await bundle(), css: STUDIO_CSS };
  return cached;
}
