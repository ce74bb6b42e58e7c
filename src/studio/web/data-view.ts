/**
 * Data in and out: import JSONL (pasted, or a file inside the data
 * directory), the labeling summary with agreement, and export downloads in
 * the formats `prefopt dpo` and Diffusion-DPO read.
 */
import { h } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, withToken } from "./api.js";
import { ResultsTable } from "./results-view.js";
import type { QuestionResult, Task } from "./types.js";

type Summary = {
  counts: { items: Record<Task, number>; judgments: Record<Task, number>; labelers: number };
  exportable: number;
  undecided: number;
  labeling: QuestionResult[];
};

export function DataPanel() {
  const [summary, setSummary] = useState<Summary | null>(null);
  const [task, setTask] = useState<Task>("pairs");
  const [file, setFile] = useState("");
  const [jsonl, setJsonl] = useState("");
  const [modelA, setModelA] = useState("");
  const [modelB, setModelB] = useState("");
  const [msg, setMsg] = useState("");
  const [genPrompts, setGenPrompts] = useState("");
  const [error, setError] = useState("");
  const refresh = () =>
    api<Summary>("/api/summary")
      .then(setSummary)
      .catch((e: Error) => setError(e.message));
  useEffect(() => {
    void refresh();
  }, []);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError("");
    setMsg("");
    const body: Record<string, string> = { task };
    if (file.trim()) body.file = file.trim();
    else body.jsonl = jsonl;
    if (task === "eval" && modelA) body.modelA = modelA;
    if (task === "eval" && modelB) body.modelB = modelB;
    try {
      const r = await api<{ added: number; existing: number }>("/api/import", body);
      setMsg(`imported ${r.added} new item(s), ${r.existing} already there`);
      setJsonl("");
      void refresh();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const generate = async (e: Event) => {
    e.preventDefault();
    setError("");
    setMsg("");
    const prompts = genPrompts
      .split("\n")
      .map((p) => p.trim())
      .filter(Boolean);
    try {
      const r = await api<{ run: { id: string } }>("/api/generate", {
        task: "pairs",
        ...(prompts.length ? { prompts } : {}),
      });
      setMsg(
        `generating in the background (${r.run.id}); progress on the Train tab, pairs appear on the Label tab as they are made`,
      );
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const val = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value);
  return h(
    "div",
    { class: "data" },
    summary
      ? h(
          "section",
          null,
          h("h3", null, "Collected"),
          h(
            "p",
            { "data-testid": "summary" },
            `${summary.counts.items.pairs} pairs to label, ${summary.counts.judgments.pairs} labels; ` +
              `${summary.counts.items.eval} evaluation pairs, ${summary.counts.judgments.eval} judgments; ` +
              `${summary.counts.labelers} labeler(s). ${summary.exportable} pairs have a majority label` +
              (summary.undecided ? `, ${summary.undecided} are tied.` : "."),
          ),
          h(ResultsTable, { results: summary.labeling, winRates: false }),
          h(
            "p",
            { class: "exports" },
            h(
              "a",
              { href: withToken("/api/export?media=text"), download: "prefopt-text-pairs.jsonl" },
              "Export text pairs (TRL JSONL, for prefopt dpo --data)",
            ),
            " · ",
            h(
              "a",
              { href: withToken("/api/export?media=image"), download: "prefopt-image-pairs.jsonl" },
              "Export image pairs (image-pair JSONL)",
            ),
          ),
        )
      : null,
    h(
      "form",
      { class: "import", onSubmit: submit },
      h("h3", null, "Import"),
      h(
        "label",
        null,
        "Task ",
        h(
          "select",
          { value: task, onChange: val((v) => setTask(v as Task)) },
          h(
            "option",
            { value: "pairs" },
            "pairs to label: {prompt, chosen, rejected} (text or PNG paths)",
          ),
          h("option", { value: "eval" }, "evaluation, model A vs B: {prompt, a, b, judge?}"),
        ),
      ),
      task === "eval"
        ? h(
            "div",
            { class: "models" },
            h("input", { placeholder: "model A name", value: modelA, onInput: val(setModelA) }),
            h("input", { placeholder: "model B name", value: modelB, onInput: val(setModelB) }),
          )
        : null,
      h("input", {
        class: "file",
        placeholder: "a JSONL file inside the data directory, e.g. pairs.jsonl",
        value: file,
        onInput: val(setFile),
      }),
      h("textarea", {
        rows: 6,
        placeholder: "…or paste JSONL here",
        value: jsonl,
        onInput: val(setJsonl),
      }),
      h("button", { type: "submit" }, "Import"),
    ),
    h(
      "form",
      { class: "import generate", onSubmit: generate },
      h("h3", null, "Generate pairs to label"),
      h("textarea", {
        rows: 3,
        placeholder:
          "prompts, one per line (empty: the prompts of the pairs already imported); two samples each from the bundled text model",
        value: genPrompts,
        onInput: val(setGenPrompts),
      }),
      h("button", { type: "submit" }, "Generate in the background"),
    ),
    msg ? h("p", { class: "ok" }, msg) : null,
    error ? h("p", { class: "error", role: "alert" }, error) : null,
  );
}
