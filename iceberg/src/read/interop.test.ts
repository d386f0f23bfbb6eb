// Full row comparison of every fixture table, every snapshot, against two independent readers:
// PyIceberg (StaticTable.from_metadata) and DuckDB's iceberg extension (1.5.5). The icebird
// tables store s3a:// and s3:// locations, so their files are uploaded unchanged to a real
// SeaweedFS bucket named like the stored one; the duckdb-iceberg tables store relative paths,
// so the readers run in the folder those paths are relative to. Where a reader cannot read a
// fixture, the test names the limitation by the reader's own error, so it fails (and must be
// updated) the day the reader learns it.
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { S3ObjectStore } from "../io/s3-store.ts";
import type { JsonObject } from "../json/exact-json.ts";
import { type SeaweedServer, startSeaweed } from "../testing/seaweed.ts";
import { FIXTURES, type FixtureTable, TABLES } from "./fixture-tables.ts";
import { openTable } from "./open.ts";
import { compareWithReference, type Limit, type RefOutput, runPy } from "./reference-readers.ts";

/** What each reader cannot do, as its own error says (absent = reads the table). */
const LIMITS: Record<string, { pyiceberg?: Limit; duckdb?: Limit }> = {
  // PyIceberg 0.12 refuses equality deletes (snapshot 3 of java/bunnies); it reads the older snapshots.
  "java/bunnies": {
    pyiceberg: { error: /PyIceberg does not yet support equality deletes/, snapshots: [9158179788527662767n] },
  },
  // PyIceberg 0.12 requires every required field in the Parquet file; it does not fill an
  // identity partition column that is only in the manifest.
  partition_timestamptz: {
    pyiceberg: { error: /Field is required, and could not be found in the file: 1: partition_col/ },
  },
  // DuckDB's iceberg_scan opens `file://data/...` literally (a relative path inside a file:// URI).
  map_stats: { duckdb: { error: /Cannot open file "file:\/\/data\/persistent\/map_stats/ } },
};

let seaweed: SeaweedServer;
let store: S3ObjectStore;
let s3Args: JsonObject;

async function upload(dir: string, bucket: string): Promise<void> {
  const walk = async (d: string): Promise<string[]> =>
    (
      await Promise.all(
        (
          await readdir(d, { withFileTypes: true })
        ).map((e) => (e.isDirectory() ? walk(join(d, e.name)) : Promise.resolve([join(d, e.name)]))),
      )
    ).flat();
  for (const f of await walk(dir)) {
    if (f.endsWith("LICENSE")) continue;
    await store.put(`s3://${bucket}/${relative(dir, f)}`, new Uint8Array(await readFile(f)));
  }
}

beforeAll(async () => {
  seaweed = await startSeaweed({ buckets: ["hyperparam-iceberg"] });
  store = new S3ObjectStore({
    endpoint: seaweed.endpoint,
    accessKeyId: seaweed.accessKeyId,
    secretAccessKey: seaweed.secretAccessKey,
  });
  await upload(`${FIXTURES}/icebird/hyperparam-iceberg`, "hyperparam-iceberg");
  s3Args = { endpoint: seaweed.endpoint, access_key: seaweed.accessKeyId, secret_key: seaweed.secretAccessKey };
}, 120_000);
afterAll(async () => {
  store?.close();
  await seaweed?.stop();
});

/** Where a table is opened from, for us and for the Python readers. */
function where(t: FixtureTable): { location: string; cwd: string | undefined } {
  if (t.relativeTo === undefined) {
    const key = relative(`${FIXTURES}/icebird/hyperparam-iceberg`, `${t.dir}/${t.metadata}`);
    return { location: `s3://hyperparam-iceberg/${key}`, cwd: undefined };
  }
  return { location: relative(t.relativeTo, `${t.dir}/${t.metadata}`), cwd: t.relativeTo };
}

describe.each(TABLES.map((t) => [t.name, t] as const))("%s", (name, fixture) => {
  const limits = LIMITS[name] ?? {};
  const args = (location: string, cwd: string | undefined) => ({
    metadata_location: location,
    snapshot_ids: fixture.snapshots.map((s) => s.id.toString()),
    ...(cwd ? {} : { s3: s3Args }),
  });

  it(`PyIceberg reads the same rows at every snapshot${limits.pyiceberg ? " (limitation named)" : ""}`, async () => {
    const { location, cwd } = where(fixture);
    const t = await openTable(location, { s3Store: store, ...(cwd ? { baseDir: cwd } : {}) });
    const out = (await runPy("pyiceberg_read_fixture.py", args(location, cwd), cwd)) as RefOutput;
    await compareWithReference(t, fixture.snapshots, out, limits.pyiceberg);
    t.store.close();
  });

  it(`DuckDB's iceberg extension reads the same rows at every snapshot${limits.duckdb ? " (limitation named)" : ""}`, async () => {
    const { location, cwd } = where(fixture);
    const t = await openTable(location, { s3Store: store, ...(cwd ? { baseDir: cwd } : {}) });
    const out = (await runPy("duckdb_read_fixture.py", args(location, cwd), cwd)) as RefOutput & { version: string };
    expect(out.version).toBe("1.5.5");
    await compareWithReference(t, fixture.snapshots, out, limits.duckdb);
    t.store.close();
  });
});
