/**
 * Values between DuckDB and the gateway's canonical form (engine.ts): DuckDB result values and
 * types to canonical ones, canonical values appended into DuckDB temp tables (hot rows, partial
 * aggregates, lookup tables).
 */
import {
  type DuckDBAppender,
  DuckDBDateValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  type DuckDBType,
  DuckDBTypeId,
  type DuckDBValue,
} from "@duckdb/node-api";
import { encodeAddress } from "@netflow/iceberg";
import type { Value, ValueType } from "./engine.ts";
import { QueryError } from "./errors.ts";
import { addressText, formatDate, formatInstant, formatWall, integerValue, numericValue } from "./values.ts";

/** DuckDB column type for a canonical value type; inet becomes the cold tier's 16-byte BLOB. */
export const DUCK_TYPE_OF: Readonly<Record<ValueType, string>> = {
  boolean: "BOOLEAN",
  integer: "INTEGER",
  bigint: "BIGINT",
  double: "DOUBLE",
  numeric: "DOUBLE",
  text: "VARCHAR",
  timestamptz: "TIMESTAMPTZ",
  timestamp: "TIMESTAMP",
  date: "DATE",
  interval: "VARCHAR",
  inet: "BLOB",
  bytea: "VARCHAR",
  json: "VARCHAR",
  unknown: "VARCHAR",
};

export function typeName(type: DuckDBType): string {
  return type.toString();
}

export function valueType(type: DuckDBType | undefined): ValueType {
  switch (type?.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return "boolean";
    case DuckDBTypeId.TINYINT:
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.UTINYINT:
    case DuckDBTypeId.USMALLINT:
      return "integer";
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UINTEGER:
      return "bigint";
    case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.DECIMAL:
    case DuckDBTypeId.BIGNUM:
      return "numeric";
    case DuckDBTypeId.FLOAT:
    case DuckDBTypeId.DOUBLE:
      return "double";
    case DuckDBTypeId.VARCHAR:
      return "text";
    case DuckDBTypeId.TIMESTAMP_TZ:
      return "timestamptz";
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_S:
      return "timestamp";
    case DuckDBTypeId.DATE:
      return "date";
    case DuckDBTypeId.INTERVAL:
      return "interval";
    // The only BLOBs of the cold tier are the 16-byte address columns.
    case DuckDBTypeId.BLOB:
      return "inet";
    default:
      return "unknown";
  }
}

export function toValue(type: DuckDBType | undefined, v: DuckDBValue): Value {
  if (v === null) return null;
  if (typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "number") return v;
  if (typeof v === "bigint") return integerValue(v);
  if (v instanceof DuckDBTimestampTZValue) return v.isFinite ? formatInstant(v.micros) : v.toString();
  if (v instanceof DuckDBTimestampValue) return v.isFinite ? formatWall(v.micros) : v.toString();
  if (v instanceof DuckDBDateValue) return v.isFinite ? formatDate(v.days) : v.toString();
  if (type?.typeId === DuckDBTypeId.BLOB && typeof v === "object" && "bytes" in v && v.bytes instanceof Uint8Array) {
    return addressText(v.bytes);
  }
  if (type?.typeId === DuckDBTypeId.DECIMAL) return numericValue(String(v));
  return String(v);
}

/** Appends one canonical value (engine.ts) into a column of the given DuckDB type. */
export function appendTyped(appender: DuckDBAppender, type: string, value: Value): void {
  if (value === null) {
    appender.appendNull();
    return;
  }
  switch (type) {
    case "BOOLEAN":
      appender.appendBoolean(value === true || value === "t" || value === "true");
      return;
    case "TINYINT":
    case "SMALLINT":
    case "INTEGER":
      appender.appendInteger(Number(value));
      return;
    case "BIGINT":
      appender.appendBigInt(BigInt(value));
      return;
    case "HUGEINT":
      appender.appendHugeInt(BigInt(value));
      return;
    case "FLOAT":
    case "DOUBLE":
      appender.appendDouble(Number(value));
      return;
    case "BLOB":
      appender.appendBlob(encodeAddress(String(value)));
      return;
    case "TIMESTAMP WITH TIME ZONE":
    case "TIMESTAMPTZ":
      appender.appendTimestampTZ(new DuckDBTimestampTZValue(parseIsoMicros(String(value))));
      return;
    case "TIMESTAMP":
      appender.appendTimestamp(new DuckDBTimestampValue(parseIsoMicros(String(value))));
      return;
    case "DATE":
      appender.appendDate(new DuckDBDateValue(Number(parseIsoMicros(`${String(value)}T00:00:00Z`) / 86_400_000_000n)));
      return;
    default:
      if (type.startsWith("DECIMAL")) {
        appender.appendDouble(Number(value));
        return;
      }
      appender.appendVarchar(String(value));
  }
}

/** `2026-03-01T00:00:00[.ffffff][Z]` → epoch microseconds. */
function parseIsoMicros(text: string): bigint {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?Z?$/.exec(text);
  if (m === null) throw new QueryError("internal", "unexpected timestamp form while merging tiers");
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return BigInt(ms) * 1000n + BigInt((m[7] ?? "").padEnd(6, "0") || "0");
}
