import { type ChildProcess, spawn } from "node:child_process";
import {
  createWriteStream,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  type WriteStream,
  writeFileSync,
} from "node:fs";
import { basename, dirname } from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "pino";
import { StackError } from "./errors.ts";

/** How the supervisor knows a freshly spawned process is ready to serve. */
export type Readiness =
  /** A line on stdout says so (the embedded TimescaleDB prints `{"msg":"listening"}`). */
  | { kind: "line"; match: (line: string) => boolean }
  /** A probe succeeds (a PING, an HTTP answer on the S3 port), polled every `intervalMs`. */
  | { kind: "probe"; probe: () => Promise<boolean>; intervalMs: number };

export interface RestartPolicy {
  /** First delay before respawning a process that died on its own. */
  initialDelayMs: number;
  /** The delay doubles per consecutive failure up to this. */
  maxDelayMs: number;
  /** A process up this long counts as healthy again: the next crash starts at the first delay. */
  stableAfterMs: number;
}

export const DEFAULT_RESTART: RestartPolicy = { initialDelayMs: 500, maxDelayMs: 30_000, stableAfterMs: 60_000 };

export interface ProcessSpec {
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr of every incarnation are appended here. */
  logFile: string;
  readiness: Readiness;
  readyTimeoutMs: number;
  /** Time between SIGTERM and SIGKILL on stop. */
  stopTimeoutMs: number;
  /** Respawn after an exit nobody asked for; false to let it stay down. */
  restart: RestartPolicy | false;
  /**
   * Holds the current PID, so a run after a launcher killed with SIGKILL (which
   * leaves its detached children running) can stop the leftover first.
   */
  pidFile?: string;
}

/** Children alive right now, so an abnormal launcher exit still signals them. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Children run in their own process group (so a terminal Ctrl-C reaches only
  // the launcher, which then stops them in order); if the launcher dies on an
  // exception instead, this keeps them from outliving it.
  process.on("exit", () => {
    for (const child of live) child.kill("SIGTERM");
  });
}

const TAIL_LINES = 200;

/** A fatal line of glog (Go: `F1127 …`), a Go panic, or a generic fatal message: the cause worth showing first. */
const FATAL_LINE = /^(F\d{4} |panic: |fatal|error)/i;

/**
 * One child process under supervision: spawned, awaited until ready, respawned
 * with exponential backoff when it exits on its own (a crash, an OOM kill, a
 * SIGKILL), and stopped with SIGTERM, then SIGKILL after a timeout.
 */
export class SupervisedProcess {
  readonly spec: ProcessSpec;
  readonly #log: Logger;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #stopping = false;
  #stopSignal = new AbortController();
  #restarts = 0;
  #failures = 0;
  #restartLoop: Promise<void> | undefined;
  #logStream: WriteStream | undefined;
  #tail: string[] = [];
  #restartListeners: (() => void)[] = [];

  constructor(spec: ProcessSpec, log: Logger) {
    this.spec = spec;
    this.#log = log.child({ service: spec.name });
  }

  /** PID of the current incarnation, if one is running. */
  get pid(): number | undefined {
    return this.#child?.exitCode === null && this.#child.signalCode === null ? this.#child.pid : undefined;
  }

  /** How many times the process was respawned after exiting on its own. */
  get restarts(): number {
    return this.#restarts;
  }

  /** The last lines the process wrote, for error messages. */
  get tail(): readonly string[] {
    return this.#tail;
  }

