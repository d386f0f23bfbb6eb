// Truncated string/binary bounds: the spec's rules as a table of cases (vectors from Java's
// TestMetricsTruncation where they exist), a property check over random strings, the same
// inputs through PyIceberg's own writer code (StatsAggregator, truncate(16)), and scan pruning
// over files our writer produced with truncated bounds.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgQuery, SqlCatalog } from "../catalog/sql-catalog.ts";
import { FileObjectStore } from "../io/file-store.ts";
import type { JsonValue } from "../json/exact-json.ts";
import type { DataFile } from "../manifest/data-file.ts";
import { and, type Filter } from "../scan/filter.ts";
import { planScan } from "../scan/plan.ts";
import { fromBytes, toBytes } from "../spec/conversions.ts";
import { UNPARTITIONED, UNSORTED } from "../spec/partition.ts";
import type { Schema } from "../spec/types.ts";
import { fastAppend } from "../table/operations.ts";
import { createTable, loadTable } from "../table/table.ts";
import { writeDataFiles } from "../table/write.ts";
import { startTestPostgres, type TestPostgres } from "../testing/postgres.ts";
import { runPythonScript } from "../testing/python.ts";
import { normalizeRows, type Row, rowsToBatch, sortRows } from "../testing/rows.ts";
import {
  columnBounds,
  DEFAULT_TRUNCATE_LENGTH,
  truncateBinaryLower,
  truncateBinaryUpper,
  truncateStringLower,
  truncateStringUpper,
} from "./bounds.ts";
import { DataFileWriter } from "./data-file-writer.ts";

const utf8 = new TextEncoder();
const strict = new TextDecoder("utf-8", { fatal: true });
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const cmpBytes = (a: Uint8Array, b: Uint8Array): number => Buffer.compare(a, b);
const MAX = "\u{10FFFF}";

