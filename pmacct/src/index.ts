export { Collector } from "./collector.ts";
export {
  COLLECTABLE_COLUMNS,
  type CollectorConfig,
  collectorConfig,
  collectorConfigFromEnv,
  type DatabaseTarget,
  DEFAULT_COLLECTOR_CONFIG,
  parsePgUrl,
} from "./config.ts";
export { CollectorError, type CollectorErrorKind } from "./errors.ts";
export { type CollectorStatus, type DaemonStatus, renderPrometheus } from "./metrics.ts";
export { aggregatePrimitives, collectorPaths, type Daemon, renderDaemonConfig } from "./render.ts";
export { readStatusFile, renderStatusTable } from "./status.ts";
