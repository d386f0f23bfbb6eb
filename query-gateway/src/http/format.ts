/**
 * Result encodings of POST /api/query: JSON (values in the canonical forms of
 * engine.ts), CSV (RFC 4180, header row) and Arrow IPC stream. CSV and Arrow
 * carry the query metadata in X-Gateway-* response headers instead.
 */
import * as A from "apache-arrow";
import type { ResultSet, Value, ValueType } from "../engine/engine.ts";

export type ResultFormat = "json" | "csv" | "arrow";

export function* csvChunks(result: ResultSet, rowsPerChunk = 1000): Generator<string> {
  yield `${result.columns.map((c) => csvField(c.name)).join(",")}\r\n`;
  for (let i = 0; i < result.rows.length; i += rowsPerChunk) {
    const lines = result.rows
      .slice(i, i + rowsPerChunk)
      .map((row) => row.map((v) => (v === null ? "" : csvField(String(v)))).join(","));
    yield `${lines.join("\r\n")}\r\n`;
  }
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Arrow types: exact numbers stay numbers, everything else is the canonical text. */
function arrowType(type: ValueType, values: readonly Value[]): A.DataType {
  switch (type) {
    case "boolean":
      return new A.Bool();
    case "integer":
      return new A.Int32();
    case "bigint":
      return new A.Int64();
    case "double":
      return new A.Float64();
    case "numeric":
      return values.every((v) => v === null || typeof v === "number") ? new A.Float64() : new A.Utf8();
    default:
      return new A.Utf8();
  }
}

export function arrowStream(result: ResultSet): Uint8Array {
  const columns: Record<string, A.Vector> = {};
  result.columns.forEach((column, i) => {
    const values = result.rows.map((row) => row[i] ?? null);
    const type = arrowType(column.type, values);
    const converted = values.map((v) => {
      if (v === null) return null;
      if (type instanceof A.Int64) return BigInt(v);
      if (type instanceof A.Utf8) return String(v);
      return v;
    });
    // Duplicate output names are legal SQL; Arrow needs unique field names.
    let name = column.name;
    for (let n = 2; name in columns; n++) name = `${column.name}_${n}`;
    columns[name] = A.vectorFromArray(converted, type);
  });
  return A.tableToIPC(new A.Table(columns), "stream");
}
