// Our reader against the fixture tables other engines wrote: the row counts per snapshot and
// per metadata file, the aggregates and rows the fixture README documents (computed there
// independently), delete rules, projection by field id, and the location-mapping variants.
import { describe, expect, it } from "vitest";
import { isIcebergError } from "../errors.ts";
import { FIXTURES, TABLES, table } from "./fixture-tables.ts";
import { openTable, type ReadableTable } from "./open.ts";
import { planRead } from "./plan.ts";
import { parsePredicate, toFilter } from "./predicate.ts";
import { runPy } from "./reference-readers.ts";
import { type Row, readRows } from "./rows.ts";

async function open(name: string, metadata?: string): Promise<ReadableTable> {
  const t = table(name);
  return await openTable(`${t.dir}/${metadata ?? t.metadata}`, { tableRoot: "auto" });
}

async function rows(t: ReadableTable, snapshotId?: bigint, where?: string): Promise<Row[]> {
  const out: Row[] = [];
  const plan = await planRead(t, snapshotId === undefined ? {} : { snapshotId });
  const w = where === undefined ? undefined : parsePredicate(where, plan.schema);
  for await (const r of readRows(t, {
    ...(snapshotId === undefined ? {} : { snapshotId }),
    ...(w ? { where: w } : {}),
  }))
    out.push(r);
  t.store.close();
  return out;
}

const sum = (rs: Row[], col: string): bigint => rs.reduce((s, r) => s + BigInt((r[col] as bigint | number) ?? 0), 0n);
const fsum = (rs: Row[], col: string): number => rs.reduce((s, r) => s + ((r[col] as number) ?? 0), 0);

describe("every fixture table: live rows per snapshot", () => {
  for (const t of TABLES) {
    it(`${t.name}: ${t.snapshots.map((s) => s.rows).join(", ")} rows`, async () => {
      const table = await openTable(`${t.dir}/${t.metadata}`, { tableRoot: "auto" });
      for (const s of t.snapshots) expect((await rows(table, s.id)).length).toBe(s.rows);
      // The current snapshot is the last one.
      expect((await rows(table)).length).toBe(t.snapshots.at(-1)!.rows);
    });
  }
});

describe("spark/bunnies (position delete, added column, DELETED entries)", () => {
  it("per snapshot sums", async () => {
    const t = await open("spark/bunnies");
    const want = [
      [231n, 161n],
      [230n, 154n],
      [230n, 154n],
    ];
    for (const [i, s] of table("spark/bunnies").snapshots.entries()) {
      const rs = await rows(t, s.id);
      expect([sum(rs, "Popularity Rank"), sum(rs, "Lifespan")]).toEqual(want[i]);
    }
  });
  it("current snapshot: aggregates, Holland Lop gone, the Netherland Dwarf row", async () => {
    const rs = await rows(await open("spark/bunnies"));
    expect(new Set(rs.map((r) => r["Breed Name"])).size).toBe(20);
    expect(sum(rs, "breed_name_length")).toBe(205n);
    expect(rs.every((r) => r.breed_name_length !== null)).toBe(true);
    expect(fsum(rs, "Average Weight")).toBeCloseTo(51.4, 6);
    expect(fsum(rs, "Fur Length")).toBeCloseTo(80.8, 6);
    expect(rs.some((r) => r["Breed Name"] === "Holland Lop")).toBe(false);
    expect(rs.find((r) => r["Breed Name"] === "Netherland Dwarf")).toEqual({
      "Breed Name": "Netherland Dwarf",
      "Average Weight": 0.9,
      "Fur Length": 2.5,
      Lifespan: 10n,
      "Origin Country": "Netherlands",
      "Ear Type": "Erect",
      Temperament: "Shy",
      "Popularity Rank": 2n,
      breed_name_length: 16,
    });
  });
  it("per metadata file; v4 has the new column null everywhere; time travel with the v5 schema", async () => {
    const counts: number[] = [];
    for (const v of [1, 2, 3, 4, 5])
      counts.push((await rows(await open("spark/bunnies", `metadata/v${v}.metadata.json`))).length);
    expect(counts).toEqual([21, 21, 20, 20, 20]);
    const v4 = await rows(await open("spark/bunnies", "metadata/v4.metadata.json"));
    expect(v4.every((r) => r.breed_name_length === null && "breed_name_length" in r)).toBe(true);
    const old = await rows(await open("spark/bunnies"), 7505300640432048841n);
    expect(old.every((r) => r.breed_name_length === null)).toBe(true);
  });
  it("the old delete manifest is still listed but applies to no live file", async () => {
    const plan = await planRead(await open("spark/bunnies"));
    expect(plan.tasks).toHaveLength(1);
    expect(plan.deleteFiles).toHaveLength(1);
    expect(plan.tasks[0]!.positionDeletes).toHaveLength(0);
  });
});

