import { isAbsolute, resolve } from "node:path";
import { FLOW_COLUMNS } from "@netflow/schema";
import { CollectorError } from "./errors.ts";

/** Where pmacct's pgsql plugin connects. The role needs INSERT on the ingest view only. */
export interface DatabaseTarget {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

/**
 * Collector settings. Every option names its default and its environment
 * variable (see collectorConfigFromEnv).
 */
export interface CollectorConfig {
  /** Directory for generated configs, the template cache and health files. Default `./data/pmacct`. Env COLLECTOR_STATE_DIR. */
  stateDir: string;
  /** Address nfacctd and sfacctd bind to. Default `0.0.0.0` (all IPv4 interfaces). Env COLLECTOR_LISTEN_IP. */
  listenIp: string;
  /** UDP port for NetFlow v5/v9 and IPFIX (nfacctd). Default 2055. Env NETFLOW_PORT. */
  netflowPort: number;
  /** UDP port for sFlow (sfacctd); null runs no sfacctd. Default 6343. Env SFLOW_PORT (`off` disables). */
  sflowPort: number | null;
  /** The database pmacct writes to. Env COLLECTOR_PG_URL, or PG_URL's host/port/db with user
   * `netflow_collector` and password NETFLOW_COLLECTOR_PASSWORD. */
  database: DatabaseTarget;
  /** The insert-only view pmacct writes to (timescale migration 0003). Default `flows_ingest`. */
  table: string;
  /** Flow columns pmacct fills (names from @netflow/schema). Default: every column with a pmacct mapping.
   * Env COLLECTOR_COLUMNS (comma-separated). */
  columns: readonly string[];
  /** Seconds between cache purges into the database (sql_refresh_time): the ingest latency. Default 5. Env COLLECTOR_REFRESH_S. */
  refreshSeconds: number;
  /** Peak flows/s the caches are sized for (sql_cache_entries = next prime above 2 x rate x refresh). Default 20000.
   * Env COLLECTOR_TARGET_FPS. */
  targetFlowsPerSecond: number;
  /** Core-to-plugin queue (plugin_pipe_size), bytes. Default 64 MiB. Env COLLECTOR_PLUGIN_PIPE_BYTES. */
  pluginPipeBytes: number;
  /** Core-to-plugin transfer buffer (plugin_buffer_size), bytes; 0 = unbuffered. pmacct hands a buffer to the
   * plugin only when it is full (no timer), so any buffer holds back the last flows of a quiet exporter
   * indefinitely. Unbuffered measured zero loss at 20k flows/s. Default 0. */
  pluginBufferBytes: number;
  /** UDP socket receive buffer (nfacctd_pipe_size), bytes; Linux caps it at net.core.rmem_max. Default 16 MiB.
   * Env COLLECTOR_RCVBUF_BYTES. */
  socketBufferBytes: number;
  /** Exporter allow-list file (one address or prefix per line; empty file = deny all). Default none (allow all).
   * Env COLLECTOR_ALLOW_FILE. */
  allowFile: string | null;
  /** Seconds between health snapshots (print plugin refresh and status file). Default 5. */
  healthRefreshSeconds: number;
  /** nfacctd / sfacctd executables. Default from PATH. Env NFACCTD_PATH, SFACCTD_PATH. */
  nfacctdPath: string;
  sfacctdPath: string;
  /** How long start() waits for an unreachable database (retrying with backoff); 0 = forever. Default 60.
   * Env COLLECTOR_DB_WAIT_S. */
  dbWaitSeconds: number;
  /** Restart backoff after a daemon crash: first delay and cap, ms. Default 1000 / 30000. */
  restartBackoffMs: { initial: number; max: number };
}

/** Columns pmacct can fill: every schema column with a pmacct mapping. */
export const COLLECTABLE_COLUMNS: readonly string[] = FLOW_COLUMNS.filter((c) => c.pmacct !== null).map((c) => c.name);

/** Columns the ingest trigger cannot do without. */
const REQUIRED_COLUMNS = ["exporter", "packets", "bytes"] as const;

export const DEFAULT_COLLECTOR_CONFIG: Omit<CollectorConfig, "database"> = {
  stateDir: "./data/pmacct",
  listenIp: "0.0.0.0",
  netflowPort: 2055,
  sflowPort: 6343,
  table: "flows_ingest",
  columns: COLLECTABLE_COLUMNS,
  refreshSeconds: 5,
  targetFlowsPerSecond: 20_000,
  pluginPipeBytes: 64 * 1024 * 1024,
  pluginBufferBytes: 0,
  socketBufferBytes: 16 * 1024 * 1024,
  allowFile: null,
  healthRefreshSeconds: 5,
  nfacctdPath: "nfacctd",
  sfacctdPath: "sfacctd",
  dbWaitSeconds: 60,
  restartBackoffMs: { initial: 1000, max: 30_000 },
};

/** Builds a validated config from defaults plus overrides; `database` is required. */
export function collectorConfig(
  overrides: Partial<CollectorConfig> & Pick<CollectorConfig, "database">,
): CollectorConfig {
  const config: CollectorConfig = { ...DEFAULT_COLLECTOR_CONFIG, ...overrides };
  validateCollectorConfig(config);
  return { ...config, stateDir: resolve(config.stateDir) };
}

/** Reads the config from the environment (names in CollectorConfig's docs). */
export function collectorConfigFromEnv(env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  const d = DEFAULT_COLLECTOR_CONFIG;
  const num = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === "") return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value)) throw bad(name, `"${raw}" is not a number`);
    return value;
  };
  const sflowRaw = env.SFLOW_PORT;
  return collectorConfig({
    database: databaseFromEnv(env),
    stateDir: env.COLLECTOR_STATE_DIR || d.stateDir,
    listenIp: env.COLLECTOR_LISTEN_IP || d.listenIp,
    netflowPort: num("NETFLOW_PORT", d.netflowPort),
    sflowPort: sflowRaw === "off" ? null : num("SFLOW_PORT", d.sflowPort ?? 6343),
    columns: env.COLLECTOR_COLUMNS ? env.COLLECTOR_COLUMNS.split(",").map((c) => c.trim()) : d.columns,
    refreshSeconds: num("COLLECTOR_REFRESH_S", d.refreshSeconds),
    targetFlowsPerSecond: num("COLLECTOR_TARGET_FPS", d.targetFlowsPerSecond),
    pluginPipeBytes: num("COLLECTOR_PLUGIN_PIPE_BYTES", d.pluginPipeBytes),
    socketBufferBytes: num("COLLECTOR_RCVBUF_BYTES", d.socketBufferBytes),
    allowFile: env.COLLECTOR_ALLOW_FILE || null,
    nfacctdPath: env.NFACCTD_PATH || d.nfacctdPath,
    sfacctdPath: env.SFACCTD_PATH || d.sfacctdPath,
    dbWaitSeconds: num("COLLECTOR_DB_WAIT_S", d.dbWaitSeconds),
  });
}

