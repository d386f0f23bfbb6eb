/**
 * Reads one Parquet file with DuckDB and projects it onto Iceberg fields BY
 * FIELD ID (Parquet `field_id`), never by name: Spark writes `Breed_x20Name`
 * for `Breed Name`, and renamed columns keep their old name in old files.
 * Files without field ids are matched through `schema.name-mapping.default`;
 * with neither the file is refused. Values come out in the library's value
 * domain (see `PrimitiveValue`): exact longs, unscaled decimals, days,
 * microseconds. DuckDB does the decoding and the exact conversions in SQL
 * (decimal → text, timestamps → epoch micros), so nothing passes through a
 * double that should not.
 */
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { IcebergError } from "../errors.ts";
import type { ObjectStore } from "../io/object-store.ts";
import { uuidToBytes } from "../spec/conversions.ts";
import {
  decimalParams,
  type IcebergType,
  isPrimitive,
  type PrimitiveType,
  type PrimitiveValue,
} from "../spec/types.ts";
import type { NameMappingField } from "./metadata-compat.ts";

/** A row value: primitives in the library domain, lists, maps and structs (objects keyed by field name). */
export type RowValue = PrimitiveValue | null | RowValue[] | Map<RowValue, RowValue> | { [name: string]: RowValue };

export interface ProjectedField {
  readonly id: number;
  readonly type: IcebergType;
  /** Used instead of the file's column (identity partition value) or when the file lacks it (initial-default). */
  readonly constant?: { readonly value: RowValue; readonly override: boolean };
}

interface ParquetNode {
  readonly name: string;
  readonly fieldId: number | undefined;
  readonly logicalType: string | null;
  readonly children: ParquetNode[];
}

export interface ProjectedRows {
  /** 0-based row positions in the file (for position deletes). */
  readonly positions: bigint[];
  /** One array per projected field, in order. */
  readonly columns: RowValue[][];
}

function q(ident: string): string {
  return `"${ident.replace(/"/g, '""')}"`;
}

