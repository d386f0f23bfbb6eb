// The writer's data-file descriptions checked against pyarrow (Arrow C++) reading the same
// files: exact size, rows, per-column compressed sizes, null counts, min/max, field ids,
// split offsets, zstd; plus splitting at the target size and sorting.
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeAddress } from "../flows/ip.ts";
import { FileObjectStore } from "../io/file-store.ts";
import type { JsonValue } from "../json/exact-json.ts";
import type { DataFile } from "../manifest/data-file.ts";
import { fromBytes } from "../spec/conversions.ts";
import { type SortOrder, UNPARTITIONED } from "../spec/partition.ts";
import { parseTransform } from "../spec/transforms.ts";
import type { PrimitiveType, Schema } from "../spec/types.ts";
import { runPythonScript } from "../testing/python.ts";
import { normalizeRows, type Row, rowsToBatch, sortRows } from "../testing/rows.ts";
import { DataFileWriter } from "./data-file-writer.ts";
import type { EncoderChoice } from "./parquet-encoder.ts";

const schema: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: "ts", required: true, type: "timestamptz" },
    { id: 3, name: "addr", required: false, type: "binary" },
    { id: 4, name: "port", required: false, type: "int" },
    { id: 5, name: "bytes", required: false, type: "long" },
    { id: 6, name: "rate", required: false, type: "double" },
    { id: 7, name: "name", required: false, type: "string" },
  ],
};
const byTs: SortOrder = {
  orderId: 1,
  fields: [{ sourceId: 1, transform: parseTransform("identity"), direction: "asc", nullOrder: "nulls-first" }],
};

function rows(n: number, shuffle: boolean): Row[] {
  const out: Row[] = [];
  for (let i = 0; i < n; i++) {
    const k = shuffle ? (i * 7919) % n : i;
    out.push({
      ts: 1_700_000_000_000_000n + BigInt(k) * 1_000_000n,
      addr:
        k % 10 === 0 ? null : encodeAddress(k % 3 ? `10.0.${k % 256}.${(k * 7) % 256}` : `2001:db8::${k.toString(16)}`),
      port: k % 7 === 0 ? null : (k * 13) % 65536,
      bytes: BigInt(k) * 1500n,
      rate: k % 5 === 0 ? null : k / 3,
      name: k % 4 === 0 ? null : `host-${k % 97}`,
    });
  }
  return out;
}

interface PyFile {
  path: string;
  size: number;
  rows: number;
  row_groups: number;
  compression: string;
  split_offsets: number[];
  columns: Record<
    string,
    {
      field_id: number;
      size: number;
      nulls: number;
      min: JsonValue;
      max: JsonValue;
      data_min: JsonValue;
      data_max: JsonValue;
    }
  >;
  data: JsonValue[];
}

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "writer-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function write(
  encoder: EncoderChoice,
  name: string,
  input: Row[],
  opts: {
    target?: number;
    rowGroupRows?: number;
    sort?: SortOrder;
    stats?: "all" | "sort-and-partition";
    pageVersion?: 1 | 2;
  } = {},
) {
  const w = new DataFileWriter({
    encoder,
    store: new FileObjectStore(),
    schema,
    spec: UNPARTITIONED,
    sortOrder: opts.sort ?? byTs,
    dataLocation: `${dir}/${name}`,
    rowGroupRows: opts.rowGroupRows ?? 1000,
    ...(opts.target ? { targetFileSizeBytes: opts.target } : {}),
    ...(opts.stats ? { parquetStatistics: opts.stats } : {}),
    ...(opts.pageVersion ? { parquetDataPageVersion: opts.pageVersion } : {}),
  });
  // Several input batches, as the archiver streams them.
  for (let i = 0; i < input.length; i += 700) await w.write(rowsToBatch(schema, input.slice(i, i + 700)));
  return await w.close();
}

/**
 * A Parquet file up to its footer: every page. The two encoders' footers differ (arrow-rs
 * 60.1.0 built natively, 59.3.0 in parquet-wasm 0.8.0): the same encoding statistics listed in
 * another order, and floating-point columns' statistics declared in IEEE 754 total order.
 */