/**
 * COLLECTOR_PG_URL names the collector's own login; otherwise PG_URL gives the
 * server and database and the collector logs in as netflow_collector with
 * NETFLOW_COLLECTOR_PASSWORD (the variable the migrator uses to set it).
 */
export function databaseFromEnv(env: NodeJS.ProcessEnv): DatabaseTarget {
  const own = env.COLLECTOR_PG_URL;
  const name = own ? "COLLECTOR_PG_URL" : "PG_URL";
  const raw = own || env.PG_URL;
  if (!raw) throw bad("PG_URL", "is not set (postgres://host:port/db; or set COLLECTOR_PG_URL)");
  const target = parsePgUrl(raw, name);
  if (!own) {
    target.user = "netflow_collector";
    target.password = env.NETFLOW_COLLECTOR_PASSWORD ?? "";
    if (target.password === "") {
      throw bad("NETFLOW_COLLECTOR_PASSWORD", "is not set; the collector logs in as netflow_collector with it");
    }
  }
  return target;
}

export function parsePgUrl(raw: string, name = "PG_URL"): DatabaseTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw bad(name, "is not a URL (expected postgres://user:password@host:port/db)");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw bad(name, `has protocol "${url.protocol}", expected postgres://`);
  }
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, "$1") || "localhost",
    port: url.port === "" ? 5432 : Number(url.port),
    database: decodeURIComponent(url.pathname.replace(/^\//, "")) || "postgres",
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
}

export function validateCollectorConfig(config: CollectorConfig): void {
  const port = (name: string, value: number): void => {
    if (!Number.isInteger(value) || value < 1 || value > 65535) {
      throw bad(name, `${value} is not a UDP/TCP port (1-65535)`);
    }
  };
  port("netflowPort", config.netflowPort);
  if (config.sflowPort !== null) port("sflowPort", config.sflowPort);
  if (config.sflowPort === config.netflowPort) throw bad("sflowPort", "must differ from netflowPort");
  port("database.port", config.database.port);
  for (const column of config.columns) {
    const known = FLOW_COLUMNS.find((c) => c.name === column);
    if (known === undefined) {
      throw bad("columns", `unknown flow column "${column}"; known: ${COLLECTABLE_COLUMNS.join(", ")}`);
    }
    if (known.pmacct === null) throw bad("columns", `column "${column}" is computed at ingest, pmacct cannot fill it`);
  }
  for (const required of REQUIRED_COLUMNS) {
    if (!config.columns.includes(required)) throw bad("columns", `must include "${required}"`);
  }
  // pmacct's config format has no quoting: a value ends at the line end and
  // surrounding blanks are trimmed, so such values cannot be passed through.
  for (const [name, value] of [
    ["database.host", config.database.host],
    ["database.database", config.database.database],
    ["database.user", config.database.user],
    ["database.password", config.database.password],
    ["table", config.table],
    ["listenIp", config.listenIp],
  ] as const) {
    if (value === "") throw bad(name, "is empty");
    if (/[\s\r\n]/.test(value)) throw bad(name, "must not contain whitespace (pmacct's config format cannot quote it)");
  }
  const positive = (name: string, value: number, min: number): void => {
    if (!Number.isFinite(value) || value < min) throw bad(name, `must be a number >= ${min}, got ${value}`);
  };
  positive("refreshSeconds", config.refreshSeconds, 1);
  positive("healthRefreshSeconds", config.healthRefreshSeconds, 1);
  positive("targetFlowsPerSecond", config.targetFlowsPerSecond, 1);
  if (config.pluginBufferBytes !== 0) positive("pluginBufferBytes", config.pluginBufferBytes, 1024);
  positive("pluginPipeBytes", config.pluginPipeBytes, Math.max(1024 * 1024, config.pluginBufferBytes * 100));
  positive("socketBufferBytes", config.socketBufferBytes, 65_536);
  positive("dbWaitSeconds", config.dbWaitSeconds, 0);
  if (config.allowFile !== null && !isAbsolute(resolve(config.allowFile))) throw bad("allowFile", "must be a path");
}

function bad(option: string, problem: string): CollectorError {
  return new CollectorError("bad-config", `collector option ${option} ${problem}`);
}