describe("spark/rename_column (bucket + identity(date), null partition, rename)", () => {
  const expected = [
    { id: 1, name: "Flopsy 🐇", event_date: 18993, price: 999n, active: true },
    { id: 2, name: "Mopsy–Naïve", event_date: 18993, price: -500n, active: false },
    { id: 3, name: "Cottontail", event_date: null, price: 0n, active: true },
    { id: 4, name: "Thumper", event_date: 18994, price: 9999999999n, active: false },
  ];
  it("v3: four rows with the renamed column filled by field id", async () => {
    const rs = await rows(await open("spark/rename_column"));
    expect(rs.sort((a, b) => (a.id as number) - (b.id as number))).toEqual(expected);
    expect(sum(rs, "price")).toBe(10000000498n); // 100000004.98
  });
  it("v2: the same rows under the old name `date`", async () => {
    const rs = await rows(await open("spark/rename_column", "metadata/v2.metadata.json"));
    expect(rs.map((r) => r.date).sort()).toEqual([18993, 18993, 18994, null].sort());
  });
  it("v1 has no snapshot: no rows", async () => {
    expect(await rows(await open("spark/rename_column", "metadata/v1.metadata.json"))).toEqual([]);
  });
  it("a filter on id prunes by the bucket partition; on event_date by identity(date)", async () => {
    const t = await open("spark/rename_column");
    const plan = await planRead(t, { filter: { op: "eq", column: "id", value: 4 } });
    expect(plan.tasks.map((x) => x.dataFile.partition)).toEqual([[2, 18994]]);
    expect((await rows(t, undefined, "id = 4")).map((r) => r.name)).toEqual(["Thumper"]);
    expect((await rows(t, undefined, "event_date is null")).map((r) => r.id)).toEqual([3]);
    expect((await rows(t, undefined, "price > 9.99")).map((r) => r.id)).toEqual([4]);
  });
});

describe("java/bunnies (position delete and equality delete, strict < rule)", () => {
  it("per snapshot sums", async () => {
    const t = await open("java/bunnies");
    const want = [
      [231n, 161n],
      [194n, 114n],
      [173n, 114n],
    ];
    for (const [i, s] of table("java/bunnies").snapshots.entries()) {
      const rs = await rows(t, s.id);
      expect([sum(rs, "Popularity Rank"), sum(rs, "Lifespan")]).toEqual(want[i]);
    }
  });
  it("current: one New Zealand row (the seq-3 file survives its seq-3 equality delete)", async () => {
    const rs = await rows(await open("java/bunnies"));
    expect(new Set(rs.map((r) => r["Breed Name"])).size).toBe(15);
    expect(rs.filter((r) => r["Breed Name"] === "New Zealand")).toEqual([
      {
        "Breed Name": "New Zealand",
        "Average Weight": 4,
        "Fur Length": 2.7,
        Lifespan: 8n,
        "Origin Country": "New Zealand",
        "Ear Type": "Erect",
        Temperament: "Affectionate",
        "Popularity Rank": 0n,
        __happy__: true,
      },
    ]);
    expect(rs.filter((r) => r.__happy__ === null)).toHaveLength(14);
    expect(fsum(rs, "Average Weight")).toBeCloseTo(35.6, 6);
    const plan = await planRead(await open("java/bunnies"));
    const byName = new Map(plan.tasks.map((x) => [x.dataFile.filePath.split("/").at(-1), x]));
    expect(byName.get("bunnies-initial.parquet")!.equalityDeletes).toHaveLength(1);
    expect(byName.get("bunnies-initial.parquet")!.positionDeletes).toHaveLength(1);
    expect(byName.get("bunnies-updated-new-zealand.parquet")!.equalityDeletes).toHaveLength(0);
  });
  it("per metadata file: 0, 21, 21, 15 (NZ rank 21), 15", async () => {
    const counts: number[] = [];
    for (const v of [1, 2, 3, 4, 5])
      counts.push((await rows(await open("java/bunnies", `metadata/v${v}.metadata.json`))).length);
    expect(counts).toEqual([0, 21, 21, 15, 15]);
    const v3 = await rows(await open("java/bunnies", "metadata/v3.metadata.json"));
    expect(v3.every((r) => r.__happy__ === null)).toBe(true);
    const v4 = await rows(await open("java/bunnies", "metadata/v4.metadata.json"));
    expect(v4.find((r) => r["Breed Name"] === "New Zealand")?.["Popularity Rank"]).toBe(21n);
  });
});

