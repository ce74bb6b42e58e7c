#!/usr/bin/env node
// The package as a user meets it (CI): `npm pack` (which builds dist/), install
// the tarball into a fresh temporary project with default npm settings, then
// run the CLI through npx, import prefopt from plain ES module and CommonJS
// files (dpoLoss against its closed form), and type-check a consumer .ts file
// with `tsc --strict` and no skipLibCheck. Prints the tarball's size and file
// count. Usage: node scripts/pack-check.mjs [--keep] [--matmul]
//   --keep    leave the temporary project (its path is printed)
//   --matmul  also time a 1024³ matrix product in the consumer and in the checkout
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const root = resolve(import.meta.dirname, "..");
const keep = process.argv.includes("--keep");
const matmul = process.argv.includes("--matmul");
const work = mkdtempSync(join(tmpdir(), "prefopt-pack-"));
const consumer = join(work, "consumer");
mkdirSync(consumer);
// a clean environment: no npm_config_* from an enclosing `npm run`, so npm runs with its defaults
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith("npm_")),
);

function run(cmd, args, cwd, opts = {}) {
  const shown = `${cmd} ${args.join(" ")}`;
  console.log(`\n$ ${shown}`);
  const r = spawnSync(cmd, args, { cwd, env: { ...env, ...opts.env }, encoding: "utf8" });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`.trimEnd();
  if (out) console.log(opts.quiet ? out.split("\n").slice(-3).join("\n") : out);
  if (r.status !== 0) {
    console.error(`pack-check: \`${shown}\` exited ${r.status} (project: ${consumer})`);
    process.exit(1);
  }
  return r.stdout;
}

function check(cond, what) {
  if (!cond) {
    console.error(`pack-check: FAILED: ${what} (project: ${consumer})`);
    process.exit(1);
  }
  console.log(`ok: ${what}`);
}

