/**
 * The query gateway's configuration: one type, its defaults, validation and
 * how it is read from the environment. Every option says its default.
 */
import { DEFAULT_LOCKDOWN_CONFIG, type LockdownConfig, validateLockdownConfig } from "./sql/config.ts";

export interface S3Settings {
  /** S3_ENDPOINT, e.g. http://127.0.0.1:8333. Default: AWS for the region. */
  readonly endpoint?: string;
  /** S3_REGION. Default "us-east-1". */
  readonly region: string;
  /** S3_ACCESS_KEY_ID. Required for an s3:// warehouse. */
  readonly accessKeyId: string;
  /** S3_SECRET_ACCESS_KEY. Required for an s3:// warehouse. */
  readonly secretAccessKey: string;
}

export interface GatewayConfig {
  /** PG_URL: the hot database, connected as the read-only `netflow_reader`. Required. */
  readonly pgUrl: string;
  /** WAREHOUSE: `s3://bucket/prefix` or `file:///path`. Only used to pick the object store. Required. */
  readonly warehouse: string;
  /** S3 credentials when the warehouse is s3://. */
  readonly s3?: S3Settings;
  /** Iceberg SQL-catalog name (`catalog_name` column). Default "netflow". */
  readonly catalogName: string;
  /** Iceberg table identifier. Default netflow.flows. */
  readonly table: { readonly namespace: readonly string[]; readonly name: string };
  /** GATEWAY_TOKENS: accepted bearer tokens (comma-separated). Empty refuses every request but /healthz. */
  readonly tokens: readonly string[];
  /** GATEWAY_HTTP_PORT. Default 8080. */
  readonly httpPort: number;
  /** GATEWAY_HTTP_HOST. Default "127.0.0.1". */
  readonly httpHost: string;
  /** GATEWAY_MAX_CONCURRENT: queries running at once; more wait in line. Default 4. */
  readonly maxConcurrent: number;
  /** GATEWAY_MAX_QUEUED: queries waiting for a slot before new ones are refused (503). Default 32. */
  readonly maxQueued: number;
  /** GATEWAY_ROW_LIMIT: most rows a result may have; larger results fail (not truncated). Default 100000. */
  readonly rowLimit: number;
  /**
   * GATEWAY_STREAM_BATCH_ROWS: rows per FETCH when a hot result is streamed from a cursor (cold
   * results stream in DuckDB's own chunks of 2048). Default 2048.
   */
  readonly streamBatchRows: number;
  /**
   * GATEWAY_TIER_CACHE_MS: how long a tier state read in full may route a query to the hot tier
   * alone in one round trip, or start a cold-only query's cold part beside its cut. Correctness
   * does not depend on it (the catalog pointer, and for cold parts the whole plan, is checked in
   * the query's own transaction); only the reported hot-chunk count can be this old. 0 reads the
   * full state every time and never starts a cold part early. Default 2000.
   */
  readonly tierCacheMs: number;
  /** GATEWAY_HOT_SLICE_ROW_LIMIT: most hot rows copied into DuckDB for a query that cannot be decomposed. Default 1000000. */
  readonly hotSliceRowLimit: number;
  /** GATEWAY_REF_ROW_LIMIT: most rows of one `ref` lookup table mirrored into DuckDB for a query. Default 100000. */
  readonly refRowLimit: number;
  /** GATEWAY_QUERY_TIMEOUT_MS: per-query time limit on every engine. Default 60000. */
  readonly queryTimeoutMs: number;
  /** GATEWAY_DUCKDB_MEMORY_LIMIT. Default "1GB". */
  readonly duckdbMemoryLimit: string;
  /** GATEWAY_DUCKDB_THREADS. Default 2. */
  readonly duckdbThreads: number;
  /** GATEWAY_CACHE_DIR: local copies of remote data files (and DuckDB spill). Default $TMPDIR/netflow-gateway-cache. */
  readonly cacheDir: string;
  /** GATEWAY_CACHE_BYTES: size limit of the file cache. Default 2 GiB. */
  readonly cacheBytes: number;
  /** GATEWAY_PG_POOL_SIZE: hot-database connections. Default 4. */
  readonly pgPoolSize: number;
  /** SQL lockdown options (statement_timeout ceiling = queryTimeoutMs). */
  readonly lockdown: LockdownConfig;
}

export const GATEWAY_DEFAULTS = {
  catalogName: "netflow",
  table: { namespace: ["netflow"], name: "flows" },
  httpPort: 8080,
  httpHost: "127.0.0.1",
  maxConcurrent: 4,
  maxQueued: 32,
  rowLimit: 100_000,
  streamBatchRows: 2048,
  tierCacheMs: 2000,
  hotSliceRowLimit: 1_000_000,
  refRowLimit: 100_000,
  queryTimeoutMs: 60_000,
  duckdbMemoryLimit: "1GB",
  duckdbThreads: 2,
  cacheBytes: 2 * 1024 ** 3,
  pgPoolSize: 4,
} as const;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/** Builds a validated config from required fields plus overrides of the defaults. */
export function gatewayConfig(
  required: Pick<GatewayConfig, "pgUrl" | "warehouse" | "cacheDir"> & Partial<GatewayConfig>,
): GatewayConfig {
  const config: GatewayConfig = {
    ...GATEWAY_DEFAULTS,
    tokens: [],
    lockdown: { ...DEFAULT_LOCKDOWN_CONFIG, maxStatementTimeoutMs: required.queryTimeoutMs ?? 60_000 },
    ...required,
  };
  return validateGatewayConfig(config);
}

