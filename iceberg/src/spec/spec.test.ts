// Checks the spec model against the Iceberg spec's own vectors (appendix B "32-bit Hash
// Requirements", partition transform examples, appendix D single-value serialization).
import { describe, expect, it } from "vitest";
import { IcebergError } from "../errors.ts";
import { parseJson, stringifyJson } from "../json/exact-json.ts";
import { bigIntToTwosComplement, fromBytes, toBytes, twosComplementToBigInt, uuidToBytes } from "./conversions.ts";
import { metadataFromJson, metadataToJson } from "./metadata.ts";
import { murmur3_32 } from "./murmur3.ts";
import { applyTransform, bucketHash, parseTransform } from "./transforms.ts";
import { validateSchema } from "./types.ts";

const micros = (iso: string): bigint => BigInt(Date.parse(iso)) * 1000n;
const days = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;

describe("bucket hash (spec appendix B vectors)", () => {
  it.each([
    ["int 34", bucketHash("int", 34), 2017239379],
    ["long 34", bucketHash("long", 34n), 2017239379],
    ["decimal 14.20", bucketHash("decimal(4,2)", 1420n), -500754589],
    ["date 2017-11-16", bucketHash("date", days("2017-11-16")), -653330422],
    ["time 22:31:08", bucketHash("time", (22n * 3600n + 31n * 60n + 8n) * 1_000_000n), -662762989],
    ["timestamp 2017-11-16T22:31:08", bucketHash("timestamp", micros("2017-11-16T22:31:08Z")), -2047944441],
    [
      "timestamptz 2017-11-16T14:31:08-08:00",
      bucketHash("timestamptz", micros("2017-11-16T14:31:08-08:00")),
      -2047944441,
    ],
    ["string iceberg", bucketHash("string", "iceberg"), 1210000089],
    ["uuid", bucketHash("uuid", uuidToBytes("f79c3e09-677c-4bbd-a479-3f349cb785e7")), 1488055340],
    ["fixed 00010203", bucketHash("fixed[4]", Uint8Array.of(0, 1, 2, 3)), -188683207],
    ["binary 00010203", bucketHash("binary", Uint8Array.of(0, 1, 2, 3)), -188683207],
  ])("%s", (_name, got, want) => {
    expect(got).toBe(want);
  });

  it("murmur3 of the empty input and odd tails", () => {
    // Reference values of MurmurHash3_x86_32 with seed 0 (Guava Hashing.murmur3_32_fixed).
    expect(murmur3_32(new Uint8Array(0))).toBe(0);
    expect(murmur3_32(new TextEncoder().encode("a"))).toBe(1009084850);
    expect(murmur3_32(new TextEncoder().encode("abc"))).toBe(-1277324294);
  });

  it("bucket[N] is (hash & MAX_INT) % N", () => {
    expect(applyTransform(parseTransform("bucket[16]"), "int", 34)).toBe((2017239379 & 0x7fffffff) % 16);
    expect(applyTransform(parseTransform("bucket[100]"), "string", "iceberg")).toBe(1210000089 % 100);
  });
});

describe("time transforms floor before 1970", () => {
  const ts = micros("2017-11-16T22:31:08Z");
  const before = micros("1969-12-31T23:59:59.999Z");
  it.each([
    ["year", ts, 47],
    ["month", ts, 574],
    ["day", ts, 17486],
    ["hour", ts, 17486 * 24 + 22],
    ["year", before, -1],
    ["month", before, -1],
    ["day", before, -1],
    ["hour", before, -1],
    ["day", micros("1969-12-31T00:00:00Z"), -1],
    ["day", micros("1969-12-30T23:59:59Z"), -2],
    ["month", micros("1969-01-01T00:00:00Z"), -12],
    ["year", micros("1900-06-01T00:00:00Z"), -70],
  ])("%s(%s) = %s", (t, v, want) => {
    expect(applyTransform(parseTransform(t), "timestamptz", v)).toBe(want);
  });
  it("date sources", () => {
    expect(applyTransform(parseTransform("day"), "date", -1)).toBe(-1);
    expect(applyTransform(parseTransform("month"), "date", -1)).toBe(-1);
    expect(applyTransform(parseTransform("year"), "date", days("2017-11-16"))).toBe(47);
  });
});

describe("truncate (spec examples)", () => {
  it.each([
    ["int", 1, 10, 0],
    ["int", -1, 10, -10],
    ["long", 1n, 10, 0n],
    ["long", -1n, 10, -10n],
    ["decimal(9,2)", 1065n, 50, 1050n],
    ["string", "iceberg", 3, "ice"],
    ["string", "i😀eberg", 2, "i😀"],
  ] as const)("truncate[%s] %s w=%s", (type, v, w, want) => {
    expect(applyTransform(parseTransform(`truncate[${w}]`), type, v)).toEqual(want);
  });
  it("binary", () => {
    expect(applyTransform(parseTransform("truncate[3]"), "binary", Uint8Array.of(1, 2, 3, 4))).toEqual(
      Uint8Array.of(1, 2, 3),
    );
  });
});