describe("spec rules", () => {
  // [input, length, lower, upper (undefined = no upper bound)]
  const strings: [string, number, string, string | undefined][] = [
    ["short", 16, "short", "short"],
    ["exactly-sixteen!", 16, "exactly-sixteen!", "exactly-sixteen!"],
    ["Iceberg is a table format", 5, "Icebe", "Icebf"],
    // Code points, not bytes or UTF-16 units: 3-byte katakana, 4-byte emoji (a surrogate pair in JS).
    ["イロハニホヘト", 2, "イロ", "イヮ"],
    ["😀😀😀", 2, "😀😀", "😀😁"],
    ["ab😀cd", 3, "ab😀", "ab😁"],
    // Carry: a maxed-out last code point is dropped and the one before it incremented.
    [`a${MAX}${MAX}b`, 3, `a${MAX}${MAX}`, "b"],
    [`${MAX}${MAX}x`, 2, `${MAX}${MAX}`, undefined],
    // U+D7FF increments past the surrogates to U+E000 (U+D800 is not encodable in UTF-8).
    ["\uD7FFa", 1, "\uD7FF", "\uE000"],
    ["x\uFFFFy", 2, "x\uFFFF", "x\u{10000}"],
  ];
  it.each(strings)("string %j truncated to %i", (s, n, lo, hi) => {
    expect(truncateStringLower(s, n)).toBe(lo);
    expect(truncateStringUpper(s, n)).toBe(hi);
  });

  const binaries: [number[], number, number[], number[] | undefined][] = [
    [[1, 1, 2], 2, [1, 1], [1, 2]],
    [[1, 1, 0xff, 2], 3, [1, 1, 0xff], [1, 2]],
    [[0xff, 0xff, 0xff, 2], 3, [0xff, 0xff, 0xff], undefined],
    [[1, 2], 2, [1, 2], [1, 2]],
    [[], 2, [], []],
  ];
  it.each(binaries)("binary %j truncated to %i", (b, n, lo, hi) => {
    expect([...truncateBinaryLower(Uint8Array.from(b), n)]).toEqual(lo);
    const up = truncateBinaryUpper(Uint8Array.from(b), n);
    expect(up && [...up]).toEqual(hi);
  });

  it("random strings: lower ≤ value < upper, both valid UTF-8 of at most 16 code points", () => {
    const alphabet = ["a", "z", "é", "\u07FF", "\uD7FF", "\uE000", "\uFFFF", "😀", MAX, "\u0000"];
    let seed = 42;
    const rnd = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let k = 0; k < 3000; k++) {
      const len = rnd(24);
      const s = Array.from({ length: len }, () => (rnd(4) === 0 ? MAX : alphabet[rnd(alphabet.length)]!)).join("");
      const value = utf8.encode(s);
      const { lower, upper } = columnBounds("string", s, s);
      expect(cmpBytes(lower!, value)).toBeLessThanOrEqual(0);
      expect([...strict.decode(lower!)].length).toBe(Math.min(16, [...s].length));
      // The lower bound is a byte prefix of the value, so no value with that prefix is below it.
      expect(hex(value).startsWith(hex(lower!))).toBe(true);
      if (upper === undefined) {
        expect([...s].slice(0, 16).every((c) => c === MAX)).toBe(true);
        continue;
      }
      const cps = [...strict.decode(upper)];
      expect(cps.length).toBeLessThanOrEqual(16);
      if ([...s].length <= 16) expect(hex(upper)).toBe(hex(value));
      else {
        expect(cmpBytes(upper, value)).toBeGreaterThan(0);
        // Greater than every string sharing the value's first 16 code points, not just the value.
        const prefixPlusMax = utf8.encode([...s].slice(0, 16).join("") + MAX.repeat(8));
        expect(cmpBytes(upper, prefixPlusMax)).toBeGreaterThan(0);
      }
    }
  });

  it("only string and binary are truncated; other types keep their exact encoding", () => {
    const long = Uint8Array.from({ length: 20 }, (_, i) => i);
    expect(columnBounds("fixed[20]", long, long)).toEqual({ lower: long, upper: long });
    const uuid = Uint8Array.from({ length: 16 }, (_, i) => 255 - i);
    expect(columnBounds("uuid", uuid, uuid)).toEqual({ lower: uuid, upper: uuid });
    expect(columnBounds("long", -5n, 9_007_199_254_740_993n)).toEqual({
      lower: toBytes("long", -5n),
      upper: toBytes("long", 9_007_199_254_740_993n),
    });
    expect(columnBounds("binary", long, long)).toEqual({
      lower: long.slice(0, 16),
      upper: Uint8Array.from([...long.slice(0, 15), 16]),
    });
    expect(columnBounds("string", undefined, undefined)).toEqual({ lower: undefined, upper: undefined });
    expect(DEFAULT_TRUNCATE_LENGTH).toBe(16);
  });
});

