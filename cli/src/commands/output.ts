// Everything a command prints goes through here: results to stdout (a human table, or JSON with --json),
// notes and progress to stderr. Colours only on a TTY and never with NO_COLOR or --no-color.

/** A writable text stream: process.stdout / process.stderr, or a fake in tests. */
export interface Stream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface OutputOptions {
  stdout: Stream;
  stderr: Stream;
  json: boolean;
  /** false for --no-color; colours also need a TTY and no NO_COLOR */
  color: boolean;
  env: Record<string, string | undefined>;
}

const CODES = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  cyan: [36, 39],
};
export type Style = keyof typeof CODES;

export interface Column<R> {
  header: string;
  value: (row: R) => string | number | boolean | null | undefined;
  /** right-align (numbers) */
  right?: boolean;
}

export interface Progress {
  /** `n` more units done */
  advance(n: number): void;
  /** the label shown before the bar (e.g. the current file) */
  label(text: string): void;
  done(): void;
}

const colorsWanted = (stream: Stream, flag: boolean, env: OutputOptions["env"]) =>
  flag && Boolean(stream.isTTY) && !env.NO_COLOR && env.TERM !== "dumb";

/** Bytes as a short human string: 1.5 MB, 300 kB (SI units, like curl and rsync's --human-readable). */
export function formatBytes(n: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** Seconds as m:ss or h:mm:ss. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

export class Output {
  readonly json: boolean;
  private readonly colorOut: boolean;
  private readonly colorErr: boolean;
  constructor(private readonly o: OutputOptions) {
    this.json = o.json;
    this.colorOut = colorsWanted(o.stdout, o.color, o.env);
    this.colorErr = colorsWanted(o.stderr, o.color, o.env);
  }

  /** `text` in a style, on stdout (or stderr with `toErr`) when colours are on there; plain otherwise. */
  style(style: Style, text: string, toErr = false): string {
    if (!(toErr ? this.colorErr : this.colorOut)) return text;
    const [on, off] = CODES[style];
    return `\u001b[${on}m${text}\u001b[${off}m`;
  }

  /** A line of the result, on stdout. */
  line(text = ""): void {
    this.o.stdout.write(`${text}\n`);
  }

  /** A note for the person (status, hints), on stderr, so stdout stays the result. */
  note(text: string): void {
    this.o.stderr.write(`${text}\n`);
  }

  /** The command's result as JSON on stdout (with --json). */
  printJson(value: unknown): void {
    this.o.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Prints `value` as JSON with --json, otherwise runs `human`. */
  result(value: unknown, human: () => void): void {
    if (this.json) this.printJson(value);
    else human();
  }

  /** Rows as an aligned table with a header; "(none)" when empty. */
  table<R>(rows: readonly R[], columns: readonly Column<R>[]): void {
    if (rows.length === 0) {
      this.line(this.style("dim", "(none)"));
      return;
    }
    const cells = rows.map((r) => columns.map((c) => cellText(c.value(r))));
    const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
    const fmt = (values: string[]) =>
      values
        .map((v, i) => (columns[i]!.right ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd();
    this.line(this.style("bold", fmt(columns.map((c) => c.header))));
    for (const row of cells) this.line(fmt(row));
  }

  /** Key: value lines, aligned. */
  fields(pairs: readonly [string, string | number | boolean | null | undefined][]): void {
    const width = Math.max(...pairs.map(([k]) => k.length));
    for (const [k, v] of pairs) this.line(`${this.style("dim", `${k}:`.padEnd(width + 1))} ${cellText(v)}`);
  }

  /**
   * A progress line on stderr with percentage, rate and ETA, redrawn at most 10 times a second; a no-op when
   * stderr is not a TTY (pipes, CI, logs), so scripts see only the result.
   */
  progress(total: number, now: () => number = Date.now): Progress {
    const stream = this.o.stderr;
    if (!stream.isTTY) return { advance() {}, label() {}, done() {} };
    const started = now();
    let doneUnits = 0;
    let text = "";
    let lastDraw = 0;
    const draw = (force: boolean) => {
      const t = now();
      if (!force && t - lastDraw < 100) return;
      lastDraw = t;
      const elapsed = Math.max((t - started) / 1000, 0.001);
      const rate = doneUnits / elapsed;
      const pct = total > 0 ? Math.min(100, (doneUnits / total) * 100) : 100;
      const eta = rate > 0 ? (total - doneUnits) / rate : Number.NaN;
      const width = 20;
      const filled = Math.round((pct / 100) * width);
      const bar = `${"#".repeat(filled)}${"-".repeat(width - filled)}`;
      const line = `${text} [${bar}] ${pct.toFixed(0).padStart(3)}% ${formatBytes(doneUnits)}/${formatBytes(total)} ${formatBytes(rate)}/s ETA ${formatDuration(eta)}`;
      const cols = stream.columns ?? 100;
      stream.write(`\r\u001b[2K${line.length > cols - 1 ? line.slice(line.length - cols + 1) : line}`);
    };
    return {
      advance(n) {
        doneUnits += n;
        draw(false);
      },
      label(t) {
        text = t;
        draw(false);
      },
      done() {
        draw(true);
        stream.write("\n");
      },
    };
  }
}

function cellText(v: string | number | boolean | null | undefined): string {
  if (v === null || v === undefined) return "-";
  return String(v).replace(/[\r\n\t]+/g, " ");
}
