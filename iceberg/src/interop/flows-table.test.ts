// Our writer + catalog → PyIceberg and DuckDB read the same rows (flow-like schema on S3,
// partitioned by day(ts), several snapshots, delete-by-partition, compaction, register).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgQuery, SqlCatalog } from "../catalog/sql-catalog.ts";
import { encodeAddress } from "../flows/ip.ts";
import { currentSnapshot } from "../spec/metadata.ts";
import { parseTransform } from "../spec/transforms.ts";
import type { Schema } from "../spec/types.ts";
import { liveEntries } from "../table/entries.ts";
import { expireSnapshots, removeOrphanFiles } from "../table/maintenance.ts";
import { deleteFiles, fastAppend, replaceFiles } from "../table/operations.ts";
import { registerFromMarkers } from "../table/register.ts";
import { createTable, loadTable } from "../table/table.ts";
import { writeDataFiles } from "../table/write.ts";
import { normalizeRows, type Row, rowsToBatch, sortRows } from "../testing/rows.ts";
import { CATALOG_NAME, duckdbRead, type Env, pyicebergRead, startEnv } from "./fixtures.ts";

const schema: Schema = {
  schemaId: 0,
  fields: [
    { id: 1, name: "ts", required: true, type: "timestamptz" },
    { id: 3, name: "exporter", required: true, type: "binary" },
    { id: 6, name: "src_addr", required: false, type: "binary" },
    { id: 9, name: "dst_port", required: false, type: "int" },
    { id: 13, name: "bytes", required: false, type: "long" },
  ],
};
const DAY = 86_400_000_000n;
const T0 = 1_700_000_000_000_000n; // 2023-11-14T22:13:20Z

function flows(n: number, startMicros: bigint, stepMicros: bigint, seed: number): Row[] {
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const k = seed * 1000 + i;
    rows.push({
      ts: startMicros + BigInt(i) * stepMicros,
      exporter: encodeAddress(k % 2 ? "192.0.2.1" : "2001:db8::1"),
      src_addr: i % 11 === 0 ? null : encodeAddress(`10.${k % 250}.${(k >> 3) % 250}.${k % 7}`),
      dst_port: i % 13 === 0 ? null : (k * 7) % 65536,
      bytes: BigInt(k) * 1_000_003n + (i === 5 ? 9_007_199_254_740_993n : 0n), // one value above 2^53
    });
  }
  return rows;
}

let env: Env;
beforeAll(async () => {
  env = await startEnv();
  await env.catalog.createNamespace(["netflow"]);
});
afterAll(async () => {
  await env?.stop();
});