// 1. npm pack (prepack builds dist/)
// lifecycle output (prepack) may precede npm's JSON on stdout
const packOut = run("npm", ["pack", "--json", "--pack-destination", work], root, { quiet: true });
const packed = JSON.parse(packOut.slice(packOut.search(/^\[/m)))[0];
const tarball = join(work, packed.filename);
const paths = packed.files.map((f) => f.path);
console.log(
  `tarball: ${packed.filename}, ${(packed.size / 1e6).toFixed(2)} MB packed, ` +
    `${(packed.unpackedSize / 1e6).toFixed(2)} MB unpacked, ${packed.entryCount} files`,
);
for (const need of [
  "bin/prefopt.js",
  "dist/index.js",
  "dist/index.d.ts",
  "dist/browser.js",
  "dist/cli/main.js",
  "vendor/jax-js/index.js",
  "vendor/jax-js/LICENSE",
  "models/text-base/model.safetensors",
  "models/text-base/tokenizer.json",
]) {
  check(paths.includes(need), `tarball holds ${need}`);
}
const stray = paths.filter((p) => /^(src|test|bench|scripts|patches|\.ci|docs|examples)\//.test(p));
check(stray.length === 0, `tarball holds no sources, tests, bench or scripts (${stray.length})`);
check(
  !paths.some((p) => /checkpoint-/.test(p)),
  "tarball holds no training checkpoints of the bundled models",
);
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const scripts = manifest.scripts ?? {};
check(
  !["preinstall", "install", "postinstall", "prepare"].some((s) => s in scripts),
  "no install scripts",
);

// 2. a fresh project, default npm settings
writeFileSync(
  join(consumer, "package.json"),
  `${JSON.stringify({ name: "consumer", version: "1.0.0", private: true, type: "module" }, null, 2)}\n`,
);
run("npm", ["install", tarball], consumer, { quiet: true });

// 3. the CLI through npx, compiled JavaScript only
const helpText = run("npx", ["prefopt", "--help"], consumer);
check(/Usage: prefopt/.test(helpText), "npx prefopt --help prints the usage");
const version = spawnSync("npx", ["prefopt", "--version"], {
  cwd: consumer,
  env,
  encoding: "utf8",
});
if (version.status === 0) {
  console.log(`\n$ npx prefopt --version\n${version.stdout.trim()}`);
  check(
    version.stdout.trim() === manifest.version,
    `npx prefopt --version prints ${manifest.version}`,
  );
} else console.log("\n(npx prefopt --version: not a CLI option yet; --help checked instead)");
const sample = run("npx", ["prefopt", "generate", "--prompt", "The movie", "--n", "1"], consumer);
check(/The movie/.test(sample), "npx prefopt generate continues the prompt with the bundled model");

// 4. plain ES module and CommonJS consumers: dpoLoss against −log σ(β·margin)
const beta = 0.5;
const rows = [
  [-3, -5, -4, -4],
  [-2, -1, -2.5, -1.5],
];
const expected = rows.map(([pc, pr, rc, rr]) =>
  Math.log1p(Math.exp(-beta * (pc - rc - (pr - rr)))),
);
const meanExpected = expected.reduce((a, b) => a + b) / expected.length;
const body = (imp) => `${imp}
await initEngine();
const col = (i) => np.array(${JSON.stringify(rows)}.map((r) => r[i]));
const out = dpoLoss(
  { policyChosenLogps: col(0), policyRejectedLogps: col(1), refChosenLogps: col(2), refRejectedLogps: col(3) },
  { beta: ${beta} },
);
console.log(JSON.stringify({ loss: (await out.loss.data())[0], losses: Array.from(await out.losses.data()) }));
`;
writeFileSync(
  join(consumer, "dpo.mjs"),
  body('import { dpoLoss, initEngine, np } from "prefopt";'),
);
writeFileSync(
  join(consumer, "dpo.cjs"),
  `(async () => {\n${body('const { dpoLoss, initEngine, np } = require("prefopt");')}})();\n`,
);
for (const file of ["dpo.mjs", "dpo.cjs"]) {
  const got = JSON.parse(run("node", [file], consumer).trim().split("\n").pop());
  const close = (a, b) => Math.abs(a - b) < 1e-5 * Math.max(1, Math.abs(b));
  check(
    close(got.loss, meanExpected) && got.losses.every((l, i) => close(l, expected[i])),
    `${file}: dpoLoss = ${got.loss.toFixed(6)}, closed form ${meanExpected.toFixed(6)}`,
  );
}

// importing the library loads no native or command-only package (resvg, mnist, the studio's)
writeFileSync(
  join(consumer, "lazy.mjs"),
  `import { createRequire } from "node:module";
await import("prefopt");
const loaded = Object.keys(createRequire(import.meta.url).cache);
console.log(JSON.stringify(loaded.filter((k) => /resvg|mnist|better-sqlite3|fastify|preact/.test(k))));
`,
);
const heavy = JSON.parse(run("node", ["lazy.mjs"], consumer).trim().split("\n").pop());
check(
  heavy.length === 0,
  `import "prefopt" loads no resvg, mnist or studio package (${heavy.length})`,
);

// the engine a consumer runs is the checkout's: the vendored, patched files, byte for byte
const engineDir = (base) => join(base, "vendor", "jax-js");
const engineFiles = readdirSync(engineDir(root)).filter((f) => f.endsWith(".js"));
const installed = join(consumer, "node_modules", "prefopt");
check(
  engineFiles.every((f) =>
    readFileSync(join(engineDir(root), f)).equals(readFileSync(join(engineDir(installed), f))),
  ),
  `the installed engine is the checkout's patched engine (${engineFiles.length} files, byte-identical)`,
);

// 5. TypeScript consumers: tsc --strict --noUncheckedIndexedAccess, no skipLibCheck, Node16
// resolution. A Node program (with @types/node, taken from this checkout as a Node project
// would have its own) and a browser program (no Node types at all, "prefopt/browser").
const nodeTs = `import { CausalLM, dpoLoss, initEngine, np, preferenceLoss } from "prefopt";

const opts: Parameters<typeof dpoLoss>[1] = { beta: 0.1, type: "ipo" };
export async function main(): Promise<number> {
  await initEngine();
  const lm: CausalLM = await CausalLM.load();
  const text: string = await lm.generate("The movie", { maxNewTokens: 4 });
  const a: np.Array = np.array([-1, -2]);
  const out = dpoLoss(
    { policyChosenLogps: a, policyRejectedLogps: np.array([-2, -2]), refChosenLogps: np.zeros([2]), refRejectedLogps: np.zeros([2]) },
    opts,
  );
  const l: np.Array = preferenceLoss(np.array([0.5]), { beta: 1 });
  l.dispose();
  lm.dispose();
  return text.length + ((await out.loss.data())[0] ?? 0);
}
`;
const webTs = `import { CausalLM, DpoStepper, dpoLoss, initEngine, np } from "prefopt/browser";

export async function main(base: string): Promise<number> {
  await initEngine();
  const lm = await CausalLM.fromUrl(base);
  const stepper = new DpoStepper(lm, { beta: 0.1, lr: 3e-4 });
  const m = await stepper.step([{ prompt: "The movie", chosen: " was great.", rejected: " was bad." }]);
  const out = dpoLoss(
    { policyChosenLogps: np.array([-1]), policyRejectedLogps: np.array([-2]), refChosenLogps: np.zeros([1]), refRejectedLogps: np.zeros([1]) },
    { beta: 0.1 },
  );
  return (m.loss ?? 0) + ((await out.loss.data())[0] ?? 0);
}
`;
const tsconfig = (file, types, extra = {}) => ({
  compilerOptions: {
    strict: true,
    noUncheckedIndexedAccess: true,
    module: "nodenext",
    moduleResolution: "nodenext",
    target: "es2022",
    noEmit: true,
    lib: types.length ? ["es2023"] : ["es2023", "dom"],
    types,
    ...extra,
  },
  files: [file],
});
writeFileSync(join(consumer, "node-consumer.ts"), nodeTs);
writeFileSync(join(consumer, "web-consumer.ts"), webTs);
writeFileSync(
  join(consumer, "tsconfig.node.json"),
  JSON.stringify(
    tsconfig("node-consumer.ts", ["node"], { typeRoots: [join(root, "node_modules/@types")] }),
    null,
    2,
  ),
);
writeFileSync(
  join(consumer, "tsconfig.web.json"),
  JSON.stringify(tsconfig("web-consumer.ts", []), null, 2),
);
const tsc = join(root, "node_modules/typescript/bin/tsc");
run(process.execPath, [tsc, "-p", "tsconfig.node.json"], consumer);
check(true, "tsc --strict (no skipLibCheck) accepts a Node consumer of prefopt's types");
run(process.execPath, [tsc, "-p", "tsconfig.web.json"], consumer);
check(true, "tsc --strict (no skipLibCheck, no Node types) accepts a browser consumer");

// 6. a browser bundle of `import ... from "prefopt"` (the "browser" condition): no Node built-in
writeFileSync(
  join(consumer, "web.mjs"),
  'import { CausalLM, DpoStepper, dpoLoss, np } from "prefopt";\nconsole.log(CausalLM, DpoStepper, dpoLoss, np);\n',
);
console.log("\n$ esbuild web.mjs --bundle --platform=browser --format=esm");
const esbuild = await import(pathToFileURL(join(root, "node_modules/esbuild/lib/main.js")).href);
const bundled = await esbuild.build({
  absWorkingDir: consumer,
  entryPoints: ["web.mjs"],
  bundle: true,
  platform: "browser",
  format: "esm",
  outfile: "web.bundle.js",
  metafile: true,
  logLevel: "warning",
});
writeFileSync(join(consumer, "web.meta.json"), JSON.stringify(bundled.metafile));
const inputs = Object.keys(
  JSON.parse(readFileSync(join(consumer, "web.meta.json"), "utf8")).inputs,
);
check(
  inputs.some((f) => f.includes("node_modules/prefopt/dist/browser.js")) &&
    !inputs.some((f) => f.startsWith("node:")),
  `esbuild --platform=browser bundles prefopt's browser entry with no Node built-in (${inputs.length} modules)`,
);

// 7. optional: a 1024³ matrix product, the installed package against the checkout. One process
// holds both copies (the consumer's dist/ and this checkout's src/ through tsx) and alternates
// between them, so the machine's load falls on both alike.
if (matmul) {
  const script = join(work, "matmul.mts");
  writeFileSync(
    script,
    `const copies = [
  ["consumer", await import(${JSON.stringify(pathToFileURL(join(consumer, "node_modules/prefopt/dist/index.js")).href)})],
  ["checkout", await import(${JSON.stringify(pathToFileURL(join(root, "src/index.ts")).href)})],
];
const n = 1024;
const runs = [];
for (const [name, p] of copies) {
  await p.initEngine();
  const np = p.np;
  const a = np.array(Float32Array.from({ length: n * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5), { shape: [n, n] });
  const b = np.array(Float32Array.from({ length: n * n }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5), { shape: [n, n] });
  runs.push({ name, np, a, b, t: [] });
}
for (let i = 0; i < 33; i++) {
  for (const r of i % 2 ? runs : [...runs].reverse()) {
    const t0 = performance.now();
    await r.np.matmul(r.a.ref, r.b.ref).data();
    if (i >= 3) r.t.push(performance.now() - t0);
  }
}
const med = (x) => [...x].sort((p, q) => p - q)[x.length >> 1];
for (const r of runs) console.log(\`matmul 1024³ \${r.name}: median \${med(r.t).toFixed(1)} ms, best \${Math.min(...r.t).toFixed(1)} ms (30 runs)\`);
console.log(\`matmul 1024³ consumer/checkout (medians): \${(med(runs[0].t) / med(runs[1].t)).toFixed(3)}\`);
process.exit(0);
`,
  );
  for (const threads of ["1", "2"]) {
    console.log(`\n$ PREFOPT_THREADS=${threads} node --import tsx matmul.mts`);
    console.log(
      execFileSync(process.execPath, ["--import", "tsx", script], {
        cwd: root,
        env: { ...env, PREFOPT_THREADS: threads, PREFOPT_INLINE: threads === "1" ? "1" : "0" },
        encoding: "utf8",
      }).trim(),
    );
  }
}

if (!keep) rmSync(work, { recursive: true, force: true });
else console.log(`\nkept ${work}`);
console.log("\npack-check: all checks passed");
