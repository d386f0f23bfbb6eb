/**
 * icebird (npm, hyparquet underneath) as an independent reader of our tables,
 * and the value mapping its documented behaviour implies. icebird hands values
 * over the way hyparquet's default parsers decode them
 * (hyparquet/src/convert.js, DEFAULT_PARSERS; icebird/src/read.js passes no
 * `utf8` or `parsers` option):
 *  - timestamp/timestamptz → JS Date in milliseconds (`micros / 1000n`,
 *    truncated toward zero): sub-millisecond digits are lost;
 *  - date → JS Date at midnight UTC (exact);
 *  - decimal → JS number (`unscaled * 10 ** -scale`);
 *  - binary (Parquet BYTE_ARRAY without annotation) → UTF-8 decoded text,
 *    lossy for bytes that are not UTF-8 (our 16-byte addresses);
 *  - long/time → bigint, uuid/fixed → bytes, the rest as JS primitives.
 * `expectedAsIcebird` applies exactly those conversions to the rows we wrote,
 * so a comparison checks every other bit; icebird.test.ts names each loss in
 * its own test.
 */
import { icebergManifests, icebergMetadata, icebergRead } from "icebird";
import type { JsonValue } from "../json/exact-json.ts";
import { decimalParams, type PrimitiveType, type Schema } from "../spec/types.ts";
import { type Row, sortRows } from "../testing/rows.ts";

export type IcebirdMetadata = Awaited<ReturnType<typeof icebergMetadata>>;

export interface IcebirdTable {
  /** The metadata JSON as icebird parsed it (plain `Response.json()`). */
  readonly metadata: IcebirdMetadata;
  readonly rows: Record<string, unknown>[];
}

/** Splits `<table>/metadata/<file>.metadata.json` into what icebird asks for. */
export function icebirdLocation(metadataLocation: string): { tableUrl: string; metadataFileName: string } {
  const i = metadataLocation.lastIndexOf("/metadata/");
  if (i < 0) throw new Error(`not a metadata location: ${metadataLocation}`);
  return {
    tableUrl: metadataLocation.slice(0, i),
    metadataFileName: metadataLocation.slice(i + "/metadata/".length),
  };
}

/** Reads the table state a metadata file describes (icebird reads its current snapshot). */
export async function icebirdRead(metadataLocation: string): Promise<IcebirdTable> {
  const loc = icebirdLocation(metadataLocation);
  const metadata = await icebergMetadata(loc);
  const rows: Record<string, unknown>[] = await icebergRead({ tableUrl: loc.tableUrl, metadata });
  return { metadata, rows };
}

export interface IcebirdFile {
  readonly path: string;
  readonly records: bigint;
  readonly sizeBytes: bigint;
  /** Partition values by partition field name, as icebird's Avro reader decodes them. */
  readonly partition: Record<string, unknown>;
}

/** The live data files of the current snapshot, from icebird's own manifest-list and manifest reader. */
export async function icebirdFiles(metadata: IcebirdMetadata): Promise<IcebirdFile[]> {
  const manifests = await icebergManifests(metadata);
  return manifests.flatMap((m) =>
    m.entries
      .filter((e) => e.status !== 2 && e.data_file.content === 0)
      .map((e) => ({
        path: e.data_file.file_path,
        records: e.data_file.record_count,
        sizeBytes: e.data_file.file_size_in_bytes,
        partition: e.data_file.partition as Record<string, unknown>,
      })),
  );
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const text = new TextDecoder(); // hyparquet's own decoder: non-fatal, U+FFFD for bad bytes

/** One value icebird returned, in a JSON form comparable with `expectedAsIcebird`. */
function viewValue(type: PrimitiveType, v: unknown, column: string): JsonValue {
  if (v === null || v === undefined) return null;
  const bad = (): never => {
    throw new Error(`icebird returned ${Object.prototype.toString.call(v)} for ${column} (${type})`);
  };
  if (v instanceof Date) {
    if (type === "date") return v.getTime() / 86_400_000;
    if (type === "timestamp" || type === "timestamptz") return v.getTime();
    return bad();
  }
  if (v instanceof Uint8Array) return type === "uuid" || type.startsWith("fixed[") ? hex(v) : bad();
  if (typeof v === "bigint") return type === "long" || type === "time" ? v : bad();
  if (typeof v === "number") {
    if (type === "int") return v;
    if (type === "float" || type === "double" || decimalParams(type)) return String(v);
    return bad();
  }
  if (typeof v === "string") return type === "string" || type === "binary" ? v : bad();
  if (typeof v === "boolean") return type === "boolean" ? v : bad();
  return bad();
}

/** icebird's rows, one array per row in schema order, sorted canonically. */
export function icebirdView(schema: Schema, rows: readonly Record<string, unknown>[]): JsonValue[] {
  return sortRows(rows.map((r) => schema.fields.map((f) => viewValue(f.type as PrimitiveType, r[f.name], f.name))));
}

function expectedValue(type: PrimitiveType, v: Row[string] | undefined): JsonValue {
  if (v === null || v === undefined) return null;
  switch (type) {
    case "timestamp":
    case "timestamptz":
      return Number((v as bigint) / 1000n);
    case "binary":
      return text.decode(v as Uint8Array);
    case "float":
      return String(Math.fround(v as number));
    case "double":
      return String(v);
    case "date":
    case "int":
      return v as number;
    case "long":
    case "time":
      return BigInt(v as bigint);
  }
  const d = decimalParams(type);
  if (d) return String(Number(v as bigint) * 10 ** -d.scale);
  if (v instanceof Uint8Array) return hex(v);
  return v as JsonValue;
}

/** Our rows as icebird's documented conversions would present them, sorted like `icebirdView`. */
export function expectedAsIcebird(schema: Schema, rows: readonly Row[]): JsonValue[] {
  return sortRows(rows.map((r) => schema.fields.map((f) => expectedValue(f.type as PrimitiveType, r[f.name]))));
}
