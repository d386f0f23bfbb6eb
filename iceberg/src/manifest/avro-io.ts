/**
 * Avro object-container encode/decode over avsc. Longs are `bigint` both ways
 * (snapshot ids are 63-bit random numbers), and the writer schema is written
 * into the header verbatim, so the Iceberg attributes avsc does not know
 * (`field-id`, `element-id`, `logicalType: map`) reach other readers.
 */
import { Readable } from "node:stream";
import avro from "avsc";
import { IcebergError } from "../errors.ts";

/** Avro long as bigint (avsc defaults to lossy JS numbers). */
const BigLong = avro.types.LongType.__with({
  fromBuffer: (buf: Buffer) => buf.readBigInt64LE(),
  toBuffer: (n: bigint | number) => {
    const buf = Buffer.alloc(8);
    buf.writeBigInt64LE(BigInt(n));
    return buf;
  },
  fromJSON: (v: number | string) => BigInt(v),
  toJSON: (n: bigint) => Number(n),
  isValid: (n: unknown) => typeof n === "bigint" || (typeof n === "number" && Number.isSafeInteger(n)),
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

export type AvroSchema = Record<string, unknown> | string | unknown[];
export type AvroRecord = Record<string, unknown>;

function typeFor(schema: AvroSchema): avro.Type {
  return avro.Type.forSchema(schema as avro.Schema, {
    registry: { long: BigLong } as unknown as Record<string, avro.Type>,
  });
}

export async function encodeContainer(
  schema: AvroSchema,
  records: readonly AvroRecord[],
  metadata: Readonly<Record<string, string>>,
): Promise<Uint8Array> {
  const type = typeFor(schema);
  const meta: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(metadata)) meta[k] = Buffer.from(v, "utf8");
  // The header is written lazily ("auto"), after we swap in the original schema JSON below.
  const encoderOptions = { codec: "deflate", metadata: meta, writeHeader: "auto" };
  const encoder = new avro.streams.BlockEncoder(
    type,
    encoderOptions as unknown as ConstructorParameters<typeof avro.streams.BlockEncoder>[1],
  );
  // Overwrite the header schema with the original JSON (keeps field-id etc.).
  (encoder as unknown as { _schema: AvroSchema })._schema = schema;
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    encoder.on("data", (c: Buffer) => chunks.push(c));
    encoder.on("end", resolve);
    encoder.on("error", reject);
  });
  for (const r of records) {
    if (!type.isValid(r)) {
      const paths: string[] = [];
      type.isValid(r, { errorHook: (p: string[]) => paths.push(p.join(".")) });
      throw new IcebergError("invalid-data", `avro record does not match schema at ${paths.join(", ")}`);
    }
    encoder.write(r);
  }
  // "auto" writes no header for an empty file; force it so the file is still valid Avro.
  if (records.length === 0) (encoder as unknown as { _writeHeader(): void })._writeHeader();
  encoder.end();
  await done;
  return new Uint8Array(Buffer.concat(chunks));
}

export async function decodeContainer(
  bytes: Uint8Array,
  file: string,
): Promise<{ metadata: Record<string, string>; records: AvroRecord[] }> {
  const records: AvroRecord[] = [];
  let metadata: Record<string, string> | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const decoder = new avro.streams.BlockDecoder({ parseHook: (s: avro.Schema) => typeFor(s as AvroSchema) });
      decoder.on("metadata", (_type: avro.Type, _codec: string, header: { meta: Record<string, Buffer> }) => {
        metadata = Object.fromEntries(Object.entries(header.meta).map(([k, v]) => [k, v.toString("utf8")]));
      });
      decoder.on("data", (r: AvroRecord) => records.push(r));
      decoder.on("end", resolve);
      decoder.on("error", reject);
      Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]).pipe(decoder);
    });
  } catch (e) {
    throw new IcebergError("corrupt-metadata", `unreadable avro file: ${(e as Error).message}`, { file, cause: e });
  }
  // avsc ends quietly on a truncated header; a valid container always has one with a schema.
  if (metadata === undefined || metadata["avro.schema"] === undefined)
    throw new IcebergError("corrupt-metadata", "unreadable avro file: truncated or missing header", { file });
  return { metadata, records };
}