describe("single-value serialization (appendix D)", () => {
  it.each([
    ["boolean", true, [1]],
    ["int", 1, [1, 0, 0, 0]],
    ["int", -2, [0xfe, 0xff, 0xff, 0xff]],
    ["date", days("2017-11-16"), [0x4e, 0x44, 0, 0]],
    ["long", 1n, [1, 0, 0, 0, 0, 0, 0, 0]],
    ["timestamptz", -1n, [255, 255, 255, 255, 255, 255, 255, 255]],
    ["float", 1.0, [0, 0, 0x80, 0x3f]],
    ["double", 1.0, [0, 0, 0, 0, 0, 0, 0xf0, 0x3f]],
    ["string", "iceberg", [105, 99, 101, 98, 101, 114, 103]],
    ["decimal(9,2)", 1420n, [0x05, 0x8c]],
    ["decimal(9,2)", -1n, [0xff]],
    ["decimal(9,2)", 128n, [0x00, 0x80]],
    ["decimal(9,2)", -129n, [0xff, 0x7f]],
  ] as const)("%s %s", (type, v, bytes) => {
    const b = toBytes(type, v);
    expect([...b]).toEqual(bytes);
    expect(fromBytes(type, b)).toEqual(v);
  });
  it("two's complement round trip", () => {
    for (const v of [0n, 1n, -1n, 127n, 128n, -128n, -129n, 255n, 256n, 10n ** 30n, -(10n ** 30n)]) {
      expect(twosComplementToBigInt(bigIntToTwosComplement(v))).toBe(v);
    }
  });
});

describe("exact JSON", () => {
  it("keeps 64-bit ids exact", () => {
    const text = '{"a":9223372036854775807,"b":-9223372036854775808,"c":1.5,"d":12,"e":"x\\u00e9"}';
    const v = parseJson(text);
    expect(v).toEqual({ a: 9223372036854775807n, b: -9223372036854775808n, c: 1.5, d: 12, e: "xé" });
    expect(stringifyJson(v)).toBe('{"a":9223372036854775807,"b":-9223372036854775808,"c":1.5,"d":12,"e":"xé"}');
  });
  it("rejects garbage with a position", () => {
    expect(() => parseJson('{"a":1,}')).toThrow(/position 7/);
    expect(() => parseJson("[1 2]")).toThrow(/position/);
  });
});

describe("schemas and metadata", () => {
  it("rejects duplicate field ids", () => {
    expect(() =>
      validateSchema({
        schemaId: 0,
        fields: [
          { id: 1, name: "a", required: true, type: "int" },
          { id: 1, name: "b", required: true, type: "int" },
        ],
      }),
    ).toThrow(IcebergError);
  });

  const doc = (version: number, snapshotId = "7300000000000000123") => `{
    "format-version": ${version}, "table-uuid": "9c12d441-03fe-4693-9a96-a0705ddf69c1",
    "location": "s3://b/t", "last-sequence-number": 34, "last-updated-ms": 1602638573590,
    "last-column-id": 3, "current-schema-id": 1,
    "schemas": [{"type": "struct", "schema-id": 1, "fields": [
      {"id": 1, "name": "x", "required": true, "type": "long"},
      {"id": 2, "name": "m", "required": false, "type": {"type": "map", "key-id": 4, "key": "string", "value-id": 5, "value": "decimal(9, 2)", "value-required": false}},
      {"id": 3, "name": "l", "required": false, "type": {"type": "list", "element-id": 6, "element": "fixed[16]", "element-required": true}}]}],
    "default-spec-id": 0, "partition-specs": [{"spec-id": 0, "fields": [{"name": "x_bucket", "transform": "bucket[16]", "source-id": 1, "field-id": 1000}]}],
    "last-partition-id": 1000, "default-sort-order-id": 3,
    "sort-orders": [{"order-id": 3, "fields": [{"transform": "identity", "source-id": 1, "direction": "asc", "null-order": "nulls-first"}]}],
    "properties": {}, "current-snapshot-id": ${snapshotId},
    "snapshots": [{"snapshot-id": ${snapshotId}, "timestamp-ms": 1515100955770, "sequence-number": 34,
      "summary": {"operation": "append"}, "manifest-list": "s3://a/b/1.avro", "schema-id": 1}],
    "snapshot-log": [{"snapshot-id": ${snapshotId}, "timestamp-ms": 1515100955770}],
    "metadata-log": []}`;

  it("round-trips v2 metadata with exact snapshot ids", () => {
    const m = metadataFromJson(doc(2), "m.json");
    expect(m.currentSnapshotId).toBe(7300000000000000123n);
    expect(m.refs.main?.snapshotId).toBe(7300000000000000123n);
    const again = metadataFromJson(metadataToJson(m), "again.json");
    expect(again).toEqual(m);
    expect(metadataToJson(m)).toContain('"current-snapshot-id": 7300000000000000123');
  });

  it("names the file and the problem", () => {
    expect(() => metadataFromJson(doc(3), "v3.json")).toThrow(
      expect.objectContaining({ kind: "unsupported-format-version", file: "v3.json" }),
    );
    expect(() => metadataFromJson("{nope", "bad.json")).toThrow(
      expect.objectContaining({ kind: "corrupt-metadata", file: "bad.json" }),
    );
    expect(() => metadataFromJson(doc(2, "42").replace('"snapshot-id": 42,', '"snapshot-id": 43,'), "x.json")).toThrow(
      expect.objectContaining({ kind: "corrupt-metadata", file: "x.json" }),
    );
  });
});