function lit(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function duckType(t: PrimitiveType): string {
  switch (t) {
    case "boolean":
      return "BOOLEAN";
    case "int":
      return "INTEGER";
    case "long":
      return "BIGINT";
    case "float":
      return "FLOAT";
    case "double":
      return "DOUBLE";
    case "string":
      return "VARCHAR";
    default:
      return "BLOB";
  }
}

const NESTED_EXACT = new Set(["timestamp", "timestamptz", "time", "uuid"]);

/** SQL turning a file column into the value-domain representation of `t`. */
function sqlFor(t: PrimitiveType, col: string, node: ParquetNode): string {
  if (t === "date") return `CAST(CAST(${col} AS DATE) - DATE '1970-01-01' AS INTEGER)`;
  if (t === "timestamp" || t === "timestamptz") return `epoch_us(${col})`;
  if (t === "time") return `CAST(epoch_us(TIMESTAMP '1970-01-01' + CAST(${col} AS TIME)) AS BIGINT)`;
  if (t === "uuid") return node.logicalType?.startsWith("UUID") ? `CAST(${col} AS VARCHAR)` : `CAST(${col} AS BLOB)`;
  const d = decimalParams(t);
  if (d) return `CAST(CAST(${col} AS DECIMAL(${d.precision},${d.scale})) AS VARCHAR)`;
  if (t === "binary" || t.startsWith("fixed[")) return `CAST(${col} AS BLOB)`;
  return `CAST(${col} AS ${duckType(t)})`;
}

function decimalToUnscaled(text: string, scale: number): bigint {
  const neg = text.startsWith("-");
  const [int = "0", frac = ""] = (neg ? text.slice(1) : text).split(".");
  const digits = `${int}${frac.padEnd(scale, "0").slice(0, scale)}`;
  const v = BigInt(digits);
  return neg ? -v : v;
}

function fromSql(t: PrimitiveType, v: unknown): RowValue {
  if (v === null || v === undefined) return null;
  const d = decimalParams(t);
  if (d) return decimalToUnscaled(String(v), d.scale);
  if (t === "uuid" && typeof v === "string") return uuidToBytes(v);
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (t === "long" || t === "timestamp" || t === "timestamptz" || t === "time") return BigInt(v as bigint);
  return v as PrimitiveValue;
}

/** Nested values come back as DuckDB's JS values; only types with an exact JS form are accepted inside them. */
function checkNested(t: IcebergType, file: string): void {
  if (isPrimitive(t)) {
    if (NESTED_EXACT.has(t) || decimalParams(t))
      throw new IcebergError("unsupported-feature", `${t} inside a nested type is not supported by this reader`, {
        file,
      });
    return;
  }
  if (t.type === "struct") for (const f of t.fields) checkNested(f.type, file);
  else if (t.type === "list") checkNested(t.element, file);
  else {
    checkNested(t.key, file);
    checkNested(t.value, file);
  }
}

function childFor(
  node: ParquetNode,
  id: number,
  mapping: readonly NameMappingField[] | undefined,
): { child: ParquetNode; mapping: readonly NameMappingField[] | undefined } | undefined {
  const byId = node.children.find((c) => c.fieldId === id);
  if (byId) return { child: byId, mapping: mapping?.find((m) => m.fieldId === id)?.fields };
  if (node.children.some((c) => c.fieldId !== undefined)) return undefined;
  const m = mapping?.find((x) => x.fieldId === id);
  if (!m) return undefined;
  const child = node.children.find((c) => m.names.includes(c.name));
  return child ? { child, mapping: m.fields } : undefined;
}

function nestedFromJs(
  t: IcebergType,
  v: unknown,
  node: ParquetNode,
  mapping: readonly NameMappingField[] | undefined,
): RowValue {
  if (v === null || v === undefined) return null;
  if (isPrimitive(t)) {
    if (t === "date" && v instanceof Date) return Math.round(v.getTime() / 86_400_000);
    if (v instanceof Uint8Array) return new Uint8Array(v);
    if (t === "long") return BigInt(v as bigint);
    return v as PrimitiveValue;
  }
  if (t.type === "struct") {
    const out: { [name: string]: RowValue } = {};
    const rec = v as Record<string, unknown>;
    for (const f of t.fields) {
      const c = childFor(node, f.id, mapping);
      out[f.name] = c ? nestedFromJs(f.type, rec[c.child.name], c.child, c.mapping) : null;
    }
    return out;
  }
  // Lists and maps: Parquet's repeated group sits between the column and its element/key/value.
  const repeated = node.children[0];
  if (t.type === "list") {
    const elem = repeated?.children[0] ?? repeated;
    return (v as unknown[]).map((x) => nestedFromJs(t.element, x, elem ?? node, undefined));
  }
  const out = new Map<RowValue, RowValue>();
  const [kNode, vNode] = repeated?.children ?? [];
  for (const e of v as { key: unknown; value: unknown }[])
    out.set(
      nestedFromJs(t.key, e.key, kNode ?? node, undefined),
      nestedFromJs(t.value, e.value, vNode ?? node, undefined),
    );
  return out;
}

/** One DuckDB instance that reads Parquet files; `close()` releases it and the temp folder. */
export class ParquetReader {
  private con: DuckDBConnection | undefined;
  private db: DuckDBInstance | undefined;
  private tmp: string | undefined;
  private n = 0;

  constructor(private readonly store: ObjectStore) {}

  private async connection(): Promise<DuckDBConnection> {
    if (!this.con) {
      this.db = await DuckDBInstance.create(":memory:", { threads: "1" });
      this.con = await this.db.connect();
    }
    return this.con;
  }

  /** A local path DuckDB can open literally: S3 objects are downloaded, glob characters avoided. */
  private async localPath(location: string): Promise<{ path: string; temp: boolean }> {
    const remote = /^s3a?:\/\//.test(location);
    if (!remote && !/[*?[\]{}]/.test(location)) return { path: location, temp: false };
    this.tmp ??= await mkdtemp(join(tmpdir(), "iceberg-read-"));
    const path = join(this.tmp, `${this.n++}.parquet`);
    if (remote) await writeFile(path, await this.store.get(location));
    else await copyFile(location, path);
    return { path, temp: true };
  }

  private async schemaOf(con: DuckDBConnection, path: string): Promise<ParquetNode> {
    const r = await con.runAndReadAll(
      `SELECT name, field_id, num_children, logical_type FROM parquet_schema(${lit(path)})`,
    );
    const rows = r.getRowsJS() as [string, bigint | null, bigint | null, string | null][];
    let i = 0;
    const build = (): ParquetNode => {
      const [name, id, nc, lt] = rows[i++]!;
      const children: ParquetNode[] = [];
      for (let k = 0; k < Number(nc ?? 0); k++) children.push(build());
      return { name, fieldId: id === null ? undefined : Number(id), logicalType: lt, children };
    };
    return build();
  }

  /** Reads `fields` from one file. `mapping` is the table's name mapping for files without field ids. */
  async read(
    location: string,
    fields: readonly ProjectedField[],
    mapping: readonly NameMappingField[] | undefined,
  ): Promise<ProjectedRows> {
    const con = await this.connection();
    const { path, temp } = await this.localPath(location);
    try {
      const root = await this.schemaOf(con, path);
      const hasIds = root.children.some((c) => c.fieldId !== undefined);
      if (!hasIds && mapping === undefined && fields.some((f) => !f.constant?.override))
        throw new IcebergError(
          "unsupported-feature",
          "a Parquet file without field ids in a table without schema.name-mapping.default",
          { file: location },
        );
      const select: string[] = ["file_row_number"];
      const plan: (
        | { kind: "sql"; t: PrimitiveType }
        | { kind: "nested"; t: IcebergType; node: ParquetNode; m: readonly NameMappingField[] | undefined }
        | { kind: "const"; v: RowValue }
      )[] = [];
      for (const f of fields) {
        const c = f.constant?.override ? undefined : childFor(root, f.id, mapping);
        if (!c) {
          plan.push({ kind: "const", v: f.constant?.value ?? null });
          continue;
        }
        const col = q(c.child.name);
        if (isPrimitive(f.type)) {
          select.push(sqlFor(f.type, col, c.child));
          plan.push({ kind: "sql", t: f.type });
        } else {
          checkNested(f.type, location);
          select.push(col);
          plan.push({ kind: "nested", t: f.type, node: c.child, m: c.mapping });
        }
      }
      const r = await con.runAndReadAll(
        `SELECT ${select.join(", ")} FROM read_parquet(${lit(path)}, file_row_number = true, hive_partitioning = false)`,
      );
      const rows = r.getRowsJS();
      const positions = rows.map((row) => BigInt(row[0] as bigint));
      const columns: RowValue[][] = [];
      let k = 1;
      for (const p of plan) {
        if (p.kind === "const") {
          columns.push(rows.map(() => p.v));
          continue;
        }
        const idx = k++;
        if (p.kind === "sql") columns.push(rows.map((row) => fromSql(p.t, row[idx])));
        else columns.push(rows.map((row) => nestedFromJs(p.t, row[idx], p.node, p.m)));
      }
      return { positions, columns };
    } catch (e) {
      if (e instanceof IcebergError) throw e;
      throw new IcebergError("corrupt-metadata", `unreadable parquet file: ${(e as Error).message}`, {
        file: location,
        cause: e,
      });
    } finally {
      if (temp) await rm(path, { force: true });
    }
  }

  async close(): Promise<void> {
    this.con?.closeSync();
    this.db?.closeSync();
    this.con = undefined;
    this.db = undefined;
    const tmp = this.tmp;
    this.tmp = undefined;
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
}
