// Every primitive type and every partition transform, written by us and read back by
// PyIceberg (values compared column by column) and DuckDB; plus a PyIceberg-written table
// we append to, two writers racing, and a schema change.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { currentSnapshot } from "../spec/metadata.ts";
import { parseTransform } from "../spec/transforms.ts";
import type { Schema } from "../spec/types.ts";
import { addColumn, fastAppend } from "../table/operations.ts";
import { createTable, loadTable } from "../table/table.ts";
import { writeDataFiles } from "../table/write.ts";
import { runPythonScript } from "../testing/python.ts";
import { normalizeRows, type Row, rowsToBatch, sortRows } from "../testing/rows.ts";
import { allTypes, allTypesRows, HOUR } from "./all-types.ts";
import { CATALOG_NAME, duckdbReadMany, type Env, pyicebergRead, pyicebergReadMany, startEnv } from "./fixtures.ts";

let env: Env;
beforeAll(async () => {
  env = await startEnv();
  await env.catalog.createNamespace(["types"]);
});
afterAll(async () => {
  await env?.stop();
});

// Each table combines several partition fields so every transform is covered in few tables.
// Row filters on the partition sources make PyIceberg prune by OUR partition values: a wrong
// transform result (bucket hash, floor before 1970, truncation) drops matching rows and fails.
type Filter = [string, (r: Row) => boolean];
const iso = (micros: bigint): string => new Date(Number(micros / 1000n)).toISOString().replace("Z", "+00:00");
const L = allTypesRows(60, 1)[7]!.l as bigint;
const I = allTypesRows(60, 0)[12]!.i as number;
const D = allTypesRows(60, 1)[30]!.tstz as bigint;
const inWindow = (v: bigint): boolean => v >= D - 12n * HOUR && v < D + 36n * HOUR;
const cases: [string, [string, number][], Filter[]][] = [
  [
    "t_year_bucket_trunc",
    [
      ["year", 7],
      ["bucket[8]", 3],
      ["truncate[2]", 11],
    ],
    [
      ["dt < '1970-01-01'", (r) => r.dt !== null && (r.dt as number) < 0],
      [`l == ${L}`, (r) => r.l === L],
      ["s == 'gamma2'", (r) => r.s === "gamma2"],
    ],
  ],
  [
    "t_month_bucket_trunc",
    [
      ["month", 9],
      ["bucket[4]", 12],
      ["truncate[10]", 2],
    ],
    [
      ["ts < '1969-11-15T00:00:00'", (r) => r.ts !== null && (r.ts as bigint) < -47n * 86_400_000_000n],
      [`i == ${I}`, (r) => r.i === I],
    ],
  ],
  [
    "t_day_bucket_trunc",
    [
      ["day", 10],
      ["bucket[3]", 6],
      ["truncate[50]", 6],
    ],
    [[`tstz >= '${iso(D - 12n * HOUR)}' and tstz < '${iso(D + 36n * HOUR)}'`, (r) => inWindow(r.tstz as bigint)]],
  ],
  [
    "t_hour_identity_bucket",
    [
      ["hour", 10],
      ["identity", 1],
      ["bucket[5]", 11],
    ],
    [
      [
        `tstz < '${iso(-25n * 86_400_000_000n - 5n * HOUR)}'`,
        (r) => (r.tstz as bigint) < -25n * 86_400_000_000n - 5n * HOUR,
      ],
      ["b == true", (r) => r.b === true],
      ["s == 'beta1'", (r) => r.s === "beta1"],
    ],
  ],
  [
    "t_identity",
    [
      ["identity", 11],
      ["identity", 7],
      ["bucket[16]", 14],
    ],
    [["s == 'épsilon4'", (r) => r.s === "épsilon4"]],
  ],
];

