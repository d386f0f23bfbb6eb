import { ArchiverError } from "./errors.ts";
import { type MaintenanceConfig, maintenanceConfigFromEnv } from "./maintenance/config.ts";

/** Archiver settings (env names in brackets). */
export interface ArchiverConfig {
  /** Hot database URL, normally the netflow_archiver role [PG_URL]. Required. */
  pgUrl: string;
  /** Iceberg warehouse root: `s3://bucket/prefix` or `file:///path` [WAREHOUSE]. Required. */
  warehouse: string;
  /** S3 settings, required for an s3:// warehouse [S3_ENDPOINT, S3_REGION (default us-east-1), S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY]. */
  s3: { endpoint: string | undefined; region: string; accessKeyId: string; secretAccessKey: string } | undefined;
  /** Redis for the job queue [REDIS_URL]. Default redis://127.0.0.1:6379. */
  redisUrl: string;
  /** Archive chunks whose range ends before now() minus this [ARCHIVE_AFTER]. Default `7 days`. */
  archiveAfter: string;
  /** Compress chunks whose range ends before now() minus this, where no policy runs [HOT_COMPRESS_AFTER]. Default `2 days`. */
  compressAfter: string;
  /** Target rows per export batch (one short read transaction each; on the embedded engine 10k rows hold it ~0.4 s) [ARCHIVE_BATCH_ROWS]. Default 10000. */
  batchRows: number;
  /** Start a new data file after this many bytes [ARCHIVE_TARGET_FILE_BYTES]. Default 268435456 (256 MiB). */
  targetFileSizeBytes: number;
  /** Parquet row-group size and writer buffer per partition [ARCHIVE_ROW_GROUP_ROWS]. Default 131072. */
  rowGroupRows: number;
  /** How often the scheduler looks for chunks to archive [ARCHIVE_SCHEDULE_EVERY_S]. Default 300 s. */
  scheduleEveryMs: number;
  /** Jobs one worker runs at once [ARCHIVE_CONCURRENCY]. Default 1. */
  concurrency: number;
  /** Attempts per job before it is failed [ARCHIVE_JOB_ATTEMPTS]. Default 20. */
  jobAttempts: number;
  /** First retry delay, doubled each attempt [ARCHIVE_BACKOFF_S]. Default 30 s. */
  backoffMs: number;
  /** Catalog swaps retried in one job when other commits interleave [ARCHIVE_COMMIT_ATTEMPTS]. Default 5. */
  commitAttempts: number;
  /** BullMQ queue name [ARCHIVE_QUEUE]. Default `netflow-archive`. */
  queueName: string;
  /** Warn (log + metric) when the hot tier is larger than this [HOT_SIZE_WARN_BYTES]. Default 50 GiB. */
  hotSizeWarnBytes: number;
  /** BullMQ job lock; renewed every half of it, a job whose lock lapses is re-run (a no-op once archived) [ARCHIVE_LOCK_S]. Default 120 s. */
  lockMs: number;
  /** Cold-tier maintenance (retention, expiry, orphans, compaction); see maintenance/config.ts. */
  maintenance: MaintenanceConfig;
  /** How often cold maintenance runs [MAINTAIN_EVERY_S]. Default 3600 s. */
  maintainEveryMs: number;
  /** Listen address of the metrics endpoint (0.0.0.0 in a container scraped from outside) [ARCHIVER_METRICS_HOST]. Default 127.0.0.1. */
  metricsHost: string;
  /** Port of the Prometheus metrics endpoint of `worker` (0: off) [ARCHIVER_METRICS_PORT]. Default 9465. */
  metricsPort: number;
}

const INTERVAL = /^\d+\s*(second|minute|hour|day|week|month|year)s?$/i;

function num(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const v = env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0)
    throw new ArchiverError("config", `${name}="${v}" is not a non-negative number`, { retryable: false });
  return n;
}

