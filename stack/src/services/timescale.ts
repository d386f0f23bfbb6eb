import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { connectWithRetry } from "@netflow/timescale";
import pg from "pg";
import type { Logger } from "pino";
import { type HotStoreTarget, superuserUrl } from "../config.ts";
import { StackError } from "../errors.ts";
import { assertTcpPortFree } from "../ports.ts";
import { DEFAULT_RESTART, SupervisedProcess } from "../process.ts";
import type { EndpointLine, Health, Service, ServiceContext } from "../service.ts";

export const EMBEDDED_PG_MAIN = "timescale/src/embedded/main.ts";

/** postgres://user:***@host:port/db, for tables and logs. */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<unparsable URL>";
  }
}

/** Runs `select 1`; returns undefined when it worked, else why not. */
export async function pgPing(url: string, timeoutMs = 3000): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  try {
    await client.connect();
    await client.query("select 1");
    return undefined;
  } catch (error) {
    return (error as Error).message || String((error as { code?: string }).code);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * The embedded TimescaleDB (PGlite + TimescaleDB behind the project's
 * Postgres-wire layer) as a supervised child process. The engine is one WASM
 * backend; a crash must not lose committed data, so it is respawned on the same
 * data directory with backoff.
 */
export class EmbeddedTimescale implements Service {
  readonly name = "timescaledb";
  readonly target: Extract<HotStoreTarget, { kind: "embedded" }>;
  readonly process: SupervisedProcess;

  constructor(target: Extract<HotStoreTarget, { kind: "embedded" }>, context: ServiceContext, log: Logger) {
    this.target = target;
    this.process = new SupervisedProcess(
      {
        name: this.name,
        command: process.execPath,
        args: ["--import", "tsx", EMBEDDED_PG_MAIN],
        cwd: context.repoRoot,
        env: {
          ...context.childEnv,
          EMBEDDED_PG_DATA_DIR: target.dataDir,
          EMBEDDED_PG_HOST: target.host,
          EMBEDDED_PG_PORT: String(target.port),
          EMBEDDED_PG_PASSWORD: target.password,
        },
        logFile: join(context.logDir, "timescaledb.log"),
        pidFile: join(context.pidDir, "timescaledb.pid"),
        readiness: { kind: "line", match: isListeningLine },
        // Opening a large data dir replays WAL inside WASM; give it time.
        readyTimeoutMs: 180_000,
        stopTimeoutMs: context.stopTimeoutMs,
        restart: DEFAULT_RESTART,
      },
      log,
    );
  }

  /** Superuser URL (migrations, psql). */
  get url(): string {
    return superuserUrl(this.target);
  }

  async preflight(): Promise<void> {
    await this.process.reapLeftover();
    await assertTcpPortFree(this.target.host, this.target.port, "EMBEDDED_PG_PORT");
  }

  async start(): Promise<void> {
    mkdirSync(this.target.dataDir, { recursive: true });
    await this.process.start();
  }

  stop(): Promise<void> {
    return this.process.stop();
  }

  endpoints(): EndpointLine[] {
    return [
      { service: this.name, label: "postgres (embedded)", value: maskUrl(this.url) },
      { service: this.name, label: "data", value: this.target.dataDir },
    ];
  }

  async check(): Promise<Health> {
    const error = await pgPing(this.url);
    return { service: this.name, ok: error === undefined, detail: error ?? `select 1 ok at ${maskUrl(this.url)}` };
  }
}

function isListeningLine(line: string): boolean {
  if (!line.startsWith("{")) return false;
  try {
    return (JSON.parse(line) as { msg?: unknown }).msg === "listening";
  } catch {
    return false;
  }
}

/** A TimescaleDB the user runs (PG_URL): checked at start, never managed. */
export class ExternalTimescale implements Service {
  readonly name = "timescaledb";
  readonly url: string;
  readonly #connectTimeoutMs: number;
  readonly #log: Logger;

  constructor(url: string, connectTimeoutMs: number, log: Logger) {
    this.url = url;
    this.#connectTimeoutMs = connectTimeoutMs;
    this.#log = log.child({ service: this.name });
  }

  async start(): Promise<void> {
    let client: pg.Client;
    try {
      client = await connectWithRetry(this.url, {
        timeoutMs: this.#connectTimeoutMs,
        log: (message, fields) => this.#log.info(fields ?? {}, message),
      });
    } catch (error) {
      throw new StackError("unreachable", `PG_URL: ${(error as Error).message}`, {
        variable: "PG_URL",
        retryable: true,
        cause: error,
      });
    }
    try {
      const { rows } = await client.query<{ available: boolean }>(
        "select exists (select 1 from pg_available_extensions where name = 'timescaledb') as available",
      );
      if (rows[0]?.available !== true) {
        throw new StackError(
          "config",
          `PG_URL: the server at ${maskUrl(this.url)} has no timescaledb extension available; point PG_URL at a TimescaleDB server or unset it to use the embedded one`,
          { variable: "PG_URL" },
        );
      }
    } finally {
      await client.end().catch(() => {});
    }
  }

  async stop(): Promise<void> {}

  endpoints(): EndpointLine[] {
    return [{ service: this.name, label: "postgres (external, PG_URL)", value: maskUrl(this.url) }];
  }

  async check(): Promise<Health> {
    const error = await pgPing(this.url);
    return { service: this.name, ok: error === undefined, detail: error ?? `select 1 ok at ${maskUrl(this.url)}` };
  }
}
