import { HotStoreError } from "./errors.ts";

/** Settings of the hot tier that the migrator applies on every run. */
export interface HotStoreConfig {
  /** Chunk time interval of `flows`. Default `1 day`. Env HOT_CHUNK_INTERVAL. */
  chunkInterval: string;
  /** Compress chunks older than this. Default `2 days`. Env HOT_COMPRESS_AFTER. */
  compressAfter: string;
  /** Passwords that give the service roles LOGIN; a role without one stays NOLOGIN.
   * Env NETFLOW_COLLECTOR_PASSWORD, NETFLOW_READER_PASSWORD, NETFLOW_ARCHIVER_PASSWORD. */
  rolePasswords: Partial<Record<ServiceRole, string>>;
  /** Clock-skew guard window of the ingest path (see migration 0003); `off` disables the guard.
   * Unset leaves the stored value alone (default `1 hour` from the migration). Env INGEST_MAX_CLOCK_SKEW. */
  ingestMaxClockSkew?: string;
  /** How long to keep retrying an unreachable database at start. Default 60 s. Env PG_CONNECT_TIMEOUT_S. */
  connectTimeoutMs: number;
}

export const SERVICE_ROLES = ["netflow_collector", "netflow_reader", "netflow_archiver"] as const;
export type ServiceRole = (typeof SERVICE_ROLES)[number];

const INTERVAL = /^\d+\s*(second|minute|hour|day|week|month|year)s?$/i;

export function hotStoreConfigFromEnv(env: NodeJS.ProcessEnv = process.env): HotStoreConfig {
  const config: HotStoreConfig = {
    chunkInterval: env.HOT_CHUNK_INTERVAL ?? "1 day",
    compressAfter: env.HOT_COMPRESS_AFTER ?? "2 days",
    rolePasswords: {},
    connectTimeoutMs: Number(env.PG_CONNECT_TIMEOUT_S ?? "60") * 1000,
  };
  if (env.INGEST_MAX_CLOCK_SKEW !== undefined && env.INGEST_MAX_CLOCK_SKEW !== "") {
    config.ingestMaxClockSkew = env.INGEST_MAX_CLOCK_SKEW;
  }
  for (const role of SERVICE_ROLES) {
    const password = env[`${role.replace("netflow_", "NETFLOW_").toUpperCase()}_PASSWORD`];
    if (password !== undefined && password !== "") config.rolePasswords[role] = password;
  }
  validateHotStoreConfig(config);
  return config;
}

export function validateHotStoreConfig(config: HotStoreConfig): void {
  for (const [name, value] of [
    ["HOT_CHUNK_INTERVAL", config.chunkInterval],
    ["HOT_COMPRESS_AFTER", config.compressAfter],
  ] as const) {
    if (!INTERVAL.test(value.trim())) {
      throw new HotStoreError("bad-config", `${name}="${value}" is not an interval like "1 day" or "12 hours"`);
    }
  }
  const skew = config.ingestMaxClockSkew;
  if (skew !== undefined && skew !== "off" && !INTERVAL.test(skew.trim())) {
    throw new HotStoreError(
      "bad-config",
      `INGEST_MAX_CLOCK_SKEW="${skew}" is not an interval like "1 hour" (or "off")`,
    );
  }
  if (!Number.isFinite(config.connectTimeoutMs) || config.connectTimeoutMs < 0) {
    throw new HotStoreError("bad-config", "PG_CONNECT_TIMEOUT_S must be a non-negative number of seconds");
  }
}
