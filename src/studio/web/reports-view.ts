/** Reports: any run folder under <data>/runs with a metrics.jsonl, as curves. */
import { h } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api } from "./api.js";
import { MetricCharts } from "./chart.js";
import type { MetricsRow } from "./types.js";

export function ReportsView() {
  const [dirs, setDirs] = useState<string[]>([]);
  const [dir, setDir] = useState("");
  const [rows, setRows] = useState<MetricsRow[]>([]);
  const [error, setError] = useState("");
  useEffect(() => {
    api<{ dirs: string[] }>("/api/reports")
      .then((r) => {
        setDirs(r.dirs);
        if (r.dirs.length) setDir(r.dirs[r.dirs.length - 1]);
      })
      .catch((e: Error) => setError(e.message));
  }, []);
  useEffect(() => {
    if (!dir) return;
    api<{ rows: MetricsRow[] }>(`/api/metrics?dir=${encodeURIComponent(dir)}`)
      .then((r) => setRows(r.rows))
      .catch((e: Error) => setError(e.message));
  }, [dir]);
  return h(
    "div",
    { class: "reports" },
    h(
      "label",
      null,
      "Run ",
      h(
        "select",
        { value: dir, onChange: (e: Event) => setDir((e.target as HTMLSelectElement).value) },
        dirs.map((d) => h("option", { value: d }, d)),
      ),
    ),
    dirs.length
      ? null
      : h("p", null, "No run folders with a metrics.jsonl under runs/ in the data directory yet."),
    error ? h("p", { class: "error" }, error) : null,
    h("p", { class: "muted" }, `${rows.length} metric rows`),
    h(MetricCharts, { rows }),
  );
}