  /**
   * Stops a process a previous launcher left running (it died with SIGKILL and
   * could not stop its children), found by the PID file and checked to still be
   * the same program. Call before checking ports: the leftover holds them.
   */
  async reapLeftover(): Promise<void> {
    const { pidFile } = this.spec;
    if (pidFile === undefined) return;
    let pid: number;
    try {
      pid = Number(readFileSync(pidFile, "utf8").trim());
    } catch {
      return;
    }
    if (Number.isInteger(pid) && pid > 0 && runs(pid, this.spec.command)) {
      this.#log.warn({ pid }, "stopping a process left running by a previous launcher");
      process.kill(pid, "SIGTERM");
      const deadline = Date.now() + this.spec.stopTimeoutMs;
      while (runs(pid, this.spec.command) && Date.now() < deadline) await sleep(100);
      if (runs(pid, this.spec.command)) process.kill(pid, "SIGKILL");
      // An exiting process loses its command line before it closes its files
      // (a multi-threaded one can hold its sockets a while longer): wait for the
      // files too, or the port checks that follow would see them in use.
      const filesDeadline = Date.now() + 5000;
      while (holdsFiles(pid) && Date.now() < filesDeadline) await sleep(50);
    }
    rmSync(pidFile, { force: true });
  }

  async start(): Promise<void> {
    this.#stopping = false;
    this.#stopSignal = new AbortController();
    mkdirSync(dirname(this.spec.logFile), { recursive: true });
    this.#logStream ??= createWriteStream(this.spec.logFile, { flags: "a" });
    installExitHook();
    await this.#spawnUntilReady();
  }

