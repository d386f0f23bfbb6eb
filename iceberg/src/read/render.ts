/**
 * Rows as JSON for people and other tools: decimals as exact text, dates as
 * `YYYY-MM-DD`, timestamps as ISO-8601 with microseconds (`Z` for
 * timestamptz), binary as hex, maps as `[[key, value], ...]`, longs as
 * numbers (JSON digits, written exactly by `stringifyJson`).
 */
import type { JsonValue } from "../json/exact-json.ts";
import { decimalParams, type IcebergType, isPrimitive, type Schema } from "../spec/types.ts";
import type { RowValue } from "./parquet.ts";
import type { Row } from "./rows.ts";

const MICROS_PER_DAY = 86_400_000_000n;

function isoDate(days: number): string {
  return new Date(days * 86_400_000).toISOString().slice(0, 10);
}

function isoMicros(micros: bigint, zone: boolean): string {
  const days = micros >= 0n ? micros / MICROS_PER_DAY : -((-micros + MICROS_PER_DAY - 1n) / MICROS_PER_DAY);
  const rest = micros - days * MICROS_PER_DAY;
  const secs = Number(rest / 1_000_000n);
  const frac = (rest % 1_000_000n).toString().padStart(6, "0");
  const hh = String(Math.floor(secs / 3600)).padStart(2, "0");
  const mm = String(Math.floor((secs % 3600) / 60)).padStart(2, "0");
  const ss = String(secs % 60).padStart(2, "0");
  return `${isoDate(Number(days))}T${hh}:${mm}:${ss}.${frac}${zone ? "Z" : ""}`;
}

export function decimalText(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  const digits = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, "0");
  const s = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return neg ? `-${s}` : s;
}

export function valueToJson(type: IcebergType, v: RowValue): JsonValue {
  if (v === null) return null;
  if (isPrimitive(type)) {
    if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
    const d = decimalParams(type);
    if (d) return decimalText(v as bigint, d.scale);
    if (type === "date") return isoDate(v as number);
    if (type === "timestamp" || type === "timestamptz") return isoMicros(v as bigint, type === "timestamptz");
    if (type === "time") return isoMicros(v as bigint, false).slice(11);
    if (typeof v === "number" && !Number.isFinite(v)) return String(v);
    return v as JsonValue;
  }
  if (type.type === "list") return (v as RowValue[]).map((x) => valueToJson(type.element, x));
  if (type.type === "map")
    return [...(v as Map<RowValue, RowValue>)].map(([k, x]) => [valueToJson(type.key, k), valueToJson(type.value, x)]);
  const rec = v as { [name: string]: RowValue };
  const out: { [k: string]: JsonValue } = {};
  for (const f of type.fields) out[f.name] = valueToJson(f.type, rec[f.name] ?? null);
  return out;
}

/** A row as a JSON object in schema column order. */
export function rowToJson(schema: Schema, row: Row): { [column: string]: JsonValue } {
  const out: { [column: string]: JsonValue } = {};
  for (const f of schema.fields) out[f.name] = valueToJson(f.type, row[f.name] ?? null);
  return out;
}
