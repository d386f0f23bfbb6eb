// Scan planning: table-of-cases on hand-built file descriptions, then a check against an
// independent reader — DuckDB reads every skipped file and must find no matching row, and
// the kept files must hold every matching row.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeAddress } from "../flows/ip.ts";
import { FileObjectStore } from "../io/file-store.ts";
import type { DataFile } from "../manifest/data-file.ts";
import { toBytes } from "../spec/conversions.ts";
import { bindPartitionSpec, type PartitionSpec } from "../spec/partition.ts";
import { parseTransform } from "../spec/transforms.ts";
import type { Schema } from "../spec/types.ts";
import { type Row, rowsToBatch } from "../testing/rows.ts";
import { DataFileWriter } from "../write/data-file-writer.ts";
import { and, type Filter, inCidr, or, timeRange } from "./filter.ts";
import { planScan } from "./plan.ts";

const schema: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: "ts", required: true, type: "timestamptz" },
    { id: 6, name: "src_addr", required: false, type: "binary" },
    { id: 9, name: "dst_port", required: false, type: "int" },
  ],
};
const DAY = 86_400_000_000n;
const spec: PartitionSpec = {
  specId: 0,
  fields: [{ sourceId: 1, fieldId: 1000, name: "ts_day", transform: parseTransform("day") }],
};
const parts = bindPartitionSpec(spec, schema);

function file(
  name: string,
  day: number,
  ts: [bigint, bigint],
  addr: [string, string] | null,
  port: [number, number],
  nulls = 0,
): DataFile {
  return {
    content: 0,
    filePath: name,
    fileFormat: "PARQUET",
    specId: 0,
    partition: [day],
    recordCount: 10,
    fileSizeInBytes: 1000,
    columnSizes: new Map(),
    valueCounts: new Map([
      [1, 10],
      [6, 10],
      [9, 10],
    ]),
    nullValueCounts: new Map([
      [1, 0],
      [6, addr ? nulls : 10],
      [9, 0],
    ]),
    nanValueCounts: new Map(),
    lowerBounds: new Map([
      [1, toBytes("timestamptz", ts[0])],
      [9, toBytes("int", port[0])],
      ...(addr ? [[6, encodeAddress(addr[0])] as const] : []),
    ]),
    upperBounds: new Map([
      [1, toBytes("timestamptz", ts[1])],
      [9, toBytes("int", port[1])],
      ...(addr ? [[6, encodeAddress(addr[1])] as const] : []),
    ]),
  };
}

const files = [
  file("a", 0, [0n, DAY - 1n], ["10.0.0.1", "10.0.0.200"], [1, 100]),
  file("b", 1, [DAY, 2n * DAY - 1n], ["192.168.0.1", "192.168.255.1"], [443, 443]),
  file("c", 1, [DAY + 5n, DAY + 10n], ["2001:db8::1", "2001:db8::ff"], [53, 80], 3),
  file("d", 2, [2n * DAY, 2n * DAY + 100n], null, [1000, 2000]),
];

describe("planScan (pure)", () => {
  it.each<[string, Filter, string[]]>([
    ["everything", { op: "true" }, ["a", "b", "c", "d"]],
    ["one day by time range", timeRange("ts", DAY, 2n * DAY), ["b", "c"]],
    ["exclusive end at a day boundary", timeRange("ts", 0n, DAY), ["a"]],
    ["time range inside a file's bounds", timeRange("ts", DAY + 100n, DAY + 200n), ["b"]],
    ["IPv4 CIDR", inCidr("src_addr", "10.0.0.0/8"), ["a"]],
    ["IPv4 /16", inCidr("src_addr", "192.168.0.0/16"), ["b"]],
    ["IPv6 CIDR", inCidr("src_addr", "2001:db8::/32"), ["c"]],
    ["all-null column never matches a range", inCidr("src_addr", "0.0.0.0/0"), ["a", "b"]],
    ["is null", { op: "is-null", column: "src_addr" }, ["c", "d"]],
    ["port equality", { op: "eq", column: "dst_port", value: 443 }, ["b"]],
    ["and", and(timeRange("ts", DAY, 3n * DAY), { op: "eq", column: "dst_port", value: 53 }), ["c"]],
    ["or", or(inCidr("src_addr", "10.0.0.0/8"), { op: "eq", column: "dst_port", value: 1500 }), ["a", "d"]],
    ["unknown column keeps everything", { op: "eq", column: "nope", value: 1 }, ["a", "b", "c", "d"]],
  ])("%s", (_n, filter, want) => {
    const plan = planScan(schema, [{ partitionFields: parts, files }], filter);
    expect(plan.files.map((f) => f.filePath)).toEqual(want);
    expect(plan.skippedFiles).toBe(4 - want.length);
    expect(plan.skippedBytes).toBe((4 - want.length) * 1000);
  });

  it("partition pruning works without column bounds", () => {
    const bare = files.map((f) => ({ ...f, lowerBounds: new Map(), upperBounds: new Map() }));
    const plan = planScan(schema, [{ partitionFields: parts, files: bare }], timeRange("ts", 2n * DAY, 3n * DAY));
    expect(plan.files.map((f) => f.filePath)).toEqual(["d"]);
  });
});

