// StrykerJS ignorer plugin for `npm run mutate`: mutants inside the message of a
// thrown error (`throw new UserError(`…`)`) change only its wording, so they are
// left out of the score (issue 20). The condition that decides to throw is still
// mutated. Loaded through `plugins` in scripts/mutate.mjs.
import { declareValuePlugin, PluginKind } from "@stryker-mutator/api/plugin";

const errorMessages = {
  shouldIgnore(path) {
    if (
      path.isNewExpression() &&
      path.parentPath?.isThrowStatement() &&
      path.node.callee.type === "Identifier" &&
      /Error$/.test(path.node.callee.name)
    ) {
      return "error-message wording (thrown error's arguments)";
    }
    return undefined;
  },
};

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, "error-messages", errorMessages),
];