  /** Resolves after the next successful respawn (tests use it after killing the process). */
  nextRestart(): Promise<void> {
    return new Promise((resolve) => this.#restartListeners.push(resolve));
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#stopSignal.abort();
    const child = this.#child;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      // The timer is cancelled once decided, so it does not hold the event loop open.
      const timer = new AbortController();
      const exited = await Promise.race([
        this.#exited.then(() => true),
        sleep(this.spec.stopTimeoutMs, undefined, { signal: timer.signal }).then(
          () => false,
          () => true,
        ),
      ]);
      timer.abort();
      if (!exited) {
        this.#log.warn({ timeoutMs: this.spec.stopTimeoutMs }, "process did not stop after sigterm, killing it");
        child.kill("SIGKILL");
        await this.#exited;
      }
    }
    await this.#restartLoop;
    if (this.spec.pidFile !== undefined) rmSync(this.spec.pidFile, { force: true });
    await new Promise<void>((resolve) => {
      if (this.#logStream === undefined) resolve();
      else this.#logStream.end(() => resolve());
    });
    this.#logStream = undefined;
  }

  async #spawnUntilReady(): Promise<void> {
    const { spec } = this;
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    this.#child = child;
    live.add(child);
    if (spec.pidFile !== undefined && child.pid !== undefined) {
      mkdirSync(dirname(spec.pidFile), { recursive: true });
      writeFileSync(spec.pidFile, `${child.pid}\n`);
    }
    let onExit: (info: { code: number | null; signal: NodeJS.Signals | null }) => void = () => {};
    const exitInfo = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      onExit = resolve;
    });
    this.#exited = exitInfo.then(() => {});
    let spawnError: Error | undefined;
    child.once("error", (error) => {
      spawnError = error;
      onExit({ code: null, signal: null });
    });
    child.once("exit", (code, signal) => {
      live.delete(child);
      onExit({ code, signal });
    });

    let lineReady: () => void = () => {};
    const readyByLine = new Promise<void>((resolve) => {
      lineReady = resolve;
    });
    const drained: Promise<void>[] = [];
    const lines = (stream: NodeJS.ReadableStream, isStdout: boolean): void => {
      const reader = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
      drained.push(new Promise((resolve) => reader.once("close", resolve)));
      reader.on("line", (line) => {
        this.#logStream?.write(`${line}\n`);
        this.#tail.push(line);
        if (this.#tail.length > TAIL_LINES) this.#tail.shift();
        if (isStdout && spec.readiness.kind === "line" && spec.readiness.match(line)) lineReady();
      });
    };
    if (child.stdout) lines(child.stdout, true);
    if (child.stderr) lines(child.stderr, false);

    const abort = new AbortController();
    const ready =
      spec.readiness.kind === "line"
        ? readyByLine
        : pollProbe(spec.readiness.probe, spec.readiness.intervalMs, abort.signal);
    const outcome = await Promise.race([
      ready.then(() => ({ kind: "ready" as const })),
      exitInfo.then((info) => ({ kind: "exited" as const, ...info })),
      sleep(spec.readyTimeoutMs, undefined, { signal: abort.signal })
        .then(() => ({ kind: "timeout" as const }))
        .catch(() => ({ kind: "aborted" as const })),
    ]);
    abort.abort();

    if (outcome.kind === "ready") {
      this.#log.info({ pid: child.pid }, "process ready");
      const startedAt = Date.now();
      void exitInfo.then((info) => this.#onExitAfterReady(info, startedAt));
      return;
    }
    if (outcome.kind !== "exited") {
      child.kill("SIGKILL");
      await this.#exited;
    }
    // The exit can be seen before the pipes are read to the end: wait for what
    // the process wrote last (usually the reason it died), a bounded while.
    const drainTimer = new AbortController();
    await Promise.race([Promise.all(drained), sleep(2000, undefined, { signal: drainTimer.signal }).catch(() => {})]);
    drainTimer.abort();
    const how =
      spawnError !== undefined
        ? `could not be spawned (${spawnError.message})`
        : outcome.kind === "exited"
          ? `exited during startup (${outcome.signal ?? `code ${outcome.code}`})`
          : `was not ready after ${spec.readyTimeoutMs} ms`;
    const fatal = this.#tail.find((line) => FATAL_LINE.test(line));
    const last = this.#tail.slice(-8);
    const tail = (fatal !== undefined && !last.includes(fatal) ? [fatal, "…", ...last] : last).join("\n  ");
    throw new StackError(
      "start-failed",
      `${spec.name} ${how}; full log in ${spec.logFile}${tail ? `; last lines:\n  ${tail}` : ""}`,
      { retryable: true, cause: spawnError },
    );
  }

  #onExitAfterReady(info: { code: number | null; signal: NodeJS.Signals | null }, startedAt: number): void {
    if (this.#stopping) return;
    if (this.spec.restart === false) {
      this.#log.error({ code: info.code, signal: info.signal }, "process exited unexpectedly; not restarting");
      return;
    }
    if (Date.now() - startedAt >= this.spec.restart.stableAfterMs) this.#failures = 0;
    this.#log.warn(
      { code: info.code, signal: info.signal, lastLines: this.#tail.slice(-5), log: this.spec.logFile },
      "process exited unexpectedly; restarting",
    );
    this.#restartLoop = this.#respawn(this.spec.restart);
  }

  async #respawn(policy: RestartPolicy): Promise<void> {
    while (!this.#stopping) {
      const delay = Math.min(policy.initialDelayMs * 2 ** this.#failures, policy.maxDelayMs);
      this.#failures += 1;
      this.#log.info({ delayMs: delay, attempt: this.#failures }, "restart scheduled");
      await sleep(delay, undefined, { signal: this.#stopSignal.signal }).catch(() => {});
      if (this.#stopping) return;
      try {
        await this.#spawnUntilReady();
        this.#restarts += 1;
        this.#log.info({ restarts: this.#restarts }, "process restarted");
        for (const listener of this.#restartListeners.splice(0)) listener();
        return;
      } catch (error) {
        if (!this.#stopping) this.#log.error({ err: error }, "restart failed");
      }
    }
  }
}

/**
 * Whether `pid` is alive and runs `command`. The program is matched by the
 * name of the first word of its command line, since some daemons rewrite the
 * rest (redis-server shows its address there).
 */
function runs(pid: number, command: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    const program = cmdline.split(/[\0 ]/)[0] ?? "";
    return basename(program) === basename(command);
  } catch {
    return false;
  }
}

function holdsFiles(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).length > 0;
  } catch {
    return false;
  }
}

async function pollProbe(probe: () => Promise<boolean>, intervalMs: number, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    if (await probe().catch(() => false)) return;
    await sleep(intervalMs, undefined, { signal }).catch(() => {});
  }
  // Aborted: the race is decided elsewhere; never resolve as ready.
  await new Promise(() => {});
}
