/**
 * The studio web app: tabs for labeling, blinded evaluation, data in and
 * out, training on the labels, and run reports. The labeler's name is kept in
 * the browser (localStorage) and sent with every answer.
 */
import { h, render } from "preact";
import { useState } from "preact/hooks";
import { CompareView } from "./compare-view.js";
import { DataPanel } from "./data-view.js";
import { ReportsView } from "./reports-view.js";
import { ResultsView } from "./results-view.js";
import { TrainView } from "./train-view.js";

const TABS = ["label", "evaluate", "data", "train", "reports"] as const;
type Tab = (typeof TABS)[number];

function LabelerForm(props: { onName: (n: string) => void }) {
  const [name, setName] = useState("");
  return h(
    "form",
    {
      class: "who",
      onSubmit: (e: Event) => {
        e.preventDefault();
        if (/^[\w .@-]{1,64}$/.test(name.trim())) props.onName(name.trim());
      },
    },
    h(
      "label",
      null,
      "Your name (saved with every label) ",
      h("input", {
        name: "labeler",
        value: name,
        autofocus: true,
        onInput: (e: Event) => setName((e.target as HTMLInputElement).value),
      }),
    ),
    h("button", { type: "submit" }, "Start"),
  );
}

function App() {
  const initialTab = (location.hash.slice(1) as Tab) || "label";
  const [tab, setTab] = useState<Tab>(TABS.includes(initialTab) ? initialTab : "label");
  const [labeler, setLabeler] = useState(localStorage.getItem("prefopt.labeler") ?? "");
  const go = (t: Tab) => {
    setTab(t);
    history.replaceState(null, "", `${location.search}#${t}`);
  };
  const needsName = (tab === "label" || tab === "evaluate") && !labeler;
  return h(
    "div",
    { class: "app" },
    h(
      "header",
      null,
      h("h1", null, "prefopt studio"),
      h(
        "nav",
        null,
        TABS.map((t) =>
          h("button", { class: t === tab ? "active" : "", "data-tab": t, onClick: () => go(t) }, t),
        ),
      ),
      labeler
        ? h(
            "span",
            { class: "me" },
            `labeler: ${labeler} `,
            h(
              "button",
              {
                class: "link",
                onClick: () => {
                  localStorage.removeItem("prefopt.labeler");
                  setLabeler("");
                },
              },
              "change",
            ),
          )
        : null,
    ),
    h(
      "main",
      null,
      needsName
        ? h(LabelerForm, {
            onName: (n) => {
              localStorage.setItem("prefopt.labeler", n);
              setLabeler(n);
            },
          })
        : tab === "label"
          ? h(CompareView, { task: "pairs", labeler, key: `pairs-${labeler}` })
          : tab === "evaluate"
            ? h(
                "div",
                null,
                h(CompareView, { task: "eval", labeler, key: `eval-${labeler}` }),
                h(ResultsView, null),
              )
            : tab === "data"
              ? h(DataPanel, null)
              : tab === "train"
                ? h(TrainView, null)
                : h(ReportsView, null),
    ),
  );
}

render(h(App, null), document.getElementById("app")!);