describe("planScan against real files, checked by DuckDB", () => {
  let dir = "";
  let written: DataFile[] = [];
  const rows: Row[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "scan-"));
    const w = new DataFileWriter({
      store: new FileObjectStore(),
      schema,
      spec,
      sortOrder: {
        orderId: 1,
        fields: [{ sourceId: 1, transform: parseTransform("identity"), direction: "asc", nullOrder: "nulls-first" }],
      },
      dataLocation: `${dir}/data`,
      rowGroupRows: 500,
      targetFileSizeBytes: 4000,
    });
    for (let i = 0; i < 6000; i++) {
      // Address blocks drift with time, so CIDR filters prune by bounds.
      const block = Math.floor(i / 1000);
      rows.push({
        ts: BigInt(i) * 60_000_000n,
        src_addr:
          i % 17 === 0
            ? null
            : encodeAddress(block % 2 ? `2001:db8:${block}::${i % 500}` : `10.${block}.${(i >> 4) % 256}.${i % 256}`),
        dst_port: (i * 31) % 1024,
      });
    }
    await w.write(rowsToBatch(schema, rows));
    written = await w.close();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each<[string, Filter, string]>([
    [
      "time range",
      timeRange("ts", 1_000n * 60_000_000n, 1_500n * 60_000_000n),
      "ts >= make_timestamp(60000000000) AND ts < make_timestamp(90000000000)",
    ],
    ["IPv4 /16", inCidr("src_addr", "10.2.0.0/16"), "src_addr BETWEEN from_hex('$lo') AND from_hex('$hi')"],
    ["IPv6 /48", inCidr("src_addr", "2001:db8:3::/48"), "src_addr BETWEEN from_hex('$lo') AND from_hex('$hi')"],
  ])("%s: skipped files hold no matching row; kept files hold them all", async (_n, filter, sqlTemplate) => {
    expect(written.length).toBeGreaterThan(4);
    const plan = planScan(schema, [{ partitionFields: parts, files: written }], filter);
    expect(plan.skippedFiles).toBeGreaterThan(0);
    let sql = sqlTemplate;
    if (filter.op === "range" && filter.min instanceof Uint8Array && filter.max instanceof Uint8Array) {
      sql = sql
        .replace("$lo", Buffer.from(filter.min).toString("hex"))
        .replace("$hi", Buffer.from(filter.max).toString("hex"));
    }
    const db = await DuckDBInstance.create(":memory:");
    const con = await db.connect();
    const count = async (paths: string[]): Promise<number> => {
      if (paths.length === 0) return 0;
      const list = paths.map((p) => `'${p}'`).join(",");
      const r = await con.runAndReadAll(`SELECT count(*)::INTEGER FROM read_parquet([${list}]) WHERE ${sql}`);
      return Number(r.getRows()[0]![0]);
    };
    const kept = new Set(plan.files.map((f) => f.filePath));
    const all = await count(written.map((f) => f.filePath));
    expect(all).toBeGreaterThan(0);
    expect(await count(written.filter((f) => !kept.has(f.filePath)).map((f) => f.filePath))).toBe(0);
    expect(await count([...kept])).toBe(all);
    con.closeSync();
  });
});