describe("athena/example (no version hint, s3:// location)", () => {
  it("the table folder resolves to the highest metadata file; two rows", async () => {
    const t = await openTable(table("athena/example").dir, { tableRoot: "auto" });
    expect(t.metadataLocation).toMatch(/00001-aaf0d033-d06b-43c7-be60-67f83abd4aca\.metadata\.json$/);
    expect(await rows(t)).toEqual([
      { id: 1, name: "Alice" },
      { id: 2, name: "Bob" },
    ]);
  });
});

describe("lineitem_iceberg (relative ./ location, copy-on-write overwrite)", () => {
  it("per snapshot aggregates, Q6, groups", async () => {
    const t = await open("lineitem_iceberg");
    const want = [
      { sp: 215218976047n, q: 153612700n, keys: 15000, q6: 11930532253n },
      { sp: 210724448254n, q: 150090000n, keys: 14670, q6: 10775369101n },
    ];
    for (const [i, s] of table("lineitem_iceberg").snapshots.entries()) {
      const rs = await rows(t, s.id);
      const q6 = rs
        .filter(
          (r) =>
            (r.l_shipdate as number) >= 8766 && // 1994-01-01
            (r.l_shipdate as number) < 9131 && // 1995-01-01
            (r.l_discount as bigint) >= 5n &&
            (r.l_discount as bigint) <= 7n &&
            (r.l_quantity as bigint) < 2400n,
        )
        .reduce((acc, r) => acc + (r.l_extendedprice as bigint) * (r.l_discount as bigint), 0n);
      expect({
        sp: sum(rs, "l_extendedprice"),
        q: sum(rs, "l_quantity"),
        keys: new Set(rs.map((r) => r.l_orderkey)).size,
        q6,
      }).toEqual(want[i]);
    }
    const cur = await rows(t);
    expect(
      cur.reduce((m, r) => ((r.l_extendedprice as bigint) < m ? (r.l_extendedprice as bigint) : m), 10n ** 20n),
    ).toBe(1000056n);
    const groups = new Map<string, [number, bigint]>();
    for (const r of cur) {
      const k = `${r.l_returnflag}${r.l_linestatus}`;
      const g = groups.get(k) ?? [0, 0n];
      groups.set(k, [g[0] + 1, g[1] + (r.l_quantity as bigint)]);
    }
    expect(Object.fromEntries(groups)).toEqual({
      AF: [12800, 37185800n],
      NF: [303, 876800n],
      NO: [25822, 74735100n],
      RF: [12868, 37292300n],
    });
  });
  it("stored paths relative to the parent folder resolve from there without any mapping", async () => {
    const t = table("lineitem_iceberg");
    const opened = await openTable(`${t.dir}/${t.metadata}`, { baseDir: t.relativeTo! });
    expect((await rows(opened)).length).toBe(51793);
  });
});

