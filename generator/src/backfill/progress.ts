/**
 * A progress line on stderr: rows, rows/s and ETA. On a TTY it redraws one
 * line; otherwise (CI logs) it prints a plain line at most every intervalMs.
 */
export class Progress {
  private readonly started = performance.now();
  private lastPrint = 0;

  constructor(
    private readonly total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly intervalMs = out.isTTY ? 200 : 2000,
  ) {}

  update(done: number, force = false): void {
    const now = performance.now();
    if (!force && now - this.lastPrint < this.intervalMs) return;
    this.lastPrint = now;
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? (this.total - done) / rate : Number.POSITIVE_INFINITY;
    const pct = this.total > 0 ? (100 * done) / this.total : 100;
    const text = `backfill ${done}/${this.total} rows (${pct.toFixed(1)}%) ${Math.round(rate)} rows/s eta ${formatEta(eta)}`;
    if (this.out.isTTY) {
      const width = 30;
      const filled = Math.round((width * pct) / 100);
      this.out.write(`\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${text}\x1b[K`);
    } else {
      this.out.write(`${text}\n`);
    }
  }

  done(rows: number): void {
    this.update(rows, true);
    if (this.out.isTTY) this.out.write("\n");
  }
}

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : `${m}m${String(s % 60).padStart(2, "0")}s`;
}
