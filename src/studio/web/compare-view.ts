/**
 * The side-by-side view for labeling and for blinded evaluation: a prompt,
 * two candidates (order drawn by the server), one or three questions, and
 * keys: ← or 1 left, → or 2 right, ↓ or t tie, s skip, u or Backspace undo.
 * Each answer is saved before the next pair is shown. Candidates are text
 * nodes (never parsed as HTML) or images from /media.
 */
import { h } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api, clientId, withToken } from "./api.js";
import type { Assignment, Progress, Side, Task } from "./types.js";

export const QUESTION_TEXT: Record<string, string> = {
  preference: "Which is better?",
  overall: "General preference: which image do you prefer?",
  appeal: "Visual appeal: which image looks better, regardless of the prompt?",
  alignment: "Prompt alignment: which image fits the prompt better?",
};

function Candidate(props: { media: string; value: string; side: string; picked: boolean }) {
  const cls = `candidate${props.picked ? " picked" : ""}`;
  return h(
    "figure",
    { class: cls, "data-side": props.side },
    h("figcaption", null, props.side === "left" ? "← left (1)" : "right (2) →"),
    props.media === "image"
      ? h("img", {
          src: withToken(`/media/${encodeURIComponent(props.value)}`),
          alt: `${props.side} candidate`,
        })
      : h("pre", { class: "text" }, props.value),
  );
}

export function CompareView(props: { task: Task; labeler: string }) {
  const { task, labeler } = props;
  const [cur, setCur] = useState<Assignment | null>(null);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [answers, setAnswers] = useState<Record<string, Side>>({});
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [loaded, setLoaded] = useState(false);
  const busyRef = useRef(false);

  const show = (r: { next: Assignment | null; progress: Progress }) => {
    setCur(r.next);
    setProgress(r.progress);
    setAnswers({});
    setLoaded(true);
  };

  const load = useCallback(() => {
    api<{ next: Assignment | null; progress: Progress }>(
      `/api/next?task=${task}&labeler=${encodeURIComponent(labeler)}`,
    )
      .then(show)
      .catch((e: Error) => setError(e.message));
  }, [task, labeler]);

  useEffect(load, [load]);

  const send = useCallback(
    async (body: Record<string, unknown>, path = "/api/judgments") => {
      if (busyRef.current) return;
      busyRef.current = true;
      setBusy(true);
      setError("");
      try {
        if (path === "/api/judgments") await api(path, { ...body, clientId: clientId() });
        else {
          const r = await api<{ next: Assignment | null; progress: Progress }>(path, body);
          if (r.next) {
            show(r);
            return;
          }
        }
        const r = await api<{ next: Assignment | null; progress: Progress }>(
          `/api/next?task=${task}&labeler=${encodeURIComponent(labeler)}`,
        );
        show(r);
      } catch (e) {
        setError((e as Error).message);
      } finally {
        busyRef.current = false;
        setBusy(false);
      }
    },
    [task, labeler],
  );

  const answer = useCallback(
    (side: Side) => {
      if (!cur) return;
      const q = cur.questions.find((x) => !(x in answers));
      if (!q) return;
      const next = { ...answers, [q]: side };
      if (cur.questions.every((x) => x in next)) {
        void send({ assignment: cur.assignment, labeler, answers: next });
      } else setAnswers(next);
    },
    [cur, answers, labeler, send],
  );

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA")) return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const k = e.key;
      if (k === "ArrowLeft" || k === "1") answer("left");
      else if (k === "ArrowRight" || k === "2") answer("right");
      else if (k === "ArrowDown" || k === "t") answer("tie");
      else if (k === "s" && cur) void send({ assignment: cur.assignment, labeler, skip: true });
      else if (k === "u" || k === "Backspace") void send({ task, labeler }, "/api/undo");
      else return;
      e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [answer, send, cur, task, labeler]);

  const pct = progress?.total ? Math.round((100 * progress.done) / progress.total) : 0;
  const bar = progress
    ? h(
        "div",
        { class: "progress" },
        h("div", { class: "bar" }, h("div", { class: "fill", style: `width:${pct}%` })),
        h(
          "span",
          { class: "count", "data-testid": "progress" },
          `${progress.done} / ${progress.total} done (${progress.labeled} labeled, ${progress.skipped} skipped)`,
        ),
      )
    : null;
  const err = error ? h("p", { class: "error", role: "alert" }, error) : null;
  if (!loaded) return h("div", null, err, h("p", null, "Loading…"));
  if (!cur) {
    return h(
      "div",
      { class: "compare" },
      bar,
      err,
      h(
        "p",
        { class: "done", "data-testid": "all-done" },
        progress?.total
          ? "All pairs done. Press u to undo the last one."
          : task === "pairs"
            ? "No pairs yet: import some on the Data tab."
            : "No evaluation pairs yet: import model A and B outputs on the Data tab.",
      ),
    );
  }
  const q = cur.questions.find((x) => !(x in answers)) ?? cur.questions[0];
  return h(
    "div",
    { class: `compare${busy ? " busy" : ""}`, "data-item": cur.item },
    bar,
    err,
    h(
      "div",
      { class: "prompt" },
      h("span", { class: "label" }, "Prompt"),
      h("pre", { class: "text", "data-testid": "prompt" }, cur.prompt),
    ),
    h(
      "div",
      { class: "question" },
      cur.questions.map((x) =>
        h(
          "span",
          { class: `q${x === q ? " active" : ""}${x in answers ? " answered" : ""}` },
          QUESTION_TEXT[x] ?? x,
          x in answers ? ` — ${answers[x]}` : "",
        ),
      ),
    ),
    h(
      "div",
      { class: "pair" },
      h(Candidate, { media: cur.media, value: cur.left, side: "left", picked: false }),
      h(Candidate, { media: cur.media, value: cur.right, side: "right", picked: false }),
    ),
    h(
      "div",
      { class: "keys" },
      h("button", { onClick: () => answer("left") }, "← Left (1)"),
      h("button", { onClick: () => answer("tie") }, "Tie (↓ / t)"),
      h("button", { onClick: () => answer("right") }, "Right (2) →"),
      h(
        "button",
        { onClick: () => send({ assignment: cur.assignment, labeler, skip: true }) },
        "Skip (s)",
      ),
      h("button", { onClick: () => send({ task, labeler }, "/api/undo") }, "Undo (u)"),
    ),
  );
}
