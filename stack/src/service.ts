/** One row of the "where everything listens" table. Secrets are masked. */
export interface EndpointLine {
  service: string;
  label: string;
  value: string;
}

/** The answer of `status` for one service. */
export interface Health {
  service: string;
  ok: boolean;
  detail: string;
}

/**
 * A part of the local stack: a process the launcher runs, an external service
 * it checks, or a one-shot step (migrations). Constructors do no I/O; the
 * supervisor calls start() in stack order and stop() in reverse.
 */
export interface Service {
  readonly name: string;
  /**
   * Checks that need nothing running (free ports, usable folders). The
   * supervisor runs every service's preflight before starting any, so bad
   * configuration fails before a process is spawned.
   */
  preflight?(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  endpoints(): EndpointLine[];
  /** Whether the service answers right now (used by `status`, which may run in another process). */
  check(): Promise<Health>;
}

/** What every service the launcher builds gets from it. */
export interface ServiceContext {
  repoRoot: string;
  /** Children's stdout/stderr go to `<logDir>/<service>.log`. */
  logDir: string;
  /** Children's PID files, `<pidDir>/<service>.pid` (see SupervisedProcess.reapLeftover). */
  pidDir: string;
  stopTimeoutMs: number;
  /** Environment handed to child processes (they get their own settings on top). */
  childEnv: NodeJS.ProcessEnv;
}
