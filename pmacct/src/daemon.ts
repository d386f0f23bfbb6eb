import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import type { Logger } from "pino";
import { CollectorError } from "./errors.ts";
import { parseSequenceJump, type SequenceJump } from "./health/sequence.ts";
import type { Daemon } from "./render.ts";

/** pmacct log line: "LEVEL ( instance/plugin ): message". */
const LOG_LINE = /^(DEBUG|INFO|WARN|ERROR|CRIT)\s*\(\s*([^)]*?)\s*\):\s*(.*)$/;
const READY = /waiting for (NetFlow\/IPFIX|sFlow) data on/;
const PURGE_END = /Purging cache - END \(PID: \d+, QN: (\d+)\/(\d+)/;

export interface DaemonEvents {
  /** Rows a purge wrote (pmacct's "QN: written/total"). */
  onRowsWritten?: (written: number, total: number) => void;
  onWarning?: (message: string) => void;
  /** A sequence discontinuity the daemon's own check reported (see health/sequence.ts). */
  onSequenceJump?: (jump: SequenceJump) => void;
}

/**
 * One pmacct daemon process (nfacctd or sfacctd) in the foreground, its log
 * lines forwarded to pino. Started in its own process group so stop() can end
 * the core, its plugins and any writer children it forked, and nothing else.
 */
export class DaemonProcess {
  private child: ChildProcess | null = null;
  private exitPromise: Promise<number | null> | null = null;

  constructor(
    readonly daemon: Daemon,
    private readonly binary: string,
    private readonly confPath: string,
    private readonly log: Logger,
    private readonly events: DaemonEvents = {},
  ) {}

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Spawns the daemon and resolves once it listens; rejects if it exits first or does not listen in time. */
  async start(readyTimeoutMs = 20_000): Promise<void> {
    const child = spawn(this.binary, ["-f", this.confPath], {
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    this.exitPromise = new Promise((resolve) => child.once("exit", (code, signal) => resolve(signal ? null : code)));
    let ready: () => void = () => {};
    const readyPromise = new Promise<void>((resolve) => {
      ready = resolve;
    });
    const recent: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream }).on("line", (line) => {
        recent.push(line);
        if (recent.length > 20) recent.shift();
        if (READY.test(line)) ready();
        this.forward(line);
      });
    }
    const outcome = await Promise.race([
      readyPromise.then(() => "ready" as const),
      this.exitPromise.then(() => "exited" as const),
      new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), readyTimeoutMs).unref()),
      new Promise<"spawn-error">((resolve) => child.once("error", () => resolve("spawn-error"))),
    ]);
    if (outcome !== "ready") {
      await this.stop();
      const lastError = recent.filter((l) => /ERROR|CRIT/.test(l)).pop() ?? recent.at(-1) ?? "";
      throw new CollectorError(
        "daemon-failed",
        `${this.daemon} did not start (${outcome}): ${lastError.replace(LOG_LINE, "$3") || "no output"}`,
        { retryable: true },
      );
    }
  }

  /** Resolves with the exit code (null when killed by a signal) when the process ends. */
  exited(): Promise<number | null> {
    return this.exitPromise ?? Promise.resolve(null);
  }

  /**
   * SIGINT to the core first: pmacct's graceful stop (docs/SIGNALS), which
   * has the plugins purge their caches to the database, so flows received
   * before stop() are written. pmacct 1.7.7's core ignores SIGTERM. After
   * graceMs, SIGKILL to the whole process group.
   */
  async stop(graceMs = 8000): Promise<void> {
    const child = this.child;
    if (child === null || child.pid === undefined) return;
    const pid = child.pid;
    const exited = this.exited();
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(pid, "SIGINT");
      } catch {
        // Already gone.
      }
      const done = await Promise.race([
        exited.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), graceMs).unref()),
      ]);
      if (!done) this.log.warn({ daemon: this.daemon, pid }, "daemon did not stop in time, killing it");
    }
    // The core can leave plugin or writer children behind (seen with a plugin
    // stuck in a database write); they share its process group.
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // Group already empty.
    }
    await exited;
    this.child = null;
  }

  private forward(line: string): void {
    const m = LOG_LINE.exec(line);
    if (m === null) {
      if (line.trim() !== "" && !line.includes("'--build=")) this.log.debug({ daemon: this.daemon }, line.trim());
      return;
    }
    const [, level, source, message = ""] = m;
    const fields = { daemon: this.daemon, source };
    const jump = parseSequenceJump(message);
    if (jump !== null) {
      this.events.onSequenceJump?.(jump);
      this.log.debug(fields, message);
      return;
    }
    const purge = PURGE_END.exec(message);
    if (purge !== null) {
      this.events.onRowsWritten?.(Number(purge[1]), Number(purge[2]));
      this.log.debug(fields, message);
      return;
    }
    if (message.includes("Purging cache") || message.includes("'--build=")) {
      this.log.debug(fields, message);
    } else if (message.includes("load_templates_from_file(): unable to fopen()")) {
      // First start: the template cache file does not exist yet.
      this.log.info(fields, "no saved templates yet");
    } else if (level === "ERROR" || level === "CRIT") {
      this.events.onWarning?.(message);
      this.log.error(fields, message);
    } else if (level === "WARN") {
      this.events.onWarning?.(message);
      this.log.warn(fields, message);
    } else if (level === "DEBUG") {
      this.log.debug(fields, message);
    } else {
      this.log.info(fields, message);
    }
  }
}
