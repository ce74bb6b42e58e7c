/**
 * The studio's durable state: one SQLite file (studio.db) in the data
 * directory, in WAL mode with synchronous=FULL, so a judgment is on disk before
 * the request that carries it is acknowledged and a server killed at any moment
 * loses nothing it acknowledged. Tables:
 *   items       a prompt and two candidates a, b (text, or image file names)
 *               for a task: "pairs" (preference labeling) or "eval" (A vs B)
 *   assignments which candidate a labeler sees on the left (drawn once, at random)
 *   judgments   one labeler's answers on one item, with time; undo marks it undone
 * Every write is one transaction; judgments carry a client id so a retried
 * request is stored once.
 */
import { randomInt } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../engine/errors.js";
import { type Database, loadSqlite } from "./sqlite.js";

export type Task = "pairs" | "eval";
export type Media = "text" | "image";
export type Answer = "a" | "b" | "tie";
export type Side = "left" | "right" | "tie";

/** Questions asked per task and media (the lecture's three for image evaluation). */
export const QUESTIONS: Record<Task, Record<Media, readonly string[]>> = {
  pairs: { text: ["preference"], image: ["preference"] },
  eval: { text: ["preference"], image: ["overall", "appeal", "alignment"] },
};

export type NewItem = {
  task: Task;
  media: Media;
  prompt: string;
  a: string;
  b: string;
  source?: string;
  line?: number;
  modelA?: string;
  modelB?: string;
  /** AI judge's answers per question, for agreement with people */
  judge?: Record<string, Answer>;
};

export type Item = Required<Omit<NewItem, "judge" | "source" | "line">> & {
  id: number;
  source: string | null;
  line: number | null;
  judge: Record<string, Answer> | null;
};

export type Judgment = {
  id: number;
  itemId: number;
  labeler: string;
  /** answers per question in terms of the candidates; empty when skipped */
  answers: Record<string, Answer>;
  skipped: boolean;
  createdAt: string;
};

/** What a labeler is shown: candidates as left/right, blinded to a/b. */
export type Assignment = {
  assignment: number;
  item: number;
  task: Task;
  media: Media;
  prompt: string;
  left: string;
  right: string;
  questions: readonly string[];
};

export type Progress = { done: number; total: number; labeled: number; skipped: number };

const SCHEMA = `
CREATE TABLE IF NOT EXISTS items (
  id INTEGER PRIMARY KEY,
  task TEXT NOT NULL CHECK (task IN ('pairs', 'eval')),
  media TEXT NOT NULL CHECK (media IN ('text', 'image')),
  prompt TEXT NOT NULL,
  a TEXT NOT NULL,
  b TEXT NOT NULL,
  source TEXT,
  line INTEGER,
  model_a TEXT NOT NULL DEFAULT '',
  model_b TEXT NOT NULL DEFAULT '',
  judge TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (task, prompt, a, b)
);
CREATE TABLE IF NOT EXISTS assignments (
  id INTEGER PRIMARY KEY,
  item_id INTEGER NOT NULL REFERENCES items(id),
  labeler TEXT NOT NULL,
  left_is TEXT NOT NULL CHECK (left_is IN ('a', 'b')),
  created_at TEXT NOT NULL,
  UNIQUE (item_id, labeler)
);
CREATE TABLE IF NOT EXISTS judgments (
  id INTEGER PRIMARY KEY,
  item_id INTEGER NOT NULL REFERENCES items(id),
  assignment_id INTEGER NOT NULL REFERENCES assignments(id),
  labeler TEXT NOT NULL,
  answers TEXT NOT NULL,
  skipped INTEGER NOT NULL,
  client_id TEXT UNIQUE,
  created_at TEXT NOT NULL,
  undone_at TEXT
);
CREATE INDEX IF NOT EXISTS judgments_live ON judgments (labeler, undone_at, item_id);
CREATE INDEX IF NOT EXISTS judgments_item ON judgments (item_id);
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  dir TEXT NOT NULL,
  data TEXT NOT NULL,
  args TEXT NOT NULL,
  pid INTEGER,
  status TEXT NOT NULL,
  exit_code INTEGER,
  created_at TEXT NOT NULL,
  ended_at TEXT
);
`;

