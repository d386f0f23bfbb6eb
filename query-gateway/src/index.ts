export { GatewayError, type GatewayErrorKind, type GatewayErrorOptions, SQLSTATE, type SqlState } from "./errors.ts";
export { type ColdFile, type HotChunk, type Route, type RouteKind, route, type Tiers } from "./route/route.ts";
export { DEFAULT_LOCKDOWN_CONFIG, type LockdownConfig, validateLockdownConfig } from "./sql/config.ts";
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
