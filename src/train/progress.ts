/**
 * A progress bar for long loops: step/total, rate, ETA and the latest
 * metrics. On a TTY it redraws one line in place (at most every 100 ms); on
 * anything else (a log file, CI) it prints one plain line every `everySeconds`
 * (or `everySteps`), so logs stay readable. Writes to stderr by default, so
 * stdout stays free for results.
 */

export type ProgressOptions = {
  total: number;
  /** Printed before the bar, e.g. "dpo". */
  label?: string;
  /** Step the bar starts from (a resumed run); the rate counts only steps made here. */
  start?: number;
  /** Where to draw (default process.stderr). */
  stream?: { write(s: string): unknown; isTTY?: boolean; columns?: number };
  /** Force TTY or plain mode (default: the stream's isTTY). */
  tty?: boolean;
  /** Plain mode: seconds between lines (default 10). */
  everySeconds?: number;
  /** Plain mode: also print every this many steps (default: never by count). */
  everySteps?: number;
  /** Clock in milliseconds (tests). */
  now?: () => number;
};

/** Formats a metric compactly: 4 significant digits, exponent form when tiny or huge. */
export function formatMetric(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) && Math.abs(x) < 1e6) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
  return String(Number(x.toPrecision(4)));
}

/** Formats seconds as h:mm:ss or m:ss. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

export class ProgressBar {
  readonly total: number;
  #label: string;
  #start: number;
  #stream: NonNullable<ProgressOptions["stream"]>;
  #tty: boolean;
  #everyMs: number;
  #everySteps: number;
  #now: () => number;
  #t0: number;
  #lastDraw = Number.NEGATIVE_INFINITY;
  #lastPlainStep: number;
  #step: number;
  #metrics: Record<string, number> = {};
  #drawn = false;

  constructor(o: ProgressOptions) {
    this.total = o.total;
    this.#label = o.label ?? "";
    this.#start = o.start ?? 0;
    this.#step = this.#start;
    this.#lastPlainStep = this.#start;
    this.#stream = o.stream ?? process.stderr;
    this.#tty = o.tty ?? Boolean(this.#stream.isTTY);
    this.#everyMs = (o.everySeconds ?? 10) * 1000;
    this.#everySteps = o.everySteps ?? 0;
    this.#now = o.now ?? (() => performance.now());
    this.#t0 = this.#now();
    if (!this.#tty) this.#lastDraw = this.#t0;
  }

  /** Steps per second over the steps made since the bar started. */
  rate(): number {
    const dt = (this.#now() - this.#t0) / 1000;
    return dt > 0 ? (this.#step - this.#start) / dt : 0;
  }

  /** The current line (no control characters). */
  line(): string {
    const { total } = this;
    const step = this.#step;
    const rate = this.rate();
    const eta = rate > 0 ? (total - step) / rate : Number.NaN;
    const pct = total > 0 ? Math.min(1, step / total) : 1;
    const parts: string[] = [];
    if (this.#label) parts.push(this.#label);
    if (this.#tty) {
      const width = 20;
      const fill = Math.round(pct * width);
      parts.push(`[${"#".repeat(fill)}${"-".repeat(width - fill)}]`);
    }
    parts.push(`${step}/${total} (${Math.floor(pct * 100)}%)`);
    parts.push(
      rate >= 1 || rate === 0 ? `${rate.toFixed(2)} it/s` : `${(1 / rate).toFixed(2)} s/it`,
    );
    parts.push(`ETA ${formatDuration(eta)}`);
    for (const [k, v] of Object.entries(this.#metrics)) parts.push(`${k}=${formatMetric(v)}`);
    return parts.join("  ");
  }

  /** Records progress to `step` (completed units) with the latest metrics; draws when due. */
  update(step: number, metrics?: Record<string, number>): void {
    this.#step = step;
    if (metrics) this.#metrics = { ...metrics };
    const now = this.#now();
    if (this.#tty) {
      if (now - this.#lastDraw >= 100 || step >= this.total) this.#draw(now);
    } else if (
      now - this.#lastDraw >= this.#everyMs ||
      (this.#everySteps > 0 && step - this.#lastPlainStep >= this.#everySteps)
    ) {
      this.#draw(now);
    }
  }

  /** Prints a message above the bar without garbling it. */
  log(message: string): void {
    if (this.#tty && this.#drawn) this.#stream.write(`\r\x1b[K${message}\n`);
    else this.#stream.write(`${message}\n`);
    this.#drawn = false;
    if (this.#tty) this.#draw(this.#now());
  }

  /** Draws the final state and ends the line. */
  done(): void {
    const text = this.line();
    this.#stream.write(this.#tty ? `\r\x1b[K${text}\n` : `${text}\n`);
    this.#drawn = false;
  }

  #draw(now: number): void {
    this.#lastDraw = now;
    this.#lastPlainStep = this.#step;
    const text = this.line();
    if (this.#tty) {
      const cols = this.#stream.columns ?? 120;
      this.#stream.write(`\r\x1b[K${text.length > cols - 1 ? text.slice(0, cols - 1) : text}`);
      this.#drawn = true;
    } else this.#stream.write(`${text}\n`);
  }
}
