import { isIP } from "node:net";
import { join } from "node:path";
import { type CollectorConfig, CollectorError, collectorConfigFromEnv } from "@netflow/pmacct";
import { type HotStoreConfig, HotStoreError, hotStoreConfigFromEnv } from "@netflow/timescale";
import type { Env } from "./env.ts";
import { configError, integer, nonEmpty, oneOf, pathFrom, port, url } from "./env-values.ts";
import { StackError } from "./errors.ts";
import { type ObjectStoreTarget, objectStoreFromEnv } from "./object-store-config.ts";
import type { SecretSource } from "./secrets.ts";

export {
  type ObjectStoreTarget,
  type S3Credentials,
  SEAWEEDFS_COMPONENTS,
  SEAWEEDFS_DEFAULT_PORTS,
  type SeaweedComponent,
  type SeaweedPorts,
} from "./object-store-config.ts";

/** The hot store: an external TimescaleDB by URL, or the embedded server the launcher runs. */
export type HotStoreTarget =
  | { kind: "external"; url: string }
  | {
      kind: "embedded";
      /** Env EMBEDDED_PG_DATA_DIR. Default `<data dir>/timescale`. */
      dataDir: string;
      /** Always 127.0.0.1: the embedded server is a local development default. */
      host: string;
      /** Env EMBEDDED_PG_PORT. Default 5433 (5432 stays free for a system Postgres). */
      port: number;
      /** Password of the superuser `postgres`. Env EMBEDDED_PG_PASSWORD, else generated. */
      password: string;
    };

/** Login passwords of the service roles created by the migrations. Env NETFLOW_*_PASSWORD, else generated. */
export interface RolePasswords {
  collector: string;
  reader: string;
  archiver: string;
}

export type RedisTarget =
  | { kind: "external"; url: string }
  | {
      kind: "local";
      /** `<data dir>/redis`: append-only file and snapshots (BullMQ needs persistence). */
      dataDir: string;
      host: string;
      /** Env REDIS_PORT. Default 6380 (6379 stays free for a system Redis). */
      port: number;
      /** Env REDIS_PASSWORD, else generated. */
      password: string;
    };

/**
 * The archiver worker (`archiver/src/cli.ts worker`). Its other settings
 * (ARCHIVE_*, MAINTAIN_EVERY_S, SNAPSHOT_*, COMPACT_*, ...) reach it through
 * the environment unchanged; see archiver/src/config.ts.
 */
export interface ArchiverTarget {
  /** Its GET /metrics on 127.0.0.1, also the readiness probe. Env ARCHIVER_METRICS_PORT. Default 9465. */
  metricsPort: number;
  /** Archive chunks whose range ended longer ago than this. Env ARCHIVE_AFTER. Default `7 days`. */
  archiveAfter: string;
  /** Delete cold partitions older than this (`90 days`, `5 years`). Env COLD_RETENTION. Default: keep forever. */
  coldRetention: string | undefined;
}

/** The query gateway (`query-gateway/src/main.ts`). Its other GATEWAY_* settings reach it unchanged. */
export interface GatewayTarget {
  /** Address of the HTTP API and of the Postgres wire server. Env GATEWAY_HTTP_HOST. Default 127.0.0.1. */
  host: string;
  /** Env GATEWAY_HTTP_PORT. Default 8080. */
  port: number;
  /** Accepted bearer tokens. Env GATEWAY_TOKENS (comma-separated), else one generated. */
  tokens: string[];
  /** Whether the tokens came from the environment (else from the secrets file). */
  tokensFromEnv: boolean;
  /** Local copies of cold data files and DuckDB spill. Env GATEWAY_CACHE_DIR. Default `<data dir>/gateway-cache`. */
  cacheDir: string;
  /** Its Postgres wire server (psql, Grafana), on the same address as the HTTP API. */
  pgWire: {
    /** Env GATEWAY_PG_PORT. Default 5434. */
    port: number;
    /** The one login it accepts. Env GATEWAY_PG_USER. Default `netflow`. */
    user: string;
    /** Env GATEWAY_PG_PASSWORD, else generated. */
    password: string;
    /** Whether the password came from the environment (else from the secrets file). */
    passwordFromEnv: boolean;
  };
}

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface StackConfig {
  repoRoot: string;
  /** Env NETFLOW_DATA_DIR. Default `<repo>/.data`: secrets, lock file, logs and every local service's data. */
  dataDir: string;
  /** Env LOG_LEVEL. Default `info`. */
  logLevel: LogLevel;
  /** How long a service gets to exit after SIGTERM before SIGKILL. Env STACK_STOP_TIMEOUT_S. Default 20 s. */
  stopTimeoutMs: number;
  hotStore: HotStoreTarget;
  rolePasswords: RolePasswords;
  /** What the migrator applies on every run (chunk interval, compression age, role passwords); see @netflow/timescale. */
  hotStoreSettings: HotStoreConfig;
  redis: RedisTarget;
  objectStore: ObjectStoreTarget;
  /**
   * The flow collector's settings (@netflow/pmacct: NETFLOW_PORT, SFLOW_PORT, COLLECTOR_*), pointed at the
   * hot store as `netflow_collector`; undefined with COLLECTOR=off. State in `<data dir>/pmacct` by default.
   */
  collector: CollectorConfig | undefined;
  /** Port of GET /metrics on 127.0.0.1 (Prometheus). Env STACK_METRICS_PORT, `off` for none. Default 9464. */
  metricsPort: number | undefined;
  /** The archiver worker; undefined with ARCHIVER=off. */
  archiver: ArchiverTarget | undefined;
  /** The query gateway; undefined with GATEWAY=off. */
  gateway: GatewayTarget | undefined;
}

