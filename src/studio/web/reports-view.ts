/**
 * Reports: run folders under <data>/runs. The training-curves figure of the
 * runs ticked (overlaid, drawn by the server's report/curves.ts), and every
 * PNG figure a run folder holds (image grids, frontiers, the unlearning
 * figure) as images.
 */
import { h } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, withToken } from "./api.js";

type ReportRun = { dir: string; metrics: boolean; figures: string[] };

export function ReportsView() {
  const [runs, setRuns] = useState<ReportRun[]>([]);
  const [picked, setPicked] = useState<string[]>([]);
  const [error, setError] = useState("");
  useEffect(() => {
    api<{ runs: ReportRun[] }>("/api/reports")
      .then((r) => {
        setRuns(r.runs);
        const last = [...r.runs].reverse().find((x) => x.metrics);
        if (last) setPicked([last.dir]);
      })
      .catch((e: Error) => setError(e.message));
  }, []);
  const toggle = (dir: string) =>
    setPicked((p) => (p.includes(dir) ? p.filter((d) => d !== dir) : [...p, dir].slice(-8)));
  const withMetrics = picked.filter((d) => runs.find((r) => r.dir === d)?.metrics);
  // a run's curves.png is the figure drawn above from its metrics
  const figures = runs
    .filter((r) => picked.includes(r.dir))
    .flatMap((r) =>
      r.figures.filter((f) => !(r.metrics && f === "curves.png")).map((f) => ({ dir: r.dir, f })),
    );
  return h(
    "div",
    { class: "reports" },
    error ? h("p", { class: "error" }, error) : null,
    runs.length
      ? h(
          "ul",
          { class: "run-pick" },
          runs.map((r) =>
            h(
              "li",
              null,
              h(
                "label",
                null,
                h("input", {
                  type: "checkbox",
                  checked: picked.includes(r.dir),
                  onChange: () => toggle(r.dir),
                }),
                ` ${r.dir}`,
                r.figures.length
                  ? h("span", { class: "muted" }, ` (${r.figures.join(", ")})`)
                  : null,
              ),
            ),
          ),
        )
      : h(
          "p",
          null,
          "No run folders under runs/ in the data directory yet: train one on the Train tab, or copy a run folder there.",
        ),
    withMetrics.length
      ? h("img", {
          class: "curves",
          src: withToken(
            `/api/curves.svg?${withMetrics.map((d) => `dir=${encodeURIComponent(d)}`).join("&")}`,
          ),
          alt: "training curves",
        })
      : null,
    figures.map(({ dir, f }) =>
      h(
        "figure",
        { class: "figure" },
        h("img", {
          src: withToken(
            `/api/figure?dir=${encodeURIComponent(dir)}&name=${encodeURIComponent(f)}`,
          ),
          alt: `${dir}/${f}`,
        }),
        h("figcaption", null, `${dir}/${f}`),
      ),
    ),
  );
}
