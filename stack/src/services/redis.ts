import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import type { RedisTarget } from "../config.ts";
import { StackError } from "../errors.ts";
import { assertTcpPortFree } from "../ports.ts";
import { DEFAULT_RESTART, SupervisedProcess } from "../process.ts";
import type { EndpointLine, Health, Service, ServiceContext } from "../service.ts";
import { maskUrl } from "./timescale.ts";

/** Sends PING; returns undefined on PONG, else why not. One attempt, no reconnects. */
export async function redisPing(url: string, timeoutMs = 3000): Promise<string | undefined> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
  });
  // A refused AUTH surfaces only as an "error" event (WRONGPASS …); the
  // awaited calls then just see a closed connection, so prefer the event's reason.
  let reason: string | undefined;
  client.on("error", (error: Error) => {
    reason ??= error.message;
  });
  try {
    await client.connect();
    const reply = await client.ping();
    return reply === "PONG" ? undefined : `unexpected reply ${reply}`;
  } catch (error) {
    return reason ?? (error as Error).message;
  } finally {
    client.disconnect();
  }
}

/**
 * redis.conf for the local server. The password lives in a 0600 file, not on
 * the command line where `ps` would show it. BullMQ needs the append-only
 * file (jobs survive a restart) and `noeviction` (it refuses evicting policies).
 */
export function redisConf(target: Extract<RedisTarget, { kind: "local" }>): string {
  return [
    `bind ${target.host}`,
    `port ${target.port}`,
    "protected-mode yes",
    `dir ${target.dataDir}`,
    "appendonly yes",
    "appendfsync everysec",
    "maxmemory-policy noeviction",
    `requirepass ${target.password}`,
    "daemonize no",
    'logfile ""',
    "",
  ].join("\n");
}

/** Debian's redis-server as a supervised child. */
export class LocalRedis implements Service {
  readonly name = "redis";
  readonly target: Extract<RedisTarget, { kind: "local" }>;
  readonly process: SupervisedProcess;
  readonly #confFile: string;

  constructor(target: Extract<RedisTarget, { kind: "local" }>, binary: string, context: ServiceContext, log: Logger) {
    this.target = target;
    this.#confFile = join(target.dataDir, "redis.conf");
    this.process = new SupervisedProcess(
      {
        name: this.name,
        command: binary,
        args: [this.#confFile],
        cwd: target.dataDir,
        env: context.childEnv,
        logFile: join(context.logDir, "redis.log"),
        pidFile: join(context.pidDir, "redis.pid"),
        readiness: {
          kind: "probe",
          probe: async () => (await redisPing(this.url, 1000)) === undefined,
          intervalMs: 100,
        },
        readyTimeoutMs: 60_000,
        stopTimeoutMs: context.stopTimeoutMs,
        restart: DEFAULT_RESTART,
      },
      log,
    );
  }

  get url(): string {
    return `redis://:${encodeURIComponent(this.target.password)}@${this.target.host}:${this.target.port}`;
  }

  async preflight(): Promise<void> {
    await this.process.reapLeftover();
    await assertTcpPortFree(this.target.host, this.target.port, "REDIS_PORT");
  }

  async start(): Promise<void> {
    mkdirSync(this.target.dataDir, { recursive: true });
    writeFileSync(this.#confFile, redisConf(this.target), { mode: 0o600 });
    chmodSync(this.#confFile, 0o600);
    await this.process.start();
  }

  stop(): Promise<void> {
    return this.process.stop();
  }

  endpoints(): EndpointLine[] {
    return [
      { service: this.name, label: "redis (local)", value: maskUrl(this.url) },
      { service: this.name, label: "data", value: this.target.dataDir },
    ];
  }

  async check(): Promise<Health> {
    const error = await redisPing(this.url);
    return { service: this.name, ok: error === undefined, detail: error ?? `PONG from ${maskUrl(this.url)}` };
  }
}

/** A Redis the user runs (REDIS_URL): checked at start, never managed. */
export class ExternalRedis implements Service {
  readonly name = "redis";
  readonly url: string;

  constructor(url: string) {
    this.url = url;
  }

  async start(): Promise<void> {
    const error = await redisPing(this.url, 5000);
    if (error !== undefined) {
      throw new StackError("unreachable", `REDIS_URL: no PONG from ${maskUrl(this.url)}: ${error}`, {
        variable: "REDIS_URL",
        retryable: true,
      });
    }
  }

  async stop(): Promise<void> {}

  endpoints(): EndpointLine[] {
    return [{ service: this.name, label: "redis (external, REDIS_URL)", value: maskUrl(this.url) }];
  }

  async check(): Promise<Health> {
    const error = await redisPing(this.url);
    return { service: this.name, ok: error === undefined, detail: error ?? `PONG from ${maskUrl(this.url)}` };
  }
}
