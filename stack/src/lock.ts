import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { StackError } from "./errors.ts";

/** Whether a process with this PID exists (EPERM: it exists, owned by someone else). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** PID in the lock file, if the file exists and holds one. */
export function lockHolder(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes `.data/stack.lock` (created exclusively, holding our PID) so two `up`
 * runs never share one data directory. A lock left by a launcher that died is
 * taken over. Returns the release function.
 */
export function acquireStackLock(path: string): () => void {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        if (lockHolder(path) === process.pid) unlinkSync(path);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = lockHolder(path);
      if (holder !== undefined && processAlive(holder)) {
        throw new StackError(
          "locked",
          holder === process.pid
            ? `a stack is already running in this process on ${dirname(path)}; stop it first or use another NETFLOW_DATA_DIR`
            : `the stack is already running (launcher pid ${holder}, lock file ${path}); stop it first (Ctrl-C in its terminal, or kill ${holder}), or use another NETFLOW_DATA_DIR`,
        );
      }
      // Stale: its launcher is gone.
      unlinkSync(path);
    }
  }
  throw new StackError("locked", `could not take the lock file ${path}`);
}
