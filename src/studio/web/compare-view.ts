/**
 * The side-by-side view for labeling and for blinded evaluation: a prompt,
 * two candidates (order drawn by the server), one or three questions, and
 * keys: ← or 1 left, → or 2 right, ↓ or t tie, s skip, u or Backspace undo.
 * Each answer is saved before the next pair is shown. Candidates are text
 * nodes (never parsed as HTML) or images from /media.
 */
import { h } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
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
  // what is on screen, for the key handler: refs are current the moment a render
  // commits, where a handler re-attached by an effect would lag behind it and
  // could label the pair shown before
  const curRef = useRef<Assignment | null>(null);
  const answersRef = useRef<Record<string, Side>>({});

  const show = (r: { next: Assignment | null; progress: Progress }) => {
    curRef.current = r.next;
    answersRef.current = {};
    setCur(r.next);
    setProgress(r.progress);
    setAnswers({});
    setLoaded(true);
  };

  const nextUrl = `/api/next?task=${task}&labeler=${encodeURIComponent(labeler)}`;

  useEffect(() => {
    api<{ next: Assignment | null; progress: Progress }>(nextUrl)
      .then(show)
      .catch((e: Error) => setError(e.message));
  }, [nextUrl]);

  /** Posts a judgment (or an undo) and shows what comes next; keys pressed meanwhile are ignored. */
  const send = async (body: Record<string, unknown>, path = "/api/judgments") => {
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
      show(await api<{ next: Assignment | null; progress: Progress }>(nextUrl));
    } catch (e) {
      setError((e as Error).message);
    } finally {
      busyRef.current = false;
      setBusy(false);
    }
  };

  /** Answers the first open question of the pair on screen; the last answer sends the judgment. */
  const answer = (side: Side) => {
    const shown = curRef.current;
    if (!shown || busyRef.current) return;
    const q = shown.questions.find((x) => !(x in answersRef.current));
    if (!q) return;
    const next = { ...answersRef.current, [q]: side };
    answersRef.current = next;
    if (shown.questions.every((x) => x in next)) {
      void send({ assignment: shown.assignment, labeler, answers: next });
    } else setAnswers(next);
  };
  const skip = () => {
    const shown = curRef.current;
    if (shown) void send({ assignment: shown.assignment, labeler, skip: true });
  };
  const undo = () => void send({ task, labeler }, "/api/undo");

  const keys = useRef({ answer, skip, undo });
  keys.current = { answer, skip, undo };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA")) return;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const k = e.key;
      const act = keys.current;
      if (k === "ArrowLeft" || k === "1") act.answer("left");
      else if (k === "ArrowRight" || k === "2") act.answer("right");
      else if (k === "ArrowDown" || k === "t") act.answer("tie");
      else if (k === "s") act.skip();
      else if (k === "u" || k === "Backspace") act.undo();
      else return;
      e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    document.body.dataset.keys = "on";
    return () => {
      window.removeEventListener("keydown", onKey);
      delete document.body.dataset.keys;
    };
  }, []);

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
      h("button", { onClick: skip }, "Skip (s)"),
      h("button", { onClick: undo }, "Undo (u)"),
    ),
  );
}