describe("against PyIceberg's writer (StatsAggregator, truncate(16))", () => {
  interface PyResult {
    lower: string | null;
    upper: string | null;
    error: string | null;
    upper_code_points: number[] | null;
  }
  const long = "https://example.com/a/very/long/path?with=query";
  const stringCases: { name: string; values: string[] }[] = [
    { name: "short values", values: ["b", "a", "c"] },
    { name: "long urls", values: [long, `${long}2`, "https://example.com/zzzzzzzzzzzzzzz"] },
    { name: "multi-byte", values: ["ÀÉÎÕÜàéîõüÀÉÎÕÜàéîõü", "イロハニホヘトチリヌルヲワカヨタレソツネナ"] },
    { name: "emoji", values: ["😀".repeat(20), "a😀".repeat(10)] },
    { name: "exactly 16", values: ["0123456789abcdef", "0123456789abcdeg"] },
    { name: "17 with U+FFFF last kept", values: ["0123456789abcde\uFFFFz"] },
  ];
  const binaryCases: { name: string; values: Uint8Array[] }[] = [
    { name: "addresses (16 bytes, untouched)", values: [Uint8Array.from({ length: 16 }, (_, i) => 200 + (i % 50))] },
    {
      name: "long payloads",
      values: [Uint8Array.from({ length: 40 }, (_, i) => i * 3), Uint8Array.from({ length: 33 }, (_, i) => 7 + i)],
    },
    { name: "short", values: [Uint8Array.of(9), Uint8Array.of(1, 2)] },
  ];
  // Where the two implementations differ, both results are checked to be valid bounds.
  const carry = [`ab${MAX}${MAX}xxxx${MAX.repeat(8)}tail`];
  const surrogateEdge = [`${"p".repeat(15)}\uD7FFtail`];
  const binaryCarry = [Uint8Array.from([...Array.from({ length: 14 }, () => 5), 0xff, 0xff, 1])];

  let results: PyResult[] = [];
  beforeAll(async () => {
    const cases = [
      ...stringCases.map((c) => ({ type: "string", values: c.values.map((v) => hex(utf8.encode(v))), length: 16 })),
      ...binaryCases.map((c) => ({ type: "binary", values: c.values.map(hex), length: 16 })),
      { type: "string", values: carry.map((v) => hex(utf8.encode(v))), length: 16 },
      { type: "string", values: surrogateEdge.map((v) => hex(utf8.encode(v))), length: 16 },
      { type: "binary", values: binaryCarry.map(hex), length: 16 },
    ];
    results = ((await runPythonScript("truncate_bounds.py", { cases })) as unknown as { results: PyResult[] }).results;
    expect(results).toHaveLength(cases.length);
  });

  const ours = (type: "string" | "binary", values: (string | Uint8Array)[]) => {
    const sorted = [...values].sort((a, b) =>
      cmpBytes(typeof a === "string" ? utf8.encode(a) : a, typeof b === "string" ? utf8.encode(b) : b),
    );
    const b = columnBounds(type, sorted[0], sorted[sorted.length - 1]);
    return { lower: b.lower ? hex(b.lower) : null, upper: b.upper ? hex(b.upper) : null };
  };

  it("strings: same bounds byte for byte", () => {
    stringCases.forEach((c, i) => {
      const py = results[i]!;
      expect(py.error, c.name).toBeNull();
      expect(ours("string", c.values), c.name).toEqual({ lower: py.lower, upper: py.upper });
    });
  });

  it("binary: same bounds byte for byte", () => {
    binaryCases.forEach((c, i) => {
      const py = results[stringCases.length + i]!;
      expect(py.error, c.name).toBeNull();
      expect(ours("binary", c.values), c.name).toEqual({ lower: py.lower, upper: py.upper });
    });
  });

  const at = (k: number): PyResult => results[stringCases.length + binaryCases.length + k]!;

  it("known difference: on carry PyIceberg keeps the maxed-out tail, we drop it like Java (both valid, ours tighter)", () => {
    for (const [py, type, value] of [
      [at(0), "string", utf8.encode(carry[0]!)],
      [at(2), "binary", binaryCarry[0]!],
    ] as const) {
      const mine = ours(type, [type === "string" ? strict.decode(value) : value]);
      expect(mine.lower).toBe(py.lower);
      const theirs = Buffer.from(py.upper!, "hex");
      const ourUpper = Buffer.from(mine.upper!, "hex");
      expect(ourUpper.length).toBeLessThan(theirs.length);
      expect(cmpBytes(ourUpper, theirs)).toBeLessThan(0);
      expect(cmpBytes(ourUpper, value)).toBeGreaterThan(0);
      // PyIceberg's bound is ours followed by the untouched maxed-out positions.
      expect(theirs.subarray(0, ourUpper.length - 1).equals(ourUpper.subarray(0, -1))).toBe(true);
    }
  });

  it("known difference: PyIceberg increments U+D7FF to the surrogate U+D800 and fails to encode it; we use U+E000", () => {
    const py = at(1);
    expect(py.upper_code_points?.at(-1)).toBe(0xd800);
    expect(py.error).toMatch(/UnicodeEncodeError/);
    const mine = ours("string", surrogateEdge);
    expect(strict.decode(Buffer.from(mine.upper!, "hex"))).toBe(`${"p".repeat(15)}\uE000`);
    expect(mine.lower).toBe(hex(utf8.encode(`${"p".repeat(15)}\uD7FF`)));
  });
});

