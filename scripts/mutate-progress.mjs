// StrykerJS reporter plugin for `npm run mutate`: appends every tested mutant to
// reports/mutation/<area>.progress.jsonl as soon as its result is known (status, file, line,
// mutator, replacement), so the survivors of a long run on a shared machine can be read, and
// their tests written, before the run ends or if it is stopped. Loaded through `plugins`.
import { appendFileSync, writeFileSync } from "node:fs";
import { commonTokens, declareClassPlugin, PluginKind } from "@stryker-mutator/api/plugin";

class ProgressReporter {
  static inject = [commonTokens.options];
  constructor(options) {
    this.file = options.jsonReporter.fileName.replace(/\.json$/, ".progress.jsonl");
    writeFileSync(this.file, "");
  }
  onMutantTested(r) {
    const line = {
      status: r.status,
      file: r.fileName.replace(`${process.cwd()}/`, ""),
      line: r.location.start.line,
      column: r.location.start.column,
      mutator: r.mutatorName,
      replacement: r.replacement,
    };
    appendFileSync(this.file, `${JSON.stringify(line)}\n`);
  }
}

export const strykerPlugins = [
  declareClassPlugin(PluginKind.Reporter, "progress-file", ProgressReporter),
];