/** URL of the hot store's superuser (or PG_URL's user): migrations and psql. */
export function superuserUrl(hotStore: HotStoreTarget): string {
  if (hotStore.kind === "external") return hotStore.url;
  return `postgres://postgres:${encodeURIComponent(hotStore.password)}@${hotStore.host}:${hotStore.port}/postgres`;
}

/** Values copied from `.env_example` that must be replaced, never used as passwords. */
const PLACEHOLDERS = new Set(["change-me", "changeme"]);

/** Env NETFLOW_DATA_DIR resolved against the repository root. Default `<repo>/.data`. */
export function dataDirFromEnv(env: Env, repoRoot: string): string {
  return pathFrom(env, "NETFLOW_DATA_DIR", repoRoot) ?? join(repoRoot, ".data");
}

/**
 * Builds and validates the launcher configuration. Every value has an
 * embedded default; a service is external when its URL is set. Errors name the
 * variable to fix. Secrets come from `secrets` (environment first, else
 * generated once and persisted).
 */
export function stackConfigFromEnv(env: Env, options: { repoRoot: string; secrets: SecretSource }): StackConfig {
  const { repoRoot, secrets } = options;
  const dataDir = dataDirFromEnv(env, repoRoot);
  const secret = (name: string): string => {
    const value = secrets.get(name);
    if (PLACEHOLDERS.has(value.trim().toLowerCase())) {
      throw configError(
        name,
        `is still the placeholder "${value}"; set a real value or remove it to have one generated`,
      );
    }
    return value;
  };

  const logLevel = oneOf(env, "LOG_LEVEL", LOG_LEVELS, "info");
  const stopTimeoutMs = integer(env, "STACK_STOP_TIMEOUT_S", 20, 1, 3600) * 1000;

  const pgUrl = url(env, "PG_URL", ["postgres:", "postgresql:"]);
  const hotStore: HotStoreTarget =
    pgUrl !== undefined
      ? { kind: "external", url: pgUrl }
      : {
          kind: "embedded",
          dataDir: pathFrom(env, "EMBEDDED_PG_DATA_DIR", repoRoot) ?? join(dataDir, "timescale"),
          host: "127.0.0.1",
          port: port(env, "EMBEDDED_PG_PORT", 5433),
          password: secret("EMBEDDED_PG_PASSWORD"),
        };

  const rolePasswords: RolePasswords = {
    // POSTGRES_PMACCT_PW is the compose stack's name for it (.env_example), so one .env serves both.
    collector:
      nonEmpty(env, "NETFLOW_COLLECTOR_PASSWORD") === undefined && nonEmpty(env, "POSTGRES_PMACCT_PW") !== undefined
        ? secret("POSTGRES_PMACCT_PW")
        : secret("NETFLOW_COLLECTOR_PASSWORD"),
    reader: secret("NETFLOW_READER_PASSWORD"),
    archiver: secret("NETFLOW_ARCHIVER_PASSWORD"),
  };

  let hotStoreSettings: HotStoreConfig;
  try {
    hotStoreSettings = hotStoreConfigFromEnv({
      ...env,
      NETFLOW_COLLECTOR_PASSWORD: rolePasswords.collector,
      NETFLOW_READER_PASSWORD: rolePasswords.reader,
      NETFLOW_ARCHIVER_PASSWORD: rolePasswords.archiver,
    });
  } catch (error) {
    if (!(error instanceof HotStoreError)) throw error;
    const variable = /^([A-Z_]+)/.exec(error.message)?.[1];
    throw new StackError("config", error.message, { variable, cause: error });
  }

  const redisUrl = url(env, "REDIS_URL", ["redis:", "rediss:"]);
  const redis: RedisTarget =
    redisUrl !== undefined
      ? { kind: "external", url: redisUrl }
      : {
          kind: "local",
          dataDir: join(dataDir, "redis"),
          host: "127.0.0.1",
          port: port(env, "REDIS_PORT", 6380),
          password: secret("REDIS_PASSWORD"),
        };

  const metricsPort = nonEmpty(env, "STACK_METRICS_PORT") === "off" ? undefined : port(env, "STACK_METRICS_PORT", 9464);
  const collectorOn = oneOf(env, "COLLECTOR", ["on", "off"], "on") === "on";
  let collector: CollectorConfig | undefined;
  if (collectorOn) {
    try {
      collector = collectorConfigFromEnv({
        ...env,
        PG_URL: superuserUrl(hotStore),
        NETFLOW_COLLECTOR_PASSWORD: rolePasswords.collector,
        COLLECTOR_STATE_DIR: pathFrom(env, "COLLECTOR_STATE_DIR", repoRoot) ?? join(dataDir, "pmacct"),
      });
    } catch (error) {
      if (!(error instanceof CollectorError)) throw error;
      // Its messages read "collector option NAME …"; NAME is a variable when upper-case.
      const variable = /^collector option ([A-Z][A-Z0-9_]+)\b/.exec(error.message)?.[1];
      throw new StackError("config", error.message, { variable, cause: error });
    }
  }

  return {
    repoRoot,
    dataDir,
    logLevel,
    stopTimeoutMs,
    hotStore,
    rolePasswords,
    hotStoreSettings,
    redis,
    objectStore: objectStoreFromEnv(env, repoRoot, dataDir, secret),
    collector,
    metricsPort,
    archiver: archiverFromEnv(env),
    gateway: gatewayFromEnv(env, repoRoot, dataDir, secret),
  };
}

