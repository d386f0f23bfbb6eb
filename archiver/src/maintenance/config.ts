import { ArchiverError } from "../errors.ts";

/** Cold-tier maintenance settings (env names in brackets). */
export interface MaintenanceConfig {
  /** Delete Iceberg partitions whose day ended more than this ago; undefined = keep forever [COLD_RETENTION]. Default off. */
  coldRetentionDays: number | undefined;
  /** Keep snapshots of this many days for time travel [SNAPSHOT_KEEP_DAYS]. Default 7. */
  snapshotKeepDays: number;
  /** Always keep this many newest snapshots [SNAPSHOT_KEEP_LAST]. Default 1. */
  snapshotKeepLast: number;
  /** Only unreferenced files older than this are orphans (files of jobs in flight are younger) [ORPHAN_MIN_AGE_H]. Default 24 h. */
  orphanMinAgeMs: number;
  /** Compact a partition once it has more than this many data files [COMPACT_MIN_FILES]. Default 8. */
  compactMinFiles: number;
  /** Target size of compacted files [COMPACT_TARGET_FILE_BYTES]. Default 268435456 (256 MiB). */
  compactTargetFileBytes: number;
}

const days = (v: string | undefined): number | undefined => {
  if (v === undefined || v === "" || v === "off") return undefined;
  const m = /^(\d+)\s*(day|week|month|year)s?$/i.exec(v.trim());
  if (!m)
    throw new ArchiverError("config", `COLD_RETENTION="${v}" is not like "5 years" or "90 days"`, { retryable: false });
  const unit = { day: 1, week: 7, month: 30, year: 365 }[m[2]!.toLowerCase() as "day"];
  return Number(m[1]) * unit;
};

export function maintenanceConfigFromEnv(env: NodeJS.ProcessEnv = process.env): MaintenanceConfig {
  return {
    coldRetentionDays: days(env.COLD_RETENTION),
    snapshotKeepDays: Number(env.SNAPSHOT_KEEP_DAYS ?? 7),
    snapshotKeepLast: Number(env.SNAPSHOT_KEEP_LAST ?? 1),
    orphanMinAgeMs: Number(env.ORPHAN_MIN_AGE_H ?? 24) * 3_600_000,
    compactMinFiles: Number(env.COMPACT_MIN_FILES ?? 8),
    compactTargetFileBytes: Number(env.COMPACT_TARGET_FILE_BYTES ?? 256 * 1024 * 1024),
  };
}