export function validateGatewayConfig(config: GatewayConfig): GatewayConfig {
  if (config.pgUrl === "") throw new ConfigError("PG_URL is required");
  if (!/^(s3a?:\/\/[^/]+|file:\/\/\/)/.test(config.warehouse)) {
    throw new ConfigError(`WAREHOUSE must be s3://bucket/prefix or file:///path, got "${config.warehouse}"`);
  }
  if (config.warehouse.startsWith("s3") && config.s3 === undefined) {
    throw new ConfigError("an s3:// WAREHOUSE needs S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY");
  }
  const positive: [string, number][] = [
    ["GATEWAY_HTTP_PORT", config.httpPort],
    ["GATEWAY_MAX_CONCURRENT", config.maxConcurrent],
    ["GATEWAY_ROW_LIMIT", config.rowLimit],
    ["GATEWAY_STREAM_BATCH_ROWS", config.streamBatchRows],
    ["GATEWAY_HOT_SLICE_ROW_LIMIT", config.hotSliceRowLimit],
    ["GATEWAY_REF_ROW_LIMIT", config.refRowLimit],
    ["GATEWAY_QUERY_TIMEOUT_MS", config.queryTimeoutMs],
    ["GATEWAY_DUCKDB_THREADS", config.duckdbThreads],
    ["GATEWAY_CACHE_BYTES", config.cacheBytes],
    ["GATEWAY_PG_POOL_SIZE", config.pgPoolSize],
  ];
  for (const [name, value] of positive) {
    if (!Number.isInteger(value) || value <= 0)
      throw new ConfigError(`${name} must be a positive integer, got ${value}`);
  }
  if (!Number.isInteger(config.tierCacheMs) || config.tierCacheMs < 0) {
    throw new ConfigError(`GATEWAY_TIER_CACHE_MS must be a non-negative integer, got ${config.tierCacheMs}`);
  }
  if (!Number.isInteger(config.maxQueued) || config.maxQueued < 0) {
    throw new ConfigError(`GATEWAY_MAX_QUEUED must be a non-negative integer, got ${config.maxQueued}`);
  }
  if (!/^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(config.duckdbMemoryLimit)) {
    throw new ConfigError(`GATEWAY_DUCKDB_MEMORY_LIMIT must look like "1GB", got "${config.duckdbMemoryLimit}"`);
  }
  if (!config.cacheDir.startsWith("/")) throw new ConfigError("GATEWAY_CACHE_DIR must be an absolute path");
  validateLockdownConfig(config.lockdown);
  return config;
}

function intEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n)) throw new ConfigError(`${name} must be an integer, got "${raw}"`);
  return n;
}

export function gatewayConfigFromEnv(env: NodeJS.ProcessEnv, tmpDir: string): GatewayConfig {
  const warehouse = env.WAREHOUSE ?? "";
  const queryTimeoutMs = intEnv(env, "GATEWAY_QUERY_TIMEOUT_MS", GATEWAY_DEFAULTS.queryTimeoutMs);
  const s3 =
    env.S3_ACCESS_KEY_ID !== undefined && env.S3_SECRET_ACCESS_KEY !== undefined
      ? {
          ...(env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT } : {}),
          region: env.S3_REGION ?? "us-east-1",
          accessKeyId: env.S3_ACCESS_KEY_ID,
          secretAccessKey: env.S3_SECRET_ACCESS_KEY,
        }
      : undefined;
  return validateGatewayConfig({
    ...GATEWAY_DEFAULTS,
    pgUrl: env.PG_URL ?? "",
    warehouse,
    ...(s3 === undefined ? {} : { s3 }),
    tokens: (env.GATEWAY_TOKENS ?? "")
      .split(",")
      .map((t) => t.trim())
      .filter((t) => t !== ""),
    httpPort: intEnv(env, "GATEWAY_HTTP_PORT", GATEWAY_DEFAULTS.httpPort),
    httpHost: env.GATEWAY_HTTP_HOST ?? GATEWAY_DEFAULTS.httpHost,
    maxConcurrent: intEnv(env, "GATEWAY_MAX_CONCURRENT", GATEWAY_DEFAULTS.maxConcurrent),
    maxQueued: intEnv(env, "GATEWAY_MAX_QUEUED", GATEWAY_DEFAULTS.maxQueued),
    rowLimit: intEnv(env, "GATEWAY_ROW_LIMIT", GATEWAY_DEFAULTS.rowLimit),
    streamBatchRows: intEnv(env, "GATEWAY_STREAM_BATCH_ROWS", GATEWAY_DEFAULTS.streamBatchRows),
    tierCacheMs: intEnv(env, "GATEWAY_TIER_CACHE_MS", GATEWAY_DEFAULTS.tierCacheMs),
    hotSliceRowLimit: intEnv(env, "GATEWAY_HOT_SLICE_ROW_LIMIT", GATEWAY_DEFAULTS.hotSliceRowLimit),
    refRowLimit: intEnv(env, "GATEWAY_REF_ROW_LIMIT", GATEWAY_DEFAULTS.refRowLimit),
    queryTimeoutMs,
    duckdbMemoryLimit: env.GATEWAY_DUCKDB_MEMORY_LIMIT ?? GATEWAY_DEFAULTS.duckdbMemoryLimit,
    duckdbThreads: intEnv(env, "GATEWAY_DUCKDB_THREADS", GATEWAY_DEFAULTS.duckdbThreads),
    cacheDir: env.GATEWAY_CACHE_DIR ?? `${tmpDir}/netflow-gateway-cache`,
    cacheBytes: intEnv(env, "GATEWAY_CACHE_BYTES", GATEWAY_DEFAULTS.cacheBytes),
    pgPoolSize: intEnv(env, "GATEWAY_PG_POOL_SIZE", GATEWAY_DEFAULTS.pgPoolSize),
    lockdown: { ...DEFAULT_LOCKDOWN_CONFIG, maxStatementTimeoutMs: queryTimeoutMs },
  });
}