async function pages(path: string): Promise<Buffer> {
  const file = await readFile(path);
  return file.subarray(0, file.byteLength - 8 - file.readUInt32LE(file.byteLength - 8));
}

function boundToJson(type: PrimitiveType, b: Uint8Array | undefined): JsonValue {
  if (!b) return null;
  const v = fromBytes(type, b);
  if (v instanceof Uint8Array) return Buffer.from(v).toString("hex");
  if (typeof v === "bigint") return Number(v);
  return v as JsonValue;
}

// The same suite for both encoders: arrow-rs built natively and as parquet-wasm.
describe.each(["native", "wasm"] as const)("%s encoder", (encoder) => {
  describe("DataFileWriter metrics against pyarrow", () => {
    let files: DataFile[] = [];
    let py: PyFile[] = [];
    beforeAll(async () => {
      // pyarrow's reference min/max/null counts come from Parquet statistics (written for all columns by default).
      files = await write(encoder, `${encoder}-metrics`, rows(5000, false), { rowGroupRows: 1000 });
      py = (await runPythonScript("parquet_stats.py", { files: files.map((f) => f.filePath) })) as unknown as PyFile[];
    });

    it("one zstd file with field ids, exact size/rows/split offsets", async () => {
      expect(files).toHaveLength(1);
      const f = files[0]!;
      const p = py[0]!;
      expect(p.compression).toBe("ZSTD");
      expect(f.fileSizeInBytes).toBe(p.size);
      expect(f.fileSizeInBytes).toBe((await stat(f.filePath)).size);
      expect(f.recordCount).toBe(p.rows);
      expect(p.row_groups).toBe(5);
      expect(f.splitOffsets).toEqual(p.split_offsets);
      for (const field of schema.fields) expect(p.columns[field.name]?.field_id, field.name).toBe(field.id);
      expect(f.sortOrderId).toBe(1);
    });

    it("column sizes, value/null counts and bounds equal what pyarrow reads", () => {
      const f = files[0]!;
      const p = py[0]!;
      for (const field of schema.fields) {
        const c = p.columns[field.name]!;
        expect(f.columnSizes.get(field.id), `size ${field.name}`).toBe(c.size);
        expect(f.valueCounts.get(field.id), `values ${field.name}`).toBe(5000);
        expect(f.nullValueCounts.get(field.id), `nulls ${field.name}`).toBe(c.nulls);
        const type = field.type as PrimitiveType;
        // arrow-rs 60 (native) declares IEEE 754 total order for floating-point statistics,
        // which pyarrow 26 does not use: compare those with the minimum and maximum Arrow C++
        // computes from the values; wherever pyarrow has statistics they must agree too.
        const floating = type === "float" || type === "double";
        expect(boundToJson(type, f.lowerBounds.get(field.id)), `min ${field.name}`).toEqual(
          floating ? c.data_min : c.min,
        );
        expect(boundToJson(type, f.upperBounds.get(field.id)), `max ${field.name}`).toEqual(
          floating ? c.data_max : c.max,
        );
        if (c.min !== null) expect([c.min, c.max], `statistics ${field.name}`).toEqual([c.data_min, c.data_max]);
      }
      expect(f.nanValueCounts.get(6)).toBe(0);
    });

    it("statistics on sort/partition columns only, data page v2: same rows, same Iceberg metrics", async () => {
      const input = rows(5000, false);
      const opts = { rowGroupRows: 1000, stats: "sort-and-partition", pageVersion: 2 } as const;
      const d = (await write(encoder, `${encoder}-lean-stats`, input, opts))[0]!;
      const p = ((await runPythonScript("parquet_stats.py", { files: [d.filePath] })) as unknown as PyFile[])[0]!;
      const f = files[0]!;
      expect(d.valueCounts).toEqual(f.valueCounts);
      expect(d.nullValueCounts).toEqual(f.nullValueCounts);
      expect(d.lowerBounds).toEqual(f.lowerBounds);
      expect(d.upperBounds).toEqual(f.upperBounds);
      expect(p.columns.ts?.min).toEqual(py[0]!.columns.ts?.min);
      expect(p.columns.bytes?.min ?? null).toBeNull();
      expect(sortRows(p.data)).toEqual(normalizeRows(schema, input));
    });

    it("pyarrow reads back exactly the rows", () => {
      expect(sortRows(py[0]!.data)).toEqual(normalizeRows(schema, rows(5000, false)));
    });
  });

  describe("DataFileWriter behaviour", () => {
    it("splits at the target file size, rows intact", async () => {
      const input = rows(20_000, false);
      const files = await write(encoder, `${encoder}-split`, input, { target: 40_000, rowGroupRows: 1000 });
      expect(files.length).toBeGreaterThan(2);
      expect(files.reduce((s, f) => s + f.recordCount, 0)).toBe(20_000);
      const py = (await runPythonScript("parquet_stats.py", {
        files: files.map((f) => f.filePath),
      })) as unknown as PyFile[];
      expect(sortRows(py.flatMap((p) => p.data))).toEqual(normalizeRows(schema, input));
      py.forEach((p, i) => {
        expect(p.size).toBe(files[i]!.fileSizeInBytes);
        expect(p.rows).toBe(files[i]!.recordCount);
      });
      // Files are consecutive time ranges (input was in order): bounds do not overlap.
      for (let i = 1; i < files.length; i++) {
        const prevMax = fromBytes("timestamptz", files[i - 1]!.upperBounds.get(1)!) as bigint;
        const min = fromBytes("timestamptz", files[i]!.lowerBounds.get(1)!) as bigint;
        expect(min > prevMax).toBe(true);
      }
    });

    it("sorts each row group; a file is marked sorted only when it is", async () => {
      const single = await write(encoder, `${encoder}-sorted`, rows(900, true), { rowGroupRows: 1000 });
      const p = (
        (await runPythonScript("parquet_stats.py", { files: [single[0]!.filePath] })) as unknown as PyFile[]
      )[0]!;
      const ts = p.data.map((r) => (r as JsonValue[])[0] as number);
      expect([...ts].sort((a, b) => a - b)).toEqual(ts);
      expect(single[0]!.sortOrderId).toBe(1);
      // Shuffled input over several row groups: each group sorted, the file as a whole is not.
      const multi = await write(encoder, `${encoder}-unsorted`, rows(3000, true), { rowGroupRows: 1000 });
      expect(multi[0]!.sortOrderId).toBeUndefined();
    });
  });

  it("metrics from the footer's statistics equal metrics computed from the rows", async () => {
    const wide: Schema = {
      schemaId: 0,
      fields: [
        { id: 1, name: "ts", required: true, type: "timestamptz" },
        { id: 2, name: "flag", required: false, type: "boolean" },
        { id: 3, name: "day", required: false, type: "date" },
        { id: 4, name: "at", required: false, type: "time" },
        { id: 5, name: "n", required: false, type: "int" },
        { id: 6, name: "big", required: false, type: "long" },
        { id: 7, name: "text", required: false, type: "string" },
        { id: 8, name: "blob", required: false, type: "binary" },
        { id: 9, name: "local", required: false, type: "timestamp" },
      ],
    };
    // Row groups of 500: the second is all nulls in every optional column; strings and
    // binaries longer than the 64 bytes arrow-rs keeps of a statistic; negative numbers.
    const input: Row[] = Array.from({ length: 2000 }, (_, k) => {
      const none = k >= 500 && k < 1000;
      return {
        ts: 1_700_000_000_000_000n + BigInt(k) * 1_000_000n,
        flag: none ? null : k % 3 === 0,
        day: none ? null : -400 + ((k * 37) % 900),
        at: none ? null : BigInt((k * 7919) % 86_400) * 1_000_000n,
        n: none ? null : ((k * 7919) % 20_001) - 10_000,
        big: none ? null : BigInt((k * 104_729) % 1_000_003) * -9_000_000_000n + 7n,
        text: none ? null : `${"é€𝄞".repeat(k % 40)}-${k % 97}`,
        blob: none ? null : Uint8Array.from({ length: (k % 90) + 1 }, (_, j) => (k * 31 + j * 7) % 256),
        local: none ? null : BigInt(k - 1000) * 86_400_000_000n,
      };
    });
    const writeWide = async (tag: string, metricsFromRows: boolean): Promise<DataFile> => {
      const w = new DataFileWriter({
        encoder,
        store: new FileObjectStore(),
        schema: wide,
        spec: UNPARTITIONED,
        sortOrder: byTs,
        dataLocation: `file://${dir}/${encoder}-${tag}`,
        rowGroupRows: 500,
        metricsFromRows,
      });
      for (let i = 0; i < input.length; i += 300) await w.write(rowsToBatch(wide, input.slice(i, i + 300)));
      return (await w.close())[0]!;
    };
    const fromFooter = await writeWide("footer-metrics", false);
    const fromRows = await writeWide("row-metrics", true);
    expect(fromFooter.nullValueCounts.get(2)).toBe(500);
    expect(fromFooter.valueCounts).toEqual(fromRows.valueCounts);
    expect(fromFooter.nullValueCounts).toEqual(fromRows.nullValueCounts);
    expect(fromFooter.lowerBounds).toEqual(fromRows.lowerBounds);
    expect(fromFooter.upperBounds).toEqual(fromRows.upperBounds);
    expect(fromFooter.lowerBounds.size).toBe(9);
  });

  it("writes the same pages and metrics as the other encoder", async () => {
    const other = encoder === "native" ? "wasm" : "native";
    const input = rows(5000, true);
    const [mine] = await write(encoder, `${encoder}-same-a`, input, { rowGroupRows: 1000 });
    const [theirs] = await write(other, `${encoder}-same-b`, input, { rowGroupRows: 1000 });
    expect((await pages(mine!.filePath)).equals(await pages(theirs!.filePath))).toBe(true);
    const same = { filePath: "", fileSizeInBytes: 0 }; // the footers' sizes differ
    expect({ ...mine, ...same }).toEqual({ ...theirs, ...same });
  });
});

