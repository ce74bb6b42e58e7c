/**
 * Human evaluation results, refreshed every two seconds: per question, model
 * A's win rate over B (ties count half) with its 95% Wilson interval drawn as
 * a bar, agreement between labelers (Fleiss' κ) and with the AI judge.
 */
import { h } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api } from "./api.js";
import { QUESTION_TEXT } from "./compare-view.js";
import type { QuestionResult } from "./types.js";

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : "—");
const num = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : "—");

function Interval(props: { rate: number; ci: [number, number] }) {
  const W = 200;
  const x = (v: number) => 4 + v * (W - 8);
  if (!Number.isFinite(props.rate)) return null;
  return h(
    "svg",
    { width: W, height: 18, class: "interval", role: "img", "aria-label": "95% interval" },
    h("line", { x1: x(0.5), x2: x(0.5), y1: 0, y2: 18, class: "half" }),
    h("line", { x1: x(props.ci[0]), x2: x(props.ci[1]), y1: 9, y2: 9, class: "ci" }),
    h("circle", { cx: x(props.rate), cy: 9, r: 4, class: "dot" }),
  );
}

/** A table of per-question results (used for evaluation and for labeling agreement). */
export function ResultsTable(props: { results: QuestionResult[]; winRates: boolean }) {
  return h(
    "table",
    { class: "results" },
    h(
      "thead",
      null,
      h(
        "tr",
        null,
        h("th", null, "question"),
        props.winRates
          ? [
              h("th", null, "A wins / ties / B wins"),
              h("th", null, "A's win rate [95% CI]"),
              h("th", null, ""),
            ]
          : h("th", null, "answers"),
        h("th", null, "labeler agreement (items, κ)"),
        h(
          "th",
          null,
          props.winRates ? "agreement with AI judge" : "agreement with the file's choice",
        ),
      ),
    ),
    h(
      "tbody",
      null,
      props.results.map((r) =>
        h(
          "tr",
          { "data-question": r.question },
          h("td", null, QUESTION_TEXT[r.question] ?? r.question),
          props.winRates
            ? [
                h("td", null, `${r.winRate.wins} / ${r.winRate.ties} / ${r.winRate.losses}`),
                h(
                  "td",
                  { class: "rate" },
                  `${pct(r.winRate.rate)} [${pct(r.winRate.ci[0])}, ${pct(r.winRate.ci[1])}]`,
                ),
                h("td", null, h(Interval, { rate: r.winRate.rate, ci: r.winRate.ci })),
              ]
            : h("td", null, String(r.winRate.n)),
          h(
            "td",
            null,
            r.agreement.items
              ? `${pct(r.agreement.observed)} on ${r.agreement.items}, κ ${num(r.agreement.kappa)}`
              : "—",
          ),
          h("td", null, r.judge.n ? `${pct(r.judge.rate)} of ${r.judge.n}` : "—"),
        ),
      ),
    ),
  );
}

export function ResultsView() {
  const [data, setData] = useState<{
    models: string[];
    items: number;
    questions: QuestionResult[];
  } | null>(null);
  const [error, setError] = useState("");
  const [note, setNote] = useState("");
  useEffect(() => {
    let stop = false;
    const tick = () =>
      api<{ models: string[]; items: number; questions: QuestionResult[] }>("/api/eval/results")
        .then((d) => !stop && setData(d))
        .catch((e: Error) => !stop && setError(e.message));
    void tick();
    const t = setInterval(tick, 2000);
    return () => {
      stop = true;
      clearInterval(t);
    };
  }, []);
  const askJudges = () =>
    api<{ run: { id: string } }>("/api/eval/judge", {})
      .then((r) => setNote(`AI judges running (${r.run.id}); their column fills in when done`))
      .catch((e: Error) => setError(e.message));
  if (error) return h("p", { class: "error" }, error);
  if (!data) return null;
  return h(
    "section",
    { class: "eval-results" },
    h(
      "h3",
      null,
      `Results: ${data.models.join(", ") || "no models yet"} (${data.items} pairs, blinded)`,
    ),
    h(ResultsTable, { results: data.questions, winRates: true }),
    h(
      "p",
      null,
      h(
        "button",
        { class: "ask-judges", onClick: askJudges },
        "Ask the AI judges on pairs without their answer",
      ),
      note ? h("span", { class: "muted" }, ` ${note}`) : null,
    ),
  );
}
