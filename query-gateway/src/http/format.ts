/**
 * Result encodings of POST /api/query, written incrementally as batches of
 * rows arrive: JSON (values in the canonical forms of engine.ts), CSV
 * (RFC 4180, header row) and Arrow IPC stream. Each encoder turns one batch
 * into bytes, so the response holds one batch in memory at a time.
 */
import * as A from "apache-arrow";
import type { ResultColumn, RowBatch, Value, ValueType } from "../engine/engine.ts";

export type ResultFormat = "json" | "csv" | "arrow";

const utf8 = new TextEncoder();

/**
 * JSON: one document, `{"columns":…, <metadata>, "rows":[…], "rowCount":n,
 * "complete":true, "timingsMs":…}`. The members after `rows` form the trailer:
 * written once the last row is out, so they can count rows and time the
 * whole query. A failure after the first row ends the document with
 * `"complete":false` and an `"error"` member instead.
 */
export class JsonEncoder {
  private first = true;

  constructor(private readonly head: Record<string, unknown>) {}

  start(): Uint8Array {
    const head = JSON.stringify(this.head);
    return utf8.encode(`${head.slice(0, -1)}${head.length > 2 ? "," : ""}"rows":[`);
  }

  batch(rows: RowBatch): Uint8Array {
    let out = "";
    for (const row of rows) {
      out += `${this.first ? "\n" : ",\n"}${JSON.stringify(row)}`;
      this.first = false;
    }
    return utf8.encode(out);
  }

  end(trailer: Record<string, unknown>): Uint8Array {
    return utf8.encode(`\n],${JSON.stringify(trailer).slice(1)}\n`);
  }
}

export class CsvEncoder {
  constructor(private readonly columns: readonly ResultColumn[]) {}

  start(): Uint8Array {
    return utf8.encode(`${this.columns.map((c) => csvField(c.name)).join(",")}\r\n`);
  }

  batch(rows: RowBatch): Uint8Array {
    let out = "";
    for (const row of rows) out += `${row.map((v) => (v === null ? "" : csvField(String(v)))).join(",")}\r\n`;
    return utf8.encode(out);
  }
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The Arrow IPC end-of-stream marker (continuation token, zero length). */
const ARROW_EOS = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/**
 * Arrow IPC stream: the schema message once, then one record batch message
 * per batch, then the end-of-stream marker. Column types are fixed by the
 * first batch (exact numbers stay numbers, everything else is the canonical
 * text); a numeric column that starts with plain numbers stays Float64.
 * A reader that sees no end-of-stream marker knows the stream was cut.
 */
export class ArrowEncoder {
  private types: A.DataType[] | null = null;
  private names: string[] = [];
  private schemaBytes = -1;

  constructor(private readonly columns: readonly ResultColumn[]) {}

  batch(rows: RowBatch): Uint8Array {
    if (this.types === null) this.fix(rows);
    const types = this.types ?? [];
    const vectors: Record<string, A.Vector> = {};
    this.columns.forEach((_, i) => {
      const type = types[i] ?? new A.Utf8();
      const values = rows.map((row) => convert(type, row[i] ?? null));
      vectors[this.names[i] ?? String(i)] = A.vectorFromArray(values, type);
    });
    const table = new A.Table(vectors);
    const bytes = A.tableToIPC(table, "stream");
    const body = bytes.subarray(0, bytes.length - ARROW_EOS.length);
    if (this.schemaBytes < 0) {
      // Same schema every batch: measure its message once and send it with the first batch only.
      this.schemaBytes = A.tableToIPC(new A.Table(table.schema), "stream").length - ARROW_EOS.length;
      return body;
    }
    return body.subarray(this.schemaBytes);
  }

  /** The end of the stream (the schema too when no batch came). */
  end(): Uint8Array {
    if (this.schemaBytes >= 0) return ARROW_EOS;
    const bytes = this.batch([]);
    const out = new Uint8Array(bytes.length + ARROW_EOS.length);
    out.set(bytes);
    out.set(ARROW_EOS, bytes.length);
    return out;
  }

  private fix(rows: RowBatch): void {
    this.types = this.columns.map((column, i) =>
      arrowType(
        column.type,
        rows.map((row) => row[i] ?? null),
      ),
    );
    const seen = new Set<string>();
    this.names = this.columns.map((column) => {
      // Duplicate output names are legal SQL; Arrow needs unique field names.
      let name = column.name;
      for (let n = 2; seen.has(name); n++) name = `${column.name}_${n}`;
      seen.add(name);
      return name;
    });
  }
}

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

function convert(type: A.DataType, v: Value): unknown {
  if (v === null) return null;
  if (type instanceof A.Int64) return BigInt(v);
  if (type instanceof A.Float64) return Number(v);
  if (type instanceof A.Utf8) return String(v);
  return v;
}