describe("partition_timestamptz (partition column only in the manifest, %3A in paths)", () => {
  it("two rows with partition_col from the manifest; equality filter prunes to one file", async () => {
    const t = await open("partition_timestamptz");
    const rs = await rows(t);
    expect(rs.sort((a, b) => Number(a.user_id) - Number(b.user_id))).toEqual([
      { partition_col: 1684161045000000n, user_id: 12345n, event_type: "click" },
      { partition_col: 1692695720000000n, user_id: 67890n, event_type: "purchase" },
    ]);
    expect(sum(rs, "user_id")).toBe(80235n);
    const where = parsePredicate("partition_col = '2023-05-15T14:30:45Z'", (await planRead(t)).schema);
    const plan = await planRead(t, { filter: toFilter(where) });
    expect(plan.tasks).toHaveLength(1);
    expect(plan.tasks[0]!.location).toContain("partition_col=2023-05-15T14%3A30%3A45%2B00%3A00/");
    expect((await rows(t, undefined, "partition_col = '2023-05-15T14:30:45Z'")).map((r) => r.user_id)).toEqual([
      12345n,
    ]);
  });
});

describe("map_stats (day partition, map column, missing map bounds, file://relative)", () => {
  it("rows per snapshot, the map values, and the README's filter", async () => {
    const t = table("map_stats");
    // No mapping at all: the file://relative paths resolve against the folder they are relative to.
    const opened = await openTable(`${t.dir}/${t.metadata}`, { baseDir: t.relativeTo! });
    const first = await rows(opened, 8792170059756986233n);
    expect(first).toEqual([
      {
        timestamp: 1767225600000000n,
        input: "hello",
        output: "world",
        metadata: new Map([["key", "value1"]]),
      },
    ]);
    const cur = await rows(opened);
    expect(new Set(cur.map((r) => (r.timestamp as bigint) / 86_400_000_000n)).size).toBe(2);
    const filtered = (
      await rows(opened, undefined, "timestamp >= '2026-01-01T00:00:00Z' and timestamp < '2026-01-02T00:00:00Z'")
    ).filter((r) => (r.metadata as Map<string, string>).get("key") === "value1");
    expect(filtered).toHaveLength(1);
  });
});

describe("locations", () => {
  it("--map-location style prefix mapping equals tableRoot auto", async () => {
    const t = table("java/bunnies");
    const mapped = await openTable(`${t.dir}/${t.metadata}`, {
      mapLocations: [{ from: "s3a://hyperparam-iceberg", to: `${FIXTURES}/icebird/hyperparam-iceberg` }],
    });
    expect((await rows(mapped)).length).toBe(15);
  });
  it("a file:// metadata URI with the folder path; without a mapping the stored s3a paths need S3", async () => {
    const t = table("athena/example");
    const opened = await openTable(`file://${t.dir}`, { tableRoot: "auto" });
    expect((await rows(opened)).length).toBe(2);
    const unmapped = await openTable(`${t.dir}/${t.metadata}`, { s3Store: undefined });
    const env = { ...process.env };
    delete process.env.S3_ACCESS_KEY_ID;
    try {
      await expect(rows(unmapped)).rejects.toSatisfy((e: unknown) => isIcebergError(e, "io"));
    } finally {
      process.env = env;
    }
  });
});

describe("tables found through their PyIceberg SQLite catalog rows", () => {
  it.each(["partition_timestamptz", "map_stats"])(
    "%s: the catalog's metadata location opens from its folder",
    async (name) => {
      const t = table(name);
      const db = `${t.dir.slice(0, t.dir.indexOf("/default.db/"))}/pyiceberg_catalog.db`;
      const [row] = (await runPy("sqlite_catalog_row.py", { db })) as { table: string; metadata_location: string }[];
      expect(row?.table).toBe(name);
      // The stored location is relative to duckdb-iceberg/ (README); opened with no mapping from there.
      const opened = await openTable(row!.metadata_location, { baseDir: t.relativeTo! });
      expect(opened.metadataLocation).toBe(`${t.dir}/${t.metadata}`);
      expect((await rows(opened)).length).toBe(t.snapshots.at(-1)!.rows);
    },
  );
});