describe("flow table written by us, read by PyIceberg and DuckDB", () => {
  const id = { namespace: ["netflow"], name: "flows" };
  const all: Row[] = [];

  it("three appends across day partitions; every snapshot reads back exactly", async () => {
    const t = await createTable(env.ctx, id, {
      schema,
      location: "s3://warehouse/netflow/flows",
      spec: { specId: 0, fields: [{ sourceId: 1, fieldId: 1000, name: "ts_day", transform: parseTransform("day") }] },
      sortOrder: {
        orderId: 1,
        fields: [{ sourceId: 1, transform: parseTransform("identity"), direction: "asc", nullOrder: "nulls-first" }],
      },
    });
    const snapshots: { id: bigint; rows: Row[] }[] = [];
    for (let s = 0; s < 3; s++) {
      // 1.5 days of flows per batch, 5 minutes apart, crossing midnight; batch 2 starts before batch 1 ends.
      const rows = flows(400, T0 + BigInt(s) * DAY, 300_000_000n, s);
      all.push(...rows);
      const table = await loadTable(env.ctx, id);
      const files = await writeDataFiles(env.ctx, table, [rowsToBatch(schema, rows)], { rowGroupRows: 128 });
      expect(files.length).toBeGreaterThanOrEqual(2);
      const committed = await fastAppend(env.ctx, id, files);
      snapshots.push({ id: committed.metadata.currentSnapshotId!, rows: [...all] });
    }
    expect(t.metadata.snapshots).toHaveLength(0);
    const latest = await pyicebergRead(env, id);
    expect(latest.columns).toEqual(schema.fields.map((f) => f.name));
    expect(sortRows(latest.rows)).toEqual(normalizeRows(schema, all));
    expect(latest.snapshots.map(BigInt)).toEqual(snapshots.map((s) => s.id));
    for (const s of snapshots.slice(0, 2)) {
      const r = await pyicebergRead(env, id, { snapshotId: s.id });
      expect(sortRows(r.rows)).toEqual(normalizeRows(schema, s.rows));
    }
  });

  it("DuckDB's iceberg_scan returns the same rows", async () => {
    const t = await loadTable(env.ctx, id);
    const r = await duckdbRead(env, t.metadataLocation);
    expect(r.version).toBe("1.5.5");
    expect(sortRows(r.rows)).toEqual(normalizeRows(schema, all));
  });

  it("delete by partition (retention) and compaction, then register from the commit marker", async () => {
    const before = await loadTable(env.ctx, id);
    const live = await liveEntries(env.store, before.metadata, currentSnapshot(before.metadata));
    const firstDay = Math.min(...live.map((e) => e.dataFile.partition[0] as number));
    const afterDelete = await deleteFiles(env.ctx, id, (f) => (f.partition[0] as number) <= firstDay);
    expect(currentSnapshot(afterDelete.metadata)?.summary.operation).toBe("delete");
    const cutoff = (BigInt(firstDay) + 1n) * DAY;
    const kept = all.filter((r) => (r.ts as bigint) >= cutoff);
    expect(kept.length).toBeLessThan(all.length);
    expect(sortRows((await pyicebergRead(env, id)).rows)).toEqual(normalizeRows(schema, kept));

    // Compaction: rewrite the files of one day into one file.
    const live2 = await liveEntries(env.store, afterDelete.metadata, currentSnapshot(afterDelete.metadata));
    const day = live2[0]!.dataFile.partition[0] as number;
    const victims = live2.filter((e) => e.dataFile.partition[0] === day);
    const dayRows = kept.filter((r) => (r.ts as bigint) / DAY === BigInt(day));
    dayRows.sort((a, b) => ((a.ts as bigint) < (b.ts as bigint) ? -1 : 1));
    const newFiles = await writeDataFiles(env.ctx, afterDelete, [rowsToBatch(schema, dayRows)]);
    expect(newFiles).toHaveLength(1);
    const compacted = await replaceFiles(
      env.ctx,
      id,
      victims.map((e) => e.dataFile.filePath),
      newFiles,
    );
    expect(currentSnapshot(compacted.metadata)?.summary.operation).toBe("replace");
    const r = await pyicebergRead(env, id);
    expect(sortRows(r.rows)).toEqual(normalizeRows(schema, kept));
    expect(sortRows((await duckdbRead(env, compacted.metadataLocation)).rows)).toEqual(normalizeRows(schema, kept));
    // Old snapshots are still readable (their files were not removed).
    const first = compacted.metadata.snapshots[0]!.snapshotId;
    expect((await pyicebergRead(env, id, { snapshotId: first })).rows).toHaveLength(400);

    // A lost race / crash leaves a newer, uncommitted metadata file behind; register must ignore it.
    await env.store.put(
      "s3://warehouse/netflow/flows/metadata/99999-00000000-0000-0000-0000-000000000000.metadata.json",
      await env.store.get(afterDelete.metadataLocation),
    );
    // Catalog lost: register under another catalog name from the last commit marker.
    const restored = new SqlCatalog({ name: "restored", query: pgQuery(env.pool) });
    const reg = await registerFromMarkers({ catalog: restored, store: env.store }, id, "s3://warehouse/netflow/flows");
    expect(reg.metadataLocation).toBe(compacted.metadataLocation);
    const rr = await pyicebergRead(env, id, { catalogName: "restored" });
    expect(sortRows(rr.rows)).toEqual(normalizeRows(schema, kept));
    expect(CATALOG_NAME).toBe("netflow");
  });

  it("expire snapshots deletes only unreachable files; orphan cleanup removes strays", async () => {
    const before = await loadTable(env.ctx, id);
    const live = await liveEntries(env.store, before.metadata, currentSnapshot(before.metadata));
    const r = await expireSnapshots(env.ctx, id, { olderThanMs: Date.now() + 1, retainLast: 1 });
    expect(r.expiredSnapshotIds.length).toBe(before.metadata.snapshots.length - 1);
    expect(r.table.metadata.snapshots).toHaveLength(1);
    // Every data file the current snapshot needs still exists; removed ones are gone.
    for (const e of live) expect(await env.store.head(e.dataFile.filePath)).toBeDefined();
    const gone = r.deletedFiles.filter((f) => f.endsWith(".parquet"));
    expect(gone.length).toBeGreaterThan(0);
    for (const f of gone) expect(await env.store.head(f)).toBeUndefined();
    // Files that compaction or retention removed (listed only as DELETED in kept manifests) are freed too.
    const liveFiles = new Set(live.map((e) => e.dataFile.filePath));
    const stored = (await env.store.list("s3://warehouse/netflow/flows/data/")).map((o) => o.location);
    expect(stored.filter((f) => !liveFiles.has(f))).toEqual([]);
    const expected = normalizeRows(
      schema,
      all.filter(
        (row) =>
          live.length > 0 &&
          (row.ts as bigint) >= BigInt(Math.min(...live.map((e) => e.dataFile.partition[0] as number))) * DAY,
      ),
    );
    expect(sortRows((await pyicebergRead(env, id)).rows)).toEqual(expected);

    const stray = "s3://warehouse/netflow/flows/data/ts_day=2000-01-01/stray.parquet";
    await env.store.put(stray, Uint8Array.of(1, 2, 3));
    const removed = await removeOrphanFiles(env.ctx, id, { olderThanMs: Date.now() + 60_000 });
    expect(removed).toContain(stray);
    expect(removed.some((f) => f.includes("/metadata/committed/"))).toBe(false);
    expect(sortRows((await duckdbRead(env, r.table.metadataLocation)).rows)).toEqual(expected);
    expect(sortRows((await pyicebergRead(env, id)).rows)).toEqual(expected);
  });
});
