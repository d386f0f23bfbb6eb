/**
 * Fault points for crash tests. `NETFLOW_FAULTS=name[,name]` makes the process
 * kill itself with SIGKILL (like `kill -9`: no cleanup, no finally blocks) when
 * it reaches a named point, so each interleaving of a crash with the archive
 * protocol is forced rather than hoped for. Unset in production: a no-op.
 */
export const FAULT_POINTS = [
  /** After the first export batch reached the writer (files partly uploaded). */
  "during-export",
  /** Every data file is uploaded; nothing verified or committed. */
  "after-upload",
  /** Files verified by DuckDB; the commit transaction has not started. */
  "after-verify",
  /** Inside the commit transaction: chunk locked and checked, catalog not swapped yet. */
  "before-cas",
  /** Inside the commit transaction: catalog swapped, log written, chunk dropped, not committed. */
  "after-cas-before-commit",
  /** Committed; the commit marker is not written yet. */
  "after-commit",
] as const;

export type FaultPoint = (typeof FAULT_POINTS)[number];

const enabled = new Set(
  (process.env.NETFLOW_FAULTS ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== ""),
);

export function fault(point: FaultPoint): void {
  if (enabled.has(point)) {
    process.stderr.write(`fault point ${point} reached: killing the process\n`);
    process.kill(process.pid, "SIGKILL");
    // Nothing may run after the point, not even a pending microtask.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000);
  }
}
