/**
 * Closing the loop: start `prefopt dpo` on the labels collected so far, watch
 * its metrics.jsonl as curves (refreshed every two seconds), and queue the
 * tuned model against its base for blinded human evaluation.
 */
import { h } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api } from "./api.js";
import { MetricCharts } from "./chart.js";
import type { MetricsRow, Run } from "./types.js";

export function TrainView() {
  const [runs, setRuns] = useState<Run[]>([]);
  const [sel, setSel] = useState("");
  const [rows, setRows] = useState<MetricsRow[]>([]);
  const [steps, setSteps] = useState("20");
  const [kind, setKind] = useState("dpo");
  const [beta, setBeta] = useState("");
  const [batch, setBatch] = useState("4");
  const [error, setError] = useState("");
  useEffect(() => {
    let stop = false;
    const tick = async () => {
      try {
        const r = await api<{ runs: Run[] }>("/api/runs");
        if (stop) return;
        setRuns(r.runs);
        const cur = r.runs.find((x) => x.id === sel) ?? r.runs[0];
        if (cur) {
          if (!sel) setSel(cur.id);
          const m = await api<{ rows: MetricsRow[] }>(
            `/api/metrics?dir=${encodeURIComponent(cur.dir)}`,
          ).catch(() => ({ rows: [] }));
          if (!stop) setRows(m.rows);
        }
      } catch (e) {
        if (!stop) setError((e as Error).message);
      }
    };
    void tick();
    const t = setInterval(tick, 2000);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, [sel]);
  const start = async (e: Event) => {
    e.preventDefault();
    setError("");
    try {
      const r = await api<{ run: Run }>("/api/train", {
        kind,
        steps: Number(steps),
        batchSize: Number(batch),
        ...(beta.trim() ? { beta: Number(beta) } : {}),
      });
      setSel(r.run.id);
      setRows([]);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const queueEval = async (run: string) => {
    setError("");
    try {
      const r = await api<{ run: Run }>("/api/generate", { task: "eval", run });
      setSel(r.run.id);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const val = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value);
  const cur = runs.find((x) => x.id === sel);
  return h(
    "div",
    { class: "train" },
    h(
      "form",
      { onSubmit: start },
      h("h3", null, "Train on the labels collected so far"),
      h(
        "select",
        { value: kind, onChange: (e: Event) => setKind((e.target as HTMLSelectElement).value) },
        h("option", { value: "dpo" }, "DPO on the text pairs (prefopt dpo)"),
        h(
          "option",
          { value: "diffusion-dpo" },
          "Diffusion-DPO on the image pairs (prefopt diffusion dpo)",
        ),
      ),
      h(
        "label",
        null,
        "steps ",
        h("input", { type: "number", min: 1, value: steps, onInput: val(setSteps) }),
      ),
      h(
        "label",
        null,
        "β ",
        h("input", {
          type: "number",
          step: "any",
          min: 0,
          value: beta,
          placeholder: "default",
          onInput: val(setBeta),
        }),
      ),
      h(
        "label",
        null,
        "batch ",
        h("input", { type: "number", min: 1, value: batch, onInput: val(setBatch) }),
      ),
      h("button", { type: "submit" }, "Start"),
      error ? h("p", { class: "error", role: "alert" }, error) : null,
    ),
    runs.length
      ? h(
          "ul",
          { class: "runs" },
          runs.map((r) =>
            h(
              "li",
              { class: r.id === sel ? "sel" : "", onClick: () => setSel(r.id) },
              `${r.id} — ${r.status}${r.exit_code !== null && r.exit_code !== 0 ? ` (exit ${r.exit_code})` : ""}`,
            ),
          ),
        )
      : null,
    cur?.kind === "dpo" && cur.status === "done"
      ? h(
          "p",
          null,
          h(
            "button",
            { class: "queue-eval", onClick: () => queueEval(cur.id) },
            "Evaluate this model against its base (generate both on the labeled prompts, then the Evaluate tab)",
          ),
        )
      : null,
    cur
      ? h(
          "div",
          null,
          h(MetricCharts, { rows }),
          h("pre", { class: "log" }, cur.log.split("\r").pop() ?? ""),
        )
      : null,
  );
}