/** What the archiver accepts for ARCHIVE_AFTER (archiver/src/config.ts), checked here so a typo fails before any start. */
const INTERVAL = /^\d+\s*(second|minute|hour|day|week|month|year)s?$/i;
/** What it accepts for COLD_RETENTION (archiver/src/maintenance/config.ts). */
const RETENTION = /^\d+\s*(day|week|month|year)s?$/i;

function archiverFromEnv(env: Env): ArchiverTarget | undefined {
  if (oneOf(env, "ARCHIVER", ["on", "off"], "on") === "off") return undefined;
  const archiveAfter = nonEmpty(env, "ARCHIVE_AFTER") ?? "7 days";
  if (!INTERVAL.test(archiveAfter))
    throw configError("ARCHIVE_AFTER", `"${archiveAfter}" is not an interval like "7 days"`);
  const retention = nonEmpty(env, "COLD_RETENTION");
  const coldRetention = retention === undefined || retention.toLowerCase() === "off" ? undefined : retention;
  if (coldRetention !== undefined && !RETENTION.test(coldRetention)) {
    throw configError("COLD_RETENTION", `"${coldRetention}" is not like "90 days" or "5 years" (or off)`);
  }
  return { metricsPort: port(env, "ARCHIVER_METRICS_PORT", 9465), archiveAfter, coldRetention };
}

function gatewayFromEnv(
  env: Env,
  repoRoot: string,
  dataDir: string,
  secret: (name: string) => string,
): GatewayTarget | undefined {
  if (oneOf(env, "GATEWAY", ["on", "off"], "on") === "off") return undefined;
  for (const name of ["GATEWAY_TLS_CERT", "GATEWAY_TLS_KEY"]) {
    // The launcher probes and prints plain http:// URLs; TLS is for the compose stack.
    if (nonEmpty(env, name) !== undefined) {
      throw configError(
        name,
        "is not supported by the local launcher (it serves the gateway over plain HTTP); unset it",
      );
    }
  }
  const host = nonEmpty(env, "GATEWAY_HTTP_HOST") ?? "127.0.0.1";
  if (isIP(host) === 0) throw configError("GATEWAY_HTTP_HOST", `"${host}" is not an IP address`);
  const tokens = secret("GATEWAY_TOKENS")
    .split(",")
    .map((token) => token.trim())
    .filter((token) => token !== "");
  if (tokens.length === 0) throw configError("GATEWAY_TOKENS", "has no token (comma-separated list)");
  return {
    host,
    port: port(env, "GATEWAY_HTTP_PORT", 8080),
    tokens,
    tokensFromEnv: nonEmpty(env, "GATEWAY_TOKENS") !== undefined,
    cacheDir: pathFrom(env, "GATEWAY_CACHE_DIR", repoRoot) ?? join(dataDir, "gateway-cache"),
    pgWire: {
      port: port(env, "GATEWAY_PG_PORT", 5434),
      user: nonEmpty(env, "GATEWAY_PG_USER") ?? "netflow",
      password: secret("GATEWAY_PG_PASSWORD"),
      passwordFromEnv: nonEmpty(env, "GATEWAY_PG_PASSWORD") !== undefined,
    },
  };
}
