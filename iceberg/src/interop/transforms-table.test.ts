// Every primitive type and every partition transform, written by us and read back by
// PyIceberg (values compared column by column) and DuckDB; plus a PyIceberg-written table
// we append to, two writers racing, and a schema change.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uuidToBytes } from "../spec/conversions.ts";
import { currentSnapshot } from "../spec/metadata.ts";
import { parseTransform } from "../spec/transforms.ts";
import type { Schema } from "../spec/types.ts";
import { addColumn, fastAppend } from "../table/operations.ts";
import { createTable, loadTable } from "../table/table.ts";
import { writeDataFiles } from "../table/write.ts";
import { runPythonScript } from "../testing/python.ts";
import { normalizeRows, type Row, rowsToBatch, sortRows } from "../testing/rows.ts";
import { CATALOG_NAME, duckdbRead, type Env, pyicebergRead, startEnv } from "./fixtures.ts";

const allTypes: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: "b", required: false, type: "boolean" },
    { id: 2, name: "i", required: false, type: "int" },
    { id: 3, name: "l", required: true, type: "long" },
    { id: 4, name: "f", required: false, type: "float" },
    { id: 5, name: "d", required: false, type: "double" },
    { id: 6, name: "dec", required: false, type: "decimal(9,2)" },
    { id: 7, name: "dt", required: false, type: "date" },
    { id: 8, name: "t", required: false, type: "time" },
    { id: 9, name: "ts", required: false, type: "timestamp" },
    { id: 10, name: "tstz", required: true, type: "timestamptz" },
    { id: 11, name: "s", required: false, type: "string" },
    { id: 12, name: "u", required: false, type: "uuid" },
    { id: 13, name: "fx", required: false, type: "fixed[4]" },
    { id: 14, name: "bin", required: false, type: "binary" },
  ],
};

const HOUR = 3_600_000_000n;
function rows(n: number, seed: number): Row[] {
  const out: Row[] = [];
  for (let k = 0; k < n; k++) {
    const i = seed * 100 + k;
    const nul = k % 9 === 4;
    // Times span 1969..1971 so the time transforms see pre-epoch values (floor semantics).
    const tstz = -400n * 24n * HOUR + BigInt(i) * 37n * HOUR + BigInt(i * 1_234_567);
    out.push({
      b: nul ? null : i % 3 === 0,
      i: nul ? null : (i * 7919) % 2000 - 1000,
      l: BigInt(i) * 1_000_000_007n - 5_000_000_000n,
      f: nul ? null : (i % 50) / 4 - 3,
      d: nul ? null : i / 8 - 17.5,
      dec: nul ? null : BigInt(i * 137 - 9000),
      dt: nul ? null : i * 11 - 600,
      t: nul ? null : BigInt(i) * 1_000_003n % (86_400n * 1_000_000n),
      ts: nul ? null : tstz + 3n * HOUR,
      tstz,
      s: nul ? null : ["alpha", "beta", "gamma", "delta", "épsilon", "😀zeta", ""][i % 7]! + String(i % 5),
      u: nul ? null : uuidToBytes(`f79c3e09-677c-4bbd-a479-3f349cb7${String(850 + (i % 100)).padStart(4, "0")}`),
      fx: nul ? null : Uint8Array.of(i % 256, 1, 2, 3),
      bin: nul ? null : Uint8Array.from({ length: i % 6 }, (_, j) => (i + j) % 256),
    });
  }
  return out;
}

let env: Env;
beforeAll(async () => {
  env = await startEnv();
  await env.catalog.createNamespace(["types"]);
});
afterAll(async () => {
  await env?.stop();
});

const cases: [string, string, number][] = [
  ["identity_s", "identity", 11],
  ["identity_l", "identity", 3],
  ["year_dt", "year", 7],
  ["month_ts", "month", 9],
  ["day_tstz", "day", 10],
  ["hour_tstz", "hour", 10],
  ["bucket_l", "bucket[8]", 3],
  ["bucket_s", "bucket[5]", 11],
  ["bucket_u", "bucket[4]", 12],
  ["bucket_dec", "bucket[3]", 6],
  ["truncate_i", "truncate[10]", 2],
  ["truncate_s", "truncate[2]", 11],
  ["truncate_dec", "truncate[50]", 6],
  ["identity_dt", "identity", 7],
];

describe("all types × every transform", () => {
  it.each(cases)("%s: PyIceberg and DuckDB return exactly our rows over two snapshots", async (name, transform, sourceId) => {
    const id = { namespace: ["types"], name };
    await createTable(env.ctx, id, {
      schema: allTypes,
      location: `s3://warehouse/types/${name}`,
      spec: { specId: 0, fields: [{ sourceId, fieldId: 1000, name: `p_${name}`, transform: parseTransform(transform) }] },
    });
    const first = rows(60, 0);
    const second = rows(60, 1);
    for (const batch of [first, second]) {
      const t = await loadTable(env.ctx, id);
      const files = await writeDataFiles(env.ctx, t, [rowsToBatch(allTypes, batch)]);
      await fastAppend(env.ctx, id, files);
    }
    const t = await loadTable(env.ctx, id);
    const py = await pyicebergRead(env, id);
    expect(py.columns).toEqual(allTypes.fields.map((f) => f.name));
    expect(sortRows(py.rows)).toEqual(normalizeRows(allTypes, [...first, ...second]));
    const firstSnap = t.metadata.snapshots[0]!.snapshotId;
    expect(sortRows((await pyicebergRead(env, id, { snapshotId: firstSnap })).rows)).toEqual(normalizeRows(allTypes, first));
    // PyIceberg prunes with our partition values and bounds: a filter must keep exactly the matching rows.
    const filtered = await pyicebergRead(env, id, { rowFilter: "l >= 20000000000" });
    expect(sortRows(filtered.rows)).toEqual(
      normalizeRows(
        allTypes,
        [...first, ...second].filter((r) => (r.l as bigint) >= 20_000_000_000n),
      ),
    );
    const duck = await duckdbRead(env, t.metadataLocation);
    expect(sortRows(duck.rows)).toEqual(normalizeRows(allTypes, [...first, ...second]));
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
    const theirs = Array.from({ length: 50 }, (_, i) => ({ id: i, s: i % 4 ? `p${i}` : null, ts: 1_700_000_000_000_000 + i * 3_600_000_000 }));
    await runPythonScript("pyiceberg_write.py", {
      catalog_uri: env.catalogUri,
      catalog_name: CATALOG_NAME,
      table: "types.from_pyiceberg",
      location: "s3://warehouse/types/from_pyiceberg",
      s3: env.s3Args,
      rows: theirs,
    });
    const t = await loadTable(env.ctx, id);
    const ours: Row[] = Array.from({ length: 30 }, (_, i) => ({ id: BigInt(1000 + i), s: `us${i}`, ts: 1_700_100_000_000_000n + BigInt(i) * 60_000_000n }));
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
    const evolved: Schema = { schemaId: 1, fields: [...simple.fields, { id: 7, name: "dst_as", required: false, type: "long" }] };
    const fresh: Row[] = [{ id: 2n, s: "b", ts: 6n, dst_as: 64512n }];
    await fastAppend(env.ctx, id, await writeDataFiles(env.ctx, t, [rowsToBatch(evolved, fresh)]));
    const py = await pyicebergRead(env, id);
    expect(py.columns).toEqual(["id", "s", "ts", "dst_as"]);
    expect(sortRows(py.rows)).toEqual(normalizeRows(evolved, [{ ...old[0]!, dst_as: null }, ...fresh]));
    expect(currentSnapshot(t.metadata)).toBeDefined();
  });
});