type ItemRow = {
  id: number;
  task: Task;
  media: Media;
  prompt: string;
  a: string;
  b: string;
  source: string | null;
  line: number | null;
  model_a: string;
  model_b: string;
  judge: string | null;
};

type JudgmentRow = {
  id: number;
  item_id: number;
  labeler: string;
  answers: string;
  skipped: number;
  created_at: string;
};

export type RunRow = {
  id: string;
  kind: string;
  dir: string;
  data: string;
  args: string;
  pid: number | null;
  status: string;
  exit_code: number | null;
  created_at: string;
  ended_at: string | null;
};

function toItem(r: ItemRow): Item {
  return {
    id: r.id,
    task: r.task,
    media: r.media,
    prompt: r.prompt,
    a: r.a,
    b: r.b,
    source: r.source,
    line: r.line,
    modelA: r.model_a,
    modelB: r.model_b,
    judge: r.judge ? (JSON.parse(r.judge) as Record<string, Answer>) : null,
  };
}

function toJudgment(r: JudgmentRow): Judgment {
  return {
    id: r.id,
    itemId: r.item_id,
    labeler: r.labeler,
    answers: JSON.parse(r.answers) as Record<string, Answer>,
    skipped: r.skipped === 1,
    createdAt: r.created_at,
  };
}

const now = () => new Date().toISOString();

/** The studio database of `dataDir` (created with its schema when new). */
export class Store {
  readonly db: Database;

  constructor(readonly dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    const Sqlite = loadSqlite();
    const path = join(dataDir, "studio.db");
    try {
      this.db = new Sqlite(path);
    } catch (e) {
      throw new UserError(`${path}: cannot open the studio database (${(e as Error).message})`);
    }
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.pragma("busy_timeout = 5000");
    this.db.pragma("foreign_keys = ON");
    this.db.exec(SCHEMA);
  }

  close(): void {
    this.db.close();
  }