describe("all types × every transform", () => {
  const written = new Map<string, { first: Row[]; second: Row[]; firstSnap: bigint; metadataLocation: string }>();

  it("writes one table per combination of transforms, two snapshots each", async () => {
    for (const [name, transforms] of cases) {
      const id = { namespace: ["types"], name };
      await createTable(env.ctx, id, {
        schema: allTypes,
        location: `s3://warehouse/types/${name}`,
        spec: {
          specId: 0,
          fields: transforms.map(([transform, sourceId], i) => ({
            sourceId,
            fieldId: 1000 + i,
            name: `p${i}_${transform.replace(/\W/g, "")}`,
            transform: parseTransform(transform),
          })),
        },
      });
      const first = allTypesRows(60, 0);
      const second = allTypesRows(60, 1);
      for (const batch of [first, second]) {
        const t = await loadTable(env.ctx, id);
        await fastAppend(env.ctx, id, await writeDataFiles(env.ctx, t, [rowsToBatch(allTypes, batch)]));
      }
      const t = await loadTable(env.ctx, id);
      written.set(name, {
        first,
        second,
        firstSnap: t.metadata.snapshots[0]!.snapshotId,
        metadataLocation: t.metadataLocation,
      });
    }
    expect(written.size).toBe(cases.length);
  });

  it("PyIceberg returns exactly our rows: latest, time travel, and filters pruned by our partition values and bounds", async () => {
    const outputs = await pyicebergReadMany(
      env,
      cases.map(([name, , filters]) => ({
        id: { namespace: ["types"], name },
        // PyIceberg prunes with our partition values and bounds: a filter must keep exactly the matching rows.
        reads: [
          {},
          { snapshotId: written.get(name)!.firstSnap },
          { rowFilter: "l >= 20000000000" },
          ...filters.map(([f]) => ({ rowFilter: f })),
        ],
      })),
    );
    cases.forEach(([name, , filters], i) => {
      const w = written.get(name)!;
      const all = [...w.first, ...w.second];
      const [latest, atFirst, filtered, ...byPartition] = outputs[i]!.results;
      expect(latest!.columns).toEqual(allTypes.fields.map((f) => f.name));
      expect(sortRows(latest!.rows), name).toEqual(normalizeRows(allTypes, all));
      expect(sortRows(atFirst!.rows), name).toEqual(normalizeRows(allTypes, w.first));
      expect(sortRows(filtered!.rows), name).toEqual(
        normalizeRows(
          allTypes,
          all.filter((r) => (r.l as bigint) >= 20_000_000_000n),
        ),
      );
      expect(filtered!.files, name).toBeLessThan(latest!.files);
      filters.forEach(([expr, pred], j) => {
        const want = all.filter(pred);
        expect(want.length, expr).toBeGreaterThan(0);
        expect(sortRows(byPartition[j]!.rows), `${name}: ${expr}`).toEqual(normalizeRows(allTypes, want));
      });
    });
  });

  it("DuckDB's iceberg_scan returns exactly our rows", async () => {
    const outputs = await duckdbReadMany(
      env,
      cases.map(([name]) => written.get(name)!.metadataLocation),
    );
    cases.forEach(([name], i) => {
      const w = written.get(name)!;
      expect(outputs[i]!.version).toBe("1.5.5");
      expect(sortRows(outputs[i]!.rows), name).toEqual(normalizeRows(allTypes, [...w.first, ...w.second]));
    });
  });
});