export function archiverConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ArchiverConfig {
  const warehouse = env.WAREHOUSE ?? "";
  const config: ArchiverConfig = {
    pgUrl: env.PG_URL ?? "",
    warehouse,
    s3: warehouse.startsWith("s3://")
      ? {
          endpoint: env.S3_ENDPOINT || undefined,
          region: env.S3_REGION || "us-east-1",
          accessKeyId: env.S3_ACCESS_KEY_ID ?? "",
          secretAccessKey: env.S3_SECRET_ACCESS_KEY ?? "",
        }
      : undefined,
    redisUrl: env.REDIS_URL || "redis://127.0.0.1:6379",
    archiveAfter: env.ARCHIVE_AFTER || "7 days",
    compressAfter: env.HOT_COMPRESS_AFTER || "2 days",
    batchRows: num(env, "ARCHIVE_BATCH_ROWS", 10_000),
    targetFileSizeBytes: num(env, "ARCHIVE_TARGET_FILE_BYTES", 256 * 1024 * 1024),
    rowGroupRows: num(env, "ARCHIVE_ROW_GROUP_ROWS", 131_072),
    scheduleEveryMs: num(env, "ARCHIVE_SCHEDULE_EVERY_S", 300) * 1000,
    concurrency: num(env, "ARCHIVE_CONCURRENCY", 1),
    jobAttempts: num(env, "ARCHIVE_JOB_ATTEMPTS", 20),
    backoffMs: num(env, "ARCHIVE_BACKOFF_S", 30) * 1000,
    commitAttempts: num(env, "ARCHIVE_COMMIT_ATTEMPTS", 5),
    queueName: env.ARCHIVE_QUEUE || "netflow-archive",
    hotSizeWarnBytes: num(env, "HOT_SIZE_WARN_BYTES", 50 * 1024 ** 3),
    metricsHost: env.ARCHIVER_METRICS_HOST || "127.0.0.1",
    metricsPort: num(env, "ARCHIVER_METRICS_PORT", 9465),
    lockMs: num(env, "ARCHIVE_LOCK_S", 120) * 1000,
    maintenance: maintenanceConfigFromEnv(env),
    maintainEveryMs: num(env, "MAINTAIN_EVERY_S", 3600) * 1000,
  };
  validateArchiverConfig(config);
  return config;
}

export function validateArchiverConfig(c: ArchiverConfig): void {
  const problems: string[] = [];
  if (!/^postgres(ql)?:\/\//.test(c.pgUrl)) problems.push("PG_URL must be a postgres:// URL");
  if (!/^(s3:\/\/[^/]+|file:\/\/\/)/.test(c.warehouse))
    problems.push("WAREHOUSE must be s3://bucket/prefix or file:///path");
  if (c.warehouse.startsWith("s3://") && (!c.s3?.accessKeyId || !c.s3.secretAccessKey))
    problems.push("an s3:// WAREHOUSE needs S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY");
  for (const [name, v] of [
    ["ARCHIVE_AFTER", c.archiveAfter],
    ["HOT_COMPRESS_AFTER", c.compressAfter],
  ] as const)
    if (!INTERVAL.test(v.trim())) problems.push(`${name}="${v}" is not an interval like "7 days"`);
  if (!Number.isInteger(c.batchRows) || c.batchRows < 1) problems.push("ARCHIVE_BATCH_ROWS must be an integer >= 1");
  if (!Number.isInteger(c.rowGroupRows) || c.rowGroupRows < 1)
    problems.push("ARCHIVE_ROW_GROUP_ROWS must be an integer >= 1");
  if (!Number.isInteger(c.concurrency) || c.concurrency < 1)
    problems.push("ARCHIVE_CONCURRENCY must be an integer >= 1");
  if (c.commitAttempts < 1) problems.push("ARCHIVE_COMMIT_ATTEMPTS must be >= 1");
  if (problems.length > 0)
    throw new ArchiverError("config", `invalid archiver config: ${problems.join("; ")}`, { retryable: false });
}
