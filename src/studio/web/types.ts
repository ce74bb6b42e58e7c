/** Shapes of the studio API's answers, as the web app reads them. */
import type { WinRate } from "../../eval/win-rate.js";

export type Task = "pairs" | "eval";
export type Side = "left" | "right" | "tie";

export type Assignment = {
  assignment: number;
  item: number;
  task: Task;
  media: "text" | "image";
  prompt: string;
  left: string;
  right: string;
  questions: string[];
};

export type Progress = { done: number; total: number; labeled: number; skipped: number };

export type Agreement = { items: number; pairs: number; observed: number; kappa: number };

export type QuestionResult = {
  question: string;
  winRate: WinRate;
  agreement: Agreement;
  judge: { n: number; agree: number; rate: number };
};

export type Run = {
  id: string;
  kind: string;
  dir: string;
  status: string;
  exit_code: number | null;
  created_at: string;
  log: string;
};

export type MetricsRow = Record<string, unknown>;