describe("interop beyond our own tables", () => {
  const simple: Schema = {
    schemaId: 0,
    fields: [
      { id: 1, name: "id", required: true, type: "long" },
      { id: 2, name: "s", required: false, type: "string" },
      { id: 3, name: "ts", required: true, type: "timestamptz" },
    ],
  };

  it("a table PyIceberg created and appended to, appended to by us, still reads correctly in PyIceberg", async () => {
    const id = { namespace: ["types"], name: "from_pyiceberg" };
    const theirs = Array.from({ length: 50 }, (_, i) => ({
      id: i,
      s: i % 4 ? `p${i}` : null,
      ts: 1_700_000_000_000_000 + i * 3_600_000_000,
    }));
    await runPythonScript("pyiceberg_write.py", {
      catalog_uri: env.catalogUri,
      catalog_name: CATALOG_NAME,
      table: "types.from_pyiceberg",
      location: "s3://warehouse/types/from_pyiceberg",
      s3: env.s3Args,
      rows: theirs,
    });
    const t = await loadTable(env.ctx, id);
    const ours: Row[] = Array.from({ length: 30 }, (_, i) => ({
      id: BigInt(1000 + i),
      s: `us${i}`,
      ts: 1_700_100_000_000_000n + BigInt(i) * 60_000_000n,
    }));
    const files = await writeDataFiles(env.ctx, t, [rowsToBatch(simple, ours)]);
    const after = await fastAppend(env.ctx, id, files);
    expect(after.metadata.snapshots).toHaveLength(2);
    const py = await pyicebergRead(env, id);
    const expected = [...theirs.map((r) => ({ id: BigInt(r.id), s: r.s, ts: BigInt(r.ts) })), ...ours];
    expect(sortRows(py.rows)).toEqual(normalizeRows(simple, expected));
  });

  it("two writers appending concurrently: both appends land, history stays linear", async () => {
    const id = { namespace: ["types"], name: "race" };
    await createTable(env.ctx, id, { schema: simple, location: "s3://warehouse/types/race" });
    const t = await loadTable(env.ctx, id);
    const batches: Row[][] = Array.from({ length: 4 }, (_, w) =>
      Array.from({ length: 20 }, (_, i) => ({ id: BigInt(w * 100 + i), s: `w${w}`, ts: BigInt(i) * 1_000_000n })),
    );
    const files = await Promise.all(batches.map((b) => writeDataFiles(env.ctx, t, [rowsToBatch(simple, b)])));
    let conflicts = 0;
    await Promise.all(files.map((f) => fastAppend(env.ctx, id, f, { onConflict: () => conflicts++ })));
    const final = await loadTable(env.ctx, id);
    expect(final.metadata.snapshots).toHaveLength(4);
    // Linear: each snapshot's parent is the one before it, sequence numbers 1..4.
    final.metadata.snapshots.forEach((s, i) => {
      expect(s.sequenceNumber).toBe(BigInt(i + 1));
      if (i > 0) expect(s.parentSnapshotId).toBe(final.metadata.snapshots[i - 1]!.snapshotId);
    });
    expect(conflicts).toBeGreaterThan(0); // the race really happened
    const py = await pyicebergRead(env, id);
    expect(sortRows(py.rows)).toEqual(normalizeRows(simple, batches.flat()));
  });

  it("adding a column: old rows read as null, new rows carry it", async () => {
    const id = { namespace: ["types"], name: "evolve" };
    await createTable(env.ctx, id, { schema: simple, location: "s3://warehouse/types/evolve" });
    const old: Row[] = [{ id: 1n, s: "a", ts: 5n }];
    let t = await loadTable(env.ctx, id);
    await fastAppend(env.ctx, id, await writeDataFiles(env.ctx, t, [rowsToBatch(simple, old)]));
    t = await addColumn(env.ctx, id, { name: "dst_as", type: "long", fieldId: 7 });
    expect(t.metadata.currentSchemaId).toBe(1);
    expect(t.metadata.lastColumnId).toBe(7);
    const evolved: Schema = {
      schemaId: 1,
      fields: [...simple.fields, { id: 7, name: "dst_as", required: false, type: "long" }],
    };
    const fresh: Row[] = [{ id: 2n, s: "b", ts: 6n, dst_as: 64512n }];
    await fastAppend(env.ctx, id, await writeDataFiles(env.ctx, t, [rowsToBatch(evolved, fresh)]));
    const py = await pyicebergRead(env, id);
    expect(py.columns).toEqual(["id", "s", "ts", "dst_as"]);
    expect(sortRows(py.rows)).toEqual(normalizeRows(evolved, [{ ...old[0]!, dst_as: null }, ...fresh]));
    expect(currentSnapshot(t.metadata)).toBeDefined();
  });
});
