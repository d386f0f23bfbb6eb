// The export's fast canonical-text decoder against the generic text path
// (arrow-batch.ts: split, then BigInt/Number/Buffer per value), over edge
// cases: NULLs in every nullable column, int64 extremes and values beyond
// 2^53, negative numbers, int32 bounds, IPv4-mapped and IPv6 addresses, both
// booleans; and non-canonical texts are refused.
import { arrowSchema, flowTableSchema } from "@netflow/iceberg";
import { FLOW_COLUMNS } from "@netflow/schema";
import type * as A from "apache-arrow";
import { describe, expect, it } from "vitest";
import { splitCanonicalText } from "../hash/row-hash.ts";
import { rowsToRecordBatch } from "./arrow-batch.ts";
import { canonicalTextsToRecordBatch } from "./canonical-batch.ts";

const N = "\\N";
const SCHEMA = arrowSchema(flowTableSchema());

/** A canonical text from per-column values (by name; missing nullable columns are NULL). */
function text(values: Record<string, string>): string {
  return FLOW_COLUMNS.map((c) => values[c.name] ?? (c.nullable ? N : "0")).join("|");
}

const v4 = (hex8: string): string => `00000000000000000000ffff${hex8}`;

const TEXTS = [
  text({ ts: "0", exporter: v4("c0000201"), packets: "0", bytes: "0", sampling_rate: "1", ts_clamped: "f" }),
  text({
    ts: "1767225600123456",
    ts_end: "1767225605000000",
    exporter: "20010db8000000000000000000000001",
    in_if: "4294967295",
    out_if: "0",
    src_addr: v4("0a000001"),
    dst_addr: "ffffffffffffffffffffffffffffffff",
    src_port: "65535",
    dst_port: "0",
    proto: "6",
    tos: "255",
    tcp_flags: "255",
    packets: "9223372036854775807",
    bytes: "9007199254740993",
    src_as: "4294967295",
    dst_as: "0",
    sampling_rate: "1000",
    ts_clamped: "t",
  }),
  text({
    ts: "-62135596800000000",
    ts_end: "-1",
    exporter: "00000000000000000000000000000000",
    in_if: "-1",
    out_if: "-9223372036854775808",
    src_port: "-2147483648",
    dst_port: "2147483647",
    packets: "-9007199254740991",
    bytes: "9007199254740991",
    src_as: "-4294967296",
    dst_as: "4294967296",
    sampling_rate: "0",
    ts_clamped: "f",
  }),
];

const json = (b: A.RecordBatch): string =>
  JSON.stringify(
    b.toArray().map((r) => r.toJSON()),
    (_, v) => (typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v),
  );

describe("canonicalTextsToRecordBatch", () => {
  it("builds the same batch as the generic text path", () => {
    // Many rows, so NULLs and values land on every bit position of the bitmaps.
    const texts = Array.from({ length: 67 }, (_, i) => TEXTS[i % TEXTS.length]!);
    const fast = canonicalTextsToRecordBatch(texts, SCHEMA);
    const generic = rowsToRecordBatch(
      texts.map((t) => splitCanonicalText(t)),
      "hex",
    );
    expect(fast.numRows).toBe(67);
    expect(json(fast)).toBe(json(generic));
    expect(fast.getChild("packets")!.get(1)).toBe(9223372036854775807n);
    expect(fast.getChild("out_if")!.get(2)).toBe(-9223372036854775808n);
    expect(fast.getChild("bytes")!.get(1)).toBe(9007199254740993n);
    expect(fast.getChild("src_as")!.get(2)).toBe(-4294967296n);
    expect(fast.getChild("src_addr")!.get(0)).toBeNull();
  });

  it("refuses texts that are not canonical", () => {
    const ok = TEXTS[1]!;
    const bad = [
      ok.replace("|t", "|x"), // boolean
      ok.replace("65535", "65x35"), // digits
      ok.replace("65535", "2147483648"), // int32 range
      ok.replace("ffffffffffffffffffffffffffffffff", "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"), // lowercase hex
      ok.replace("ffffffffffffffffffffffffffffffff", "ffff"), // 16 bytes
      ok.slice(0, ok.lastIndexOf("|")), // a column short
      `${ok}|t`, // a column too many
      text({ ts: N, exporter: v4("c0000201"), packets: "0", bytes: "0", sampling_rate: "1", ts_clamped: "f" }), // NOT NULL
    ];
    for (const t of bad) expect(() => canonicalTextsToRecordBatch([t], SCHEMA), t).toThrow(/column/);
  });
});
