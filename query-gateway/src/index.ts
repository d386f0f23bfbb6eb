export {
  ConfigError,
  GATEWAY_DEFAULTS,
  type GatewayConfig,
  gatewayConfig,
  gatewayConfigFromEnv,
  type S3Settings,
  validateGatewayConfig,
} from "./config.ts";
export { type ColdSession, DuckDbEngine, type DuckDbEngineConfig } from "./engine/duckdb.ts";
export {
  collectRows,
  type Engine,
  type EngineName,
  type QueryOptions,
  type ResultColumn,
  type ResultSet,
  type RowBatch,
  type RowStream,
  rowsStream,
  type Value,
  type ValueType,
} from "./engine/engine.ts";
export { QueryError, type QueryErrorKind } from "./engine/errors.ts";
export { type CacheStats, FileCache, type FileCacheConfig, type PinnedFiles } from "./engine/file-cache.ts";
export { type AggregateSplit, splitAggregate } from "./engine/partial-aggregate.ts";
export { type Plan, planQuery, type Strategy } from "./engine/plan.ts";
export {
  type CursorRequest,
  type HotTransaction,
  type OpenTransaction,
  TimescaleEngine,
  type TimescaleEngineConfig,
} from "./engine/timescale.ts";
export { GatewayError, type GatewayErrorKind, type GatewayErrorOptions, SQLSTATE, type SqlState } from "./errors.ts";
export {
  type ExplainOutcome,
  Gateway,
  type QueryInfo,
  type QueryOutcome,
  type QueryRequest,
} from "./gateway.ts";
export { type AppOptions, createApp } from "./http/app.ts";
export { type ErrorBody, httpError } from "./http/errors.ts";
export { ArrowEncoder, CsvEncoder, JsonEncoder, type ResultFormat } from "./http/format.ts";
export { OPENAPI_DOCUMENT } from "./http/openapi.ts";
export { type PgWireConfig, pgWireConfigFromEnv, validatePgWireConfig } from "./pgwire/config.ts";
export { Introspection, isIntrospection } from "./pgwire/introspection.ts";
export { PgWireServer } from "./pgwire/server.ts";
export { QueryStream, type QueryTimings, type StreamEnd } from "./query-stream.ts";
export { createRestCatalogApp, withRestCatalog } from "./rest-catalog/app.ts";
export { CatalogReader } from "./rest-catalog/catalog-reader.ts";
export { type RestCatalogConfig, restCatalogConfigFromEnv, type VendedS3 } from "./rest-catalog/config.ts";
export {
  type ColdFile,
  type HotChunk,
  pruneCold,
  type Route,
  type RouteKind,
  route,
  type Tiers,
} from "./route/route.ts";
export { addressFilter } from "./sql/address-filter.ts";
export { DEFAULT_LOCKDOWN_CONFIG, type LockdownConfig, validateLockdownConfig } from "./sql/config.ts";
export { formatInet, parseInet } from "./sql/inet.ts";
export { type CheckedStatement, checkStatement, type TransactionAction } from "./sql/lockdown.ts";
export { loadSqlParser, parseSql } from "./sql/parser.ts";
export { type RewriteOptions, rewriteSql, rewriteStatement } from "./sql/rewrite.ts";
export {
  extractTimeBounds,
  FLOWS_TABLE,
  type FlowsReference,
  type TimeBounds,
  type TimeContext,
  timeBoundsOf,
} from "./sql/time-bounds.ts";
export { ALL, intersect, isAll, NONE, type RangeSet, range, type TimeRange, union } from "./sql/time-range.ts";
export { type ColdSnapshot, TierReader, type TierState } from "./tiers/tiers.ts";