  /** Inserts items (one transaction); an item already there (same task, prompt, a, b) is kept once. */
  addItems(items: NewItem[]): { added: number; existing: number } {
    const ins = this.db.prepare(
      `INSERT OR IGNORE INTO items (task, media, prompt, a, b, source, line, model_a, model_b, judge, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const t = now();
    let added = 0;
    this.db.transaction(() => {
      for (const it of items) {
        const r = ins.run(
          it.task,
          it.media,
          it.prompt,
          it.a,
          it.b,
          it.source ?? null,
          it.line ?? null,
          it.modelA ?? "",
          it.modelB ?? "",
          it.judge ? JSON.stringify(it.judge) : null,
          t,
        );
        added += r.changes;
      }
    })();
    return { added, existing: items.length - added };
  }

  /** Sets the AI judge's answers of an item. */
  setJudge(id: number, judge: Record<string, Answer>): void {
    this.db.prepare("UPDATE items SET judge = ? WHERE id = ?").run(JSON.stringify(judge), id);
  }

  items(task?: Task): Item[] {
    const rows = (
      task
        ? this.db.prepare("SELECT * FROM items WHERE task = ? ORDER BY id").all(task)
        : this.db.prepare("SELECT * FROM items ORDER BY id").all()
    ) as ItemRow[];
    return rows.map(toItem);
  }

  item(id: number): Item | undefined {
    const r = this.db.prepare("SELECT * FROM items WHERE id = ?").get(id) as ItemRow | undefined;
    return r && toItem(r);
  }

  /** Live (not undone) judgments, optionally of one task. */
  judgments(task?: Task): Judgment[] {
    const rows = (
      task
        ? this.db
            .prepare(
              `SELECT j.* FROM judgments j JOIN items i ON i.id = j.item_id
               WHERE j.undone_at IS NULL AND i.task = ? ORDER BY j.id`,
            )
            .all(task)
        : this.db.prepare("SELECT * FROM judgments WHERE undone_at IS NULL ORDER BY id").all()
    ) as JudgmentRow[];
    return rows.map(toJudgment);
  }

  /** The assignment (left/right order) of `labeler` on item `itemId`, drawn at random the first time. */
  assign(itemId: number, labeler: string): Assignment {
    const item = this.item(itemId);
    if (!item) throw new UserError(`item ${itemId}: no such item`);
    const get = this.db.prepare(
      "SELECT id, left_is FROM assignments WHERE item_id = ? AND labeler = ?",
    );
    let row = get.get(itemId, labeler) as { id: number; left_is: "a" | "b" } | undefined;
    if (!row) {
      // no fsync for a drawn order: the WAL is sequential, so the fsync of the
      // judgment that uses it (synchronous=FULL) makes it durable too
      this.db.pragma("synchronous = NORMAL");
      try {
        this.db
          .prepare(
            "INSERT OR IGNORE INTO assignments (item_id, labeler, left_is, created_at) VALUES (?, ?, ?, ?)",
          )
          .run(itemId, labeler, randomInt(2) === 0 ? "a" : "b", now());
      } finally {
        this.db.pragma("synchronous = FULL");
      }
      row = get.get(itemId, labeler) as { id: number; left_is: "a" | "b" };
    }
    const leftA = row.left_is === "a";
    return {
      assignment: row.id,
      item: item.id,
      task: item.task,
      media: item.media,
      prompt: item.prompt,
      left: leftA ? item.a : item.b,
      right: leftA ? item.b : item.a,
      questions: QUESTIONS[item.task][item.media],
    };
  }

  /** The next item `labeler` has not judged in `task` (in import order), or null when done. */
  next(task: Task, labeler: string): Assignment | null {
    const r = this.db
      .prepare(
        `SELECT i.id FROM items i WHERE i.task = ? AND NOT EXISTS (
           SELECT 1 FROM judgments j WHERE j.item_id = i.id AND j.labeler = ? AND j.undone_at IS NULL)
         ORDER BY i.id LIMIT 1`,
      )
      .get(task, labeler) as { id: number } | undefined;
    return r ? this.assign(r.id, labeler) : null;
  }

  /**
   * Records `labeler`'s answers (per question, as sides) on an assignment, or a
   * skip; returns the judgment id. The same `clientId` twice stores one judgment.
   */
  judge(opts: {
    assignment: number;
    labeler: string;
    answers?: Record<string, Side>;
    skip?: boolean;
    clientId?: string;
  }): { id: number; duplicate: boolean; task: Task } {
    return this.db.transaction(() => {
      if (opts.clientId) {
        const dup = this.db
          .prepare(
            "SELECT j.id, i.task FROM judgments j JOIN items i ON i.id = j.item_id WHERE client_id = ?",
          )
          .get(opts.clientId) as { id: number; task: Task } | undefined;
        if (dup) return { id: dup.id, duplicate: true, task: dup.task };
      }
      const as = this.db
        .prepare(
          `SELECT a.id, a.item_id, a.labeler, a.left_is, i.task, i.media FROM assignments a
           JOIN items i ON i.id = a.item_id WHERE a.id = ?`,
        )
        .get(opts.assignment) as
        | {
            id: number;
            item_id: number;
            labeler: string;
            left_is: "a" | "b";
            task: Task;
            media: Media;
          }
        | undefined;
      if (!as) throw new UserError(`assignment ${opts.assignment}: no such assignment`);
      if (as.labeler !== opts.labeler) {
        throw new UserError(
          `assignment ${opts.assignment}: belongs to labeler "${as.labeler}", not "${opts.labeler}"`,
        );
      }
      const answers: Record<string, Answer> = {};
      if (!opts.skip) {
        const qs = QUESTIONS[as.task][as.media];
        const given = opts.answers ?? {};
        for (const k of Object.keys(given)) {
          if (!qs.includes(k)) {
            throw new UserError(`answers.${k}: not a question here; expected ${qs.join(", ")}`);
          }
        }
        for (const q of qs) {
          const s = given[q];
          if (s !== "left" && s !== "right" && s !== "tie") {
            throw new UserError(`answers.${q}: missing; expected left, right or tie`);
          }
          answers[q] = s === "tie" ? "tie" : (s === "left") === (as.left_is === "a") ? "a" : "b";
        }
      }
      // a new judgment replaces the labeler's live one on the same item
      this.db
        .prepare(
          "UPDATE judgments SET undone_at = ? WHERE item_id = ? AND labeler = ? AND undone_at IS NULL",
        )
        .run(now(), as.item_id, opts.labeler);
      const r = this.db
        .prepare(
          `INSERT INTO judgments (item_id, assignment_id, labeler, answers, skipped, client_id, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          as.item_id,
          as.id,
          opts.labeler,
          JSON.stringify(answers),
          opts.skip ? 1 : 0,
          opts.clientId ?? null,
          now(),
        );
      return { id: Number(r.lastInsertRowid), duplicate: false, task: as.task };
    })();
  }

  /** Undoes `labeler`'s latest live judgment in `task`; returns its item shown again, or null. */
  undo(task: Task, labeler: string): Assignment | null {
    const r = this.db
      .prepare(
        `SELECT j.id, j.item_id FROM judgments j JOIN items i ON i.id = j.item_id
         WHERE j.labeler = ? AND j.undone_at IS NULL AND i.task = ? ORDER BY j.id DESC LIMIT 1`,
      )
      .get(labeler, task) as { id: number; item_id: number } | undefined;
    if (!r) return null;
    this.db.prepare("UPDATE judgments SET undone_at = ? WHERE id = ?").run(now(), r.id);
    return this.assign(r.item_id, labeler);
  }

  progress(task: Task, labeler: string): Progress {
    const total = (
      this.db.prepare("SELECT COUNT(*) AS n FROM items WHERE task = ?").get(task) as { n: number }
    ).n;
    const c = this.db
      .prepare(
        `SELECT COUNT(*) AS done, COALESCE(SUM(j.skipped), 0) AS skipped FROM judgments j
         JOIN items i ON i.id = j.item_id WHERE j.labeler = ? AND j.undone_at IS NULL AND i.task = ?`,
      )
      .get(labeler, task) as { done: number; skipped: number };
    return { done: c.done, total, labeled: c.done - c.skipped, skipped: c.skipped };
  }

  counts(): { items: Record<Task, number>; judgments: Record<Task, number>; labelers: number } {
    const items = { pairs: 0, eval: 0 };
    const judgments = { pairs: 0, eval: 0 };
    for (const r of this.db
      .prepare("SELECT task, COUNT(*) AS n FROM items GROUP BY task")
      .all() as { task: Task; n: number }[])
      items[r.task] = r.n;
    for (const r of this.db
      .prepare(
        `SELECT i.task, COUNT(*) AS n FROM judgments j JOIN items i ON i.id = j.item_id
         WHERE j.undone_at IS NULL AND j.skipped = 0 GROUP BY i.task`,
      )
      .all() as { task: Task; n: number }[])
      judgments[r.task] = r.n;
    const labelers = (
      this.db
        .prepare("SELECT COUNT(DISTINCT labeler) AS n FROM judgments WHERE undone_at IS NULL")
        .get() as { n: number }
    ).n;
    return { items, judgments, labelers };
  }

  addRun(r: Omit<RunRow, "exit_code" | "ended_at" | "pid">): void {
    this.db
      .prepare(
        `INSERT INTO runs (id, kind, dir, data, args, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(r.id, r.kind, r.dir, r.data, r.args, r.status, r.created_at);
  }

  updateRun(id: string, patch: { pid?: number; status?: string; exitCode?: number | null }): void {
    if (patch.pid !== undefined)
      this.db.prepare("UPDATE runs SET pid = ? WHERE id = ?").run(patch.pid, id);
    if (patch.status !== undefined) {
      const ended = patch.status === "running" ? null : now();
      this.db
        .prepare("UPDATE runs SET status = ?, exit_code = ?, ended_at = ? WHERE id = ?")
        .run(patch.status, patch.exitCode ?? null, ended, id);
    }
  }

  runs(): RunRow[] {
    return this.db.prepare("SELECT * FROM runs ORDER BY created_at DESC").all() as RunRow[];
  }

  run(id: string): RunRow | undefined {
    return this.db.prepare("SELECT * FROM runs WHERE id = ?").get(id) as RunRow | undefined;
  }
}
