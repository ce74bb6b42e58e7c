// StrykerJS ignorer plugin for `npm run mutate`: mutants that change only the wording of an
// error message are left out of the score (issue 20). Ignored: the arguments of
// `throw new SomethingError(…)`, and the message argument of the local throwing helpers the
// sources use (`fail(…)`, `bad(…)`, `problems.push(…)` in safetensors.ts). The condition that
// decides to throw is still mutated. Loaded through `plugins` in scripts/mutate.mjs.
import { declareValuePlugin, PluginKind } from "@stryker-mutator/api/plugin";

const THROWING_HELPERS = new Set(["fail", "bad"]);

const errorMessages = {
  shouldIgnore(path) {
    const n = path.node;
    if (
      path.isNewExpression() &&
      path.parentPath?.isThrowStatement() &&
      n.callee.type === "Identifier" &&
      /Error$/.test(n.callee.name)
    ) {
      return "error-message wording (thrown error's arguments)";
    }
    if (path.isCallExpression()) {
      const c = n.callee;
      if (c.type === "Identifier" && THROWING_HELPERS.has(c.name)) {
        return `error-message wording (${c.name}(…) throws it)`;
      }
      if (
        c.type === "MemberExpression" &&
        c.object.type === "Identifier" &&
        c.object.name === "problems" &&
        c.property.type === "Identifier" &&
        c.property.name === "push"
      ) {
        return "error-message wording (collected into one thrown error)";
      }
    }
    return undefined;
  },
};

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, "error-messages", errorMessages),
];