describe("data files written with truncated bounds still prune correctly", () => {
  const schema: Schema = {
    schemaId: 0,
    fields: [
      { id: 1, name: "id", required: true, type: "long" },
      { id: 2, name: "url", required: false, type: "string" },
      { id: 3, name: "payload", required: false, type: "binary" },
    ],
  };
  const prefixes = ["alpha-long-string-", "omega-long-string-"];
  const fileRows = prefixes.map((p, f) =>
    Array.from(
      { length: 50 },
      (_, i): Row => ({
        id: BigInt(f * 100 + i),
        url: i === 7 ? null : `${p}${String(i).padStart(5, "0")}/${"x".repeat(i)}`,
        payload: Uint8Array.from({ length: 24 + (i % 5) }, (_, j) => (f * 128 + i + j) % 256),
      }),
    ),
  );
  let dir = "";
  let files: DataFile[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "bounds-"));
    for (const rows of fileRows) {
      const w = new DataFileWriter({
        store: new FileObjectStore(),
        schema,
        spec: UNPARTITIONED,
        sortOrder: UNSORTED,
        dataLocation: `file://${dir}/data`,
      });
      await w.write(rowsToBatch(schema, rows));
      files.push(...(await w.close()));
    }
  });
  afterAll(async () => {
    files = [];
    await rm(dir, { recursive: true, force: true });
  });

  it("the written bounds are the truncated ones", () => {
    expect(files).toHaveLength(2);
    const [a, b] = files;
    expect(fromBytes("string", a!.lowerBounds.get(2)!)).toBe("alpha-long-strin");
    expect(fromBytes("string", a!.upperBounds.get(2)!)).toBe("alpha-long-strio");
    expect(fromBytes("string", b!.lowerBounds.get(2)!)).toBe("omega-long-strin");
    expect(a!.lowerBounds.get(3)).toHaveLength(16);
    expect(a!.upperBounds.get(3)).toHaveLength(16);
    // Not truncated: ids keep exact bounds.
    expect(fromBytes("long", b!.upperBounds.get(1)!)).toBe(149n);
  });

  // [filter, files kept]: every kept/skipped decision is checked against the rows themselves.
  const eq = (v: string): Filter => ({ op: "eq", column: "url", value: v });
  const cases: [string, Filter, number][] = [
    ["exact long value in the first file", eq(`alpha-long-string-00003/${"x".repeat(3)}`), 1],
    ["exact long value in the second file", eq(`omega-long-string-00049/${"x".repeat(49)}`), 1],
    // Above the real max but below the truncated upper bound: cannot be pruned (no false skip).
    ["above max, inside the truncated bound", eq("alpha-long-string-99999"), 1],
    ["above the truncated upper bound", eq("alpha-long-striz"), 0],
    ["below the truncated lower bound", eq("alpha-long-stri"), 0],
    ["between the files", eq("beta"), 0],
    ["range over both", { op: "range", column: "url", min: "a", max: "p" }, 2],
    ["range inside the first", and({ op: "range", column: "url", min: "alpha-long-string-00010", max: "alpha-m" }), 1],
    ["binary payload range", { op: "range", column: "payload", min: Uint8Array.of(128), max: Uint8Array.of(255) }, 1],
  ];
  it.each(cases)("%s", (_name, filter, kept) => {
    const plan = planScan(schema, [{ partitionFields: [], files }], filter);
    expect(plan.files).toHaveLength(kept);
    // Never a false skip: no row of a skipped file matches.
    const matches = (r: Row): boolean => {
      const test = (f: Filter): boolean => {
        if (f.op === "and") return f.filters.every(test);
        if (f.op === "eq") return r.url === f.value;
        if (f.op !== "range") return true;
        const v = r[f.column];
        if (v === null || v === undefined) return false;
        const enc = (x: unknown): Uint8Array => (typeof x === "string" ? utf8.encode(x) : (x as Uint8Array));
        return (
          (f.min === undefined || cmpBytes(enc(v), enc(f.min)) >= 0) &&
          (f.max === undefined || cmpBytes(enc(v), enc(f.max)) <= 0)
        );
      };
      return test(filter);
    };
    files.forEach((file, i) => {
      if (!plan.files.includes(file)) expect(fileRows[i]!.some(matches)).toBe(false);
    });
  });
});