// Ties on the sort key grouped by more columns (native encoder): the same rows, still sorted by
// the sort order, each tie's rows grouped, the same Iceberg metrics — read back by pyarrow.
describe("grouping ties (native encoder)", () => {
  // 60 seconds of 50 flows each, arriving with addresses and ports interleaved (nulls included).
  const tied = (): Row[] =>
    Array.from({ length: 3000 }, (_, i) => ({
      ts: 1_700_000_000_000_000n + BigInt(Math.floor(i / 50)) * 1_000_000n,
      addr: i % 6 === 5 ? null : encodeAddress(i % 3 ? `10.0.0.${i % 5}` : `2001:db8::${i % 5}`),
      port: i % 9 === 4 ? null : 20 + (i % 4),
      bytes: BigInt(i) * 1500n,
      rate: i / 7,
      name: `host-${i % 11}`,
    }));
  const readBack = async (files: DataFile[]) =>
    ((await runPythonScript("parquet_stats.py", { files: files.map((f) => f.filePath) })) as unknown as PyFile[])[0]!;

  const groupingWriter = (name: string, rowGroupRows: number, clusterTiesBy: string[]) =>
    new DataFileWriter({
      encoder: "native",
      store: new FileObjectStore(),
      schema,
      spec: UNPARTITIONED,
      sortOrder: byTs,
      dataLocation: `${dir}/${name}`,
      rowGroupRows,
      clusterTiesBy,
    });

  it("writes the same rows in sort order with each tie grouped, and the same metrics", async () => {
    const input = tied();
    const plain = await write("native", "ties-plain", input, { rowGroupRows: 1000 });
    const w = groupingWriter("ties-grouped", 1000, ["addr", "port"]);
    for (let i = 0; i < input.length; i += 700) await w.write(rowsToBatch(schema, input.slice(i, i + 700)));
    const grouped = await w.close();
    const p = await readBack(grouped);
    expect(sortRows(p.data)).toEqual(normalizeRows(schema, input));
    const [g, u] = [grouped[0]!, plain[0]!];
    expect(g.sortOrderId).toBe(1);
    expect(g.valueCounts).toEqual(u.valueCounts);
    expect(g.nullValueCounts).toEqual(u.nullValueCounts);
    expect(g.lowerBounds).toEqual(u.lowerBounds);
    expect(g.upperBounds).toEqual(u.upperBounds);
    // In file order: time never goes back, and within a second (inside one input batch of 700
    // rows: batches are grouped separately) an address, then a port under it, is one block.
    const rowsRead = p.data as JsonValue[][];
    const key = (r: JsonValue[], n: number) => JSON.stringify(r.slice(1, 1 + n));
    let blocksAddr = 0;
    let blocksPort = 0;
    for (let i = 0; i < rowsRead.length; i++) {
      const r = rowsRead[i]!;
      const prev = rowsRead[i - 1];
      if (prev !== undefined) expect(Number(r[0]) >= Number(prev[0])).toBe(true);
      const fresh = prev === undefined || prev[0] !== r[0] || i % 700 === 0;
      if (fresh || key(prev!, 1) !== key(r, 1)) blocksAddr++;
      if (fresh || key(prev!, 2) !== key(r, 2)) blocksPort++;
    }
    // Per second at most 11 address values (5 + 5 + null) and 5 ports each; arrival order
    // would start a new block nearly every row.
    const seconds = 60 + 5; // seconds, plus the batches cutting one
    expect(blocksAddr).toBeLessThanOrEqual(seconds * 11);
    expect(blocksPort).toBeLessThanOrEqual(seconds * 11 * 5);
    const arrival = normalizeRows(schema, input).length; // every row its own block, ungrouped
    expect(blocksAddr).toBeLessThan(arrival / 3);
  });

  it("numbers 255 values of a grouping column per batch; rows with further values keep their order", async () => {
    // Two seconds of 1,000 flows with 300 names in one batch: host-0 … host-254 are numbered,
    // host-255 … host-299 share the last number.
    const input: Row[] = Array.from({ length: 2000 }, (_, i) => ({
      ts: 1_700_000_000_000_000n + BigInt(Math.floor(i / 1000)) * 1_000_000n,
      addr: null,
      port: null,
      bytes: BigInt(i),
      rate: null,
      name: `host-${i % 300}`,
    }));
    const w = groupingWriter("ties-many", 2000, ["name"]);
    await w.write(rowsToBatch(schema, input));
    const p = await readBack(await w.close());
    expect(sortRows(p.data)).toEqual(normalizeRows(schema, input));
    const names = schema.fields.findIndex((f) => f.name === "name");
    const bytes = schema.fields.findIndex((f) => f.name === "bytes");
    for (const second of [0, 1]) {
      const rowsOf = (p.data as JsonValue[][]).slice(second * 1000, second * 1000 + 1000);
      const numbered = (r: JsonValue[]) => Number(String(r[names]).slice(5)) < 255;
      // The numbered names first, each one block; then the rest in arrival order (bytes = row).
      const head = rowsOf.filter(numbered);
      const tail = rowsOf.filter((r) => !numbered(r));
      expect(rowsOf.slice(0, head.length)).toEqual(head);
      expect(new Set(head.map((r) => r[names])).size).toBe(255);
      let blocks = 0;
      head.forEach((r, i) => {
        if (i === 0 || r[names] !== head[i - 1]![names]) blocks++;
      });
      expect(blocks).toBe(255);
      const order = tail.map((r) => Number(r[bytes]));
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
  });

  it("is refused for a column the schema lacks, and ignored by parquet-wasm", async () => {
    const options = {
      store: new FileObjectStore(),
      schema,
      spec: UNPARTITIONED,
      sortOrder: byTs,
      dataLocation: `${dir}/ties-bad`,
    };
    expect(() => new DataFileWriter({ ...options, encoder: "native", clusterTiesBy: ["nope"] })).toThrow(/nope/);
    const input = tied();
    const w = new DataFileWriter({ ...options, encoder: "wasm", rowGroupRows: 1000, clusterTiesBy: ["addr"] });
    for (let i = 0; i < input.length; i += 700) await w.write(rowsToBatch(schema, input.slice(i, i + 700)));
    const [wasm] = await w.close();
    const [plain] = await write("native", "ties-plain-2", input, { rowGroupRows: 1000 });
    expect((await pages(wasm!.filePath)).equals(await pages(plain!.filePath))).toBe(true);
  });
});
