import { EmbeddedError } from "./errors.ts";

/** Configuration of the embedded TimescaleDB server. */
export interface EmbeddedConfig {
  /** Data directory of the engine (env EMBEDDED_PG_DATA_DIR). Default `.data/timescale`. */
  dataDir: string;
  /** Listen address (env EMBEDDED_PG_HOST). Default `127.0.0.1`. */
  host: string;
  /** Listen port, 0 for any free port (env EMBEDDED_PG_PORT). Default 5433, to leave 5432 to a system Postgres. */
  port: number;
  /** Password of the superuser `postgres`, set at every start (env EMBEDDED_PG_PASSWORD). Required. */
  password: string;
  /**
   * A connection idle inside a transaction longer than this is rolled back and terminated
   * with SQLSTATE 25P03, because it blocks every other client (env EMBEDDED_PG_IDLE_TX_TIMEOUT_MS).
   * Default 30000.
   */
  idleInTransactionTimeoutMs: number;
  /** Maximum concurrent client connections (env EMBEDDED_PG_MAX_CONNECTIONS). Default 100. */
  maxConnections: number;
  /**
   * Flush the WAL to disk before answering each commit, so committed data survives power
   * loss, not only a crash of the process (env EMBEDDED_PG_SYNC_COMMIT, "on"/"off"). Default on.
   */
  syncCommit: boolean;
  /**
   * Interval of the layer's CHECKPOINT, 0 to disable (env EMBEDDED_PG_CHECKPOINT_INTERVAL_MS).
   * The single-process engine has no checkpointer: without this, WAL (and the replay time
   * after a crash) grows until max_wal_size. Default 300000 (5 minutes).
   */
  checkpointIntervalMs: number;
  /** Maximum bytes of one COPY FROM STDIN, buffered in memory (env EMBEDDED_PG_COPY_MAX_BYTES). Default 256 MiB. */
  copyMaxBytes: number;
}

export const DEFAULT_EMBEDDED_CONFIG: Omit<EmbeddedConfig, "password"> = {
  dataDir: ".data/timescale",
  host: "127.0.0.1",
  port: 5433,
  idleInTransactionTimeoutMs: 30_000,
  maxConnections: 100,
  copyMaxBytes: 256 * 1024 * 1024,
  syncCommit: true,
  checkpointIntervalMs: 300_000,
};

function flag(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === "") return fallback;
  if (/^(on|true|1|yes)$/i.test(raw)) return true;
  if (/^(off|false|0|no)$/i.test(raw)) return false;
  throw new EmbeddedError("config", `${name} must be on or off, got ${JSON.stringify(raw)}`);
}

function integer(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new EmbeddedError("config", `${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function validateEmbeddedConfig(config: EmbeddedConfig): EmbeddedConfig {
  if (!config.password) {
    throw new EmbeddedError(
      "config",
      "EMBEDDED_PG_PASSWORD is required: it becomes the password of the superuser 'postgres'",
    );
  }
  if (!config.dataDir) throw new EmbeddedError("config", "the data directory must not be empty");
  if (config.port < 0 || config.port > 65535) throw new EmbeddedError("config", `invalid port ${config.port}`);
  if (config.idleInTransactionTimeoutMs < 1)
    throw new EmbeddedError("config", "the idle transaction timeout must be > 0");
  if (config.maxConnections < 1) throw new EmbeddedError("config", "max connections must be > 0");
  if (config.checkpointIntervalMs < 0) throw new EmbeddedError("config", "the checkpoint interval must be >= 0");
  if (config.copyMaxBytes < 1) throw new EmbeddedError("config", "the COPY size limit must be > 0");
  return config;
}

/** Reads the configuration from EMBEDDED_PG_* variables (see the field docs). */
export function embeddedConfigFromEnv(env: NodeJS.ProcessEnv = process.env): EmbeddedConfig {
  const d = DEFAULT_EMBEDDED_CONFIG;
  return validateEmbeddedConfig({
    dataDir: env.EMBEDDED_PG_DATA_DIR || d.dataDir,
    host: env.EMBEDDED_PG_HOST || d.host,
    port: integer("EMBEDDED_PG_PORT", env.EMBEDDED_PG_PORT, d.port, 0),
    password: env.EMBEDDED_PG_PASSWORD ?? "",
    idleInTransactionTimeoutMs: integer(
      "EMBEDDED_PG_IDLE_TX_TIMEOUT_MS",
      env.EMBEDDED_PG_IDLE_TX_TIMEOUT_MS,
      d.idleInTransactionTimeoutMs,
      1,
    ),
    maxConnections: integer("EMBEDDED_PG_MAX_CONNECTIONS", env.EMBEDDED_PG_MAX_CONNECTIONS, d.maxConnections, 1),
    copyMaxBytes: integer("EMBEDDED_PG_COPY_MAX_BYTES", env.EMBEDDED_PG_COPY_MAX_BYTES, d.copyMaxBytes, 1),
    syncCommit: flag("EMBEDDED_PG_SYNC_COMMIT", env.EMBEDDED_PG_SYNC_COMMIT, d.syncCommit),
    checkpointIntervalMs: integer(
      "EMBEDDED_PG_CHECKPOINT_INTERVAL_MS",
      env.EMBEDDED_PG_CHECKPOINT_INTERVAL_MS,
      d.checkpointIntervalMs,
      0,
    ),
  });
}