describe("PyIceberg prunes a table of ours by its truncated bounds", () => {
  const schema: Schema = {
    schemaId: 0,
    fields: [
      { id: 1, name: "id", required: true, type: "long" },
      { id: 2, name: "url", required: false, type: "string" },
    ],
  };
  const prefixes = ["alpha-long-string-", "kappa-long-string-", "omega-long-string-"];
  const batches = prefixes.map((p, f) =>
    Array.from(
      { length: 40 },
      (_, i): Row => ({ id: BigInt(f * 100 + i), url: `${p}${String(i).padStart(5, "0")}/path` }),
    ),
  );
  let pgServer: TestPostgres | undefined;
  let pool: pg.Pool | undefined;
  let dir = "";
  afterAll(async () => {
    await pool?.end();
    await pgServer?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("long-string filters keep exactly the matching rows and skip the files the bounds exclude", async () => {
    dir = await mkdtemp(join(tmpdir(), "bounds-py-"));
    pgServer = await startTestPostgres();
    pool = new pg.Pool({ connectionString: pgServer.url, max: 2 });
    pool.on("error", () => undefined);
    const catalog = new SqlCatalog({ name: "bounds", query: pgQuery(pool) });
    await catalog.initialize();
    await catalog.createNamespace(["b"]);
    const ctx = { catalog, store: new FileObjectStore() };
    const id = { namespace: ["b"], name: "urls" };
    await createTable(ctx, id, { schema, location: `file://${dir}/urls` });
    for (const rows of batches) {
      const t = await loadTable(ctx, id);
      await fastAppend(ctx, id, await writeDataFiles(ctx, t, [rowsToBatch(schema, rows)]));
    }
    const t = await loadTable(ctx, id);
    const all = batches.flat();
    const omega7 = all.find((r) => r.url === "omega-long-string-00007/path")!;
    // [PyIceberg row filter, matching rows, files PyIceberg must plan]
    const reads: [string, (r: Row) => boolean, number][] = [
      ["url == 'omega-long-string-00007/path'", (r) => r === omega7, 1],
      // Above alpha's real max but inside its truncated upper bound "alpha-long-strio": kept, no rows.
      ["url == 'alpha-long-string-99999'", () => false, 1],
      ["url >= 'z'", () => false, 0],
      ["url < 'b'", (r) => (r.url as string) < "b", 1],
      // A prefix longer than the 16 bound characters.
      ["url LIKE 'kappa-long-string-0001%'", (r) => (r.url as string).startsWith("kappa-long-string-0001"), 1],
    ];
    const out = (await runPythonScript("pyiceberg_read.py", {
      metadata_location: t.metadataLocation,
      reads: reads.map(([f]) => ({ row_filter: f })),
    })) as unknown as { results: { rows: JsonValue[]; files: number }[] };
    reads.forEach(([filter, match, files], i) => {
      const r = out.results[i]!;
      expect(sortRows(r.rows), filter).toEqual(normalizeRows(schema, all.filter(match)));
      expect(r.files, filter).toBe(files);
    });
  });
});
