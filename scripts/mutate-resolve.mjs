// Module resolve hook for `npm run mutate`'s in-process test runner (scripts/mutate-runner.mjs):
// inside that runner, test files' `import ... from "node:test"` loads scripts/mutate-node-test.mjs,
// which records their tests so they can be run again for each mutant. Registered with
// `module.register` by the runner; nothing else loads it.
const SHIM = new URL("./mutate-node-test.mjs", import.meta.url).href;

export async function resolve(specifier, context, next) {
  if ((specifier === "node:test" || specifier === "test") && context.parentURL !== SHIM) {
    return { url: SHIM, shortCircuit: true };
  }
  return next(specifier, context);
}
