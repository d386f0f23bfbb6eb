export { type ArchiveDeps, type ArchiveResult, archiveChunk } from "./archive/job.ts";
export { duckdbChecksum, verifyFiles } from "./archive/verify.ts";
export { Archiver } from "./archiver.ts";
export { type ArchiverConfig, archiverConfigFromEnv, validateArchiverConfig } from "./config.ts";
export { ArchiverError, type ArchiverErrorKind } from "./errors.ts";
export {
  addChecksums,
  type Checksum,
  checksumEquals,
  duckdbChecksumSql,
  duckdbRowHashExpr,
  pgChecksumSql,
  pgRowHashExpr,
} from "./hash/row-hash.ts";
export { applyColdRetention, expireOldSnapshots, removeOrphans, runColdMaintenance } from "./maintenance/cold.ts";
export { compactPartitions } from "./maintenance/compact.ts";
export { ArchiverMetrics } from "./metrics.ts";
export { ArchiveQueue } from "./queue/archive-queue.ts";
export { archiveJobId } from "./queue/scan.ts";
export { CATALOG_NAME, FLOWS_TABLE, tableLocation } from "./warehouse/warehouse.ts";
