// The `iceberg` CLI end to end, as a child process: on the fixture tables (file paths, table
// folders, mapped and relative locations) and on a table of ours written with the write side
// into a real SeaweedFS S3 and registered in a real Postgres SQL catalog.
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgQuery, SqlCatalog } from "../catalog/sql-catalog.ts";
import { S3ObjectStore } from "../io/s3-store.ts";
import { parseJson } from "../json/exact-json.ts";
import { FIXTURES, table } from "../read/fixture-tables.ts";
import { parseTransform } from "../spec/transforms.ts";
import type { Schema } from "../spec/types.ts";
import { fastAppend } from "../table/operations.ts";
import { createTable, loadTable } from "../table/table.ts";
import { writeDataFiles } from "../table/write.ts";
import { startTestPostgres, type TestPostgres } from "../testing/postgres.ts";
import { type Row as InputRow, rowsToBatch } from "../testing/rows.ts";
import { type SeaweedServer, startSeaweed } from "../testing/seaweed.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
// tsx by absolute path: the CLI also runs in folders outside the repository.
const TSX = createRequire(import.meta.url).resolve("tsx/cli");

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [TSX, MAIN, ...args], {
      cwd: opts.cwd ?? process.cwd(),
      env: { ...process.env, ...opts.env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const lines = (s: string): string[] => s.split("\n").filter((l) => l !== "");

describe("on fixture tables", () => {
  const java = table("java/bunnies");
  const rename = table("spark/rename_column");

  it("inspect prints schema, spec, snapshots and file counts (text and --json)", async () => {
    const text = await cli(["inspect", java.dir, "--table-root", "auto"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("9  __happy__  boolean");
    expect(text.stdout).toContain("partition spec 0 (default): unpartitioned");
    expect(text.stdout).toContain("9158179788527662767  seq 3");
    expect(text.stdout).toContain("2 data, 1 position-delete, 1 equality-delete");
    const json = parseJson((await cli(["inspect", rename.dir, "--table-root", "auto", "--json"])).stdout) as {
      [k: string]: never;
    };
    expect(json["format-version"]).toBe(2);
    expect(json["partition-specs"]).toEqual([
      {
        "spec-id": 0,
        default: true,
        fields: [
          { name: "id_bucket", transform: "bucket[4]", "source-id": 1, "field-id": 1000 },
          { name: "date", transform: "identity", "source-id": 3, "field-id": 1001 },
        ],
      },
    ]);
    expect(json.files).toEqual({
      "snapshot-id": 5276958600260276572n,
      "data-files": 3,
      "position-delete-files": 0,
      "equality-delete-files": 0,
      "data-file-records": 4,
    });
  });

  it("scan prints every row as JSON lines, with exact decimals and ISO dates", async () => {
    const r = await cli(["scan", `${rename.dir}/${rename.metadata}`, "--table-root", "auto"]);
    expect(r.code).toBe(0);
    expect(lines(r.stdout).sort()).toEqual(
      [
        '{"id":1,"name":"Flopsy 🐇","event_date":"2022-01-01","price":"9.99","active":true}',
        '{"id":2,"name":"Mopsy–Naïve","event_date":"2022-01-01","price":"-5.00","active":false}',
        '{"id":3,"name":"Cottontail","event_date":null,"price":"0.00","active":true}',
        '{"id":4,"name":"Thumper","event_date":"2022-01-02","price":"99999999.99","active":false}',
      ].sort(),
    );
  });

  it("scan --format csv --filter --limit --snapshot --map-location", async () => {
    const csv = await cli([
      "scan",
      java.dir,
      "--map-location",
      `s3a://hyperparam-iceberg=${FIXTURES}/icebird/hyperparam-iceberg`,
      "--filter",
      `"Breed Name" = 'New Zealand' or ("Popularity Rank" >= 20 and __happy__ is null)`,
      "--format",
      "csv",
    ]);
    expect(csv.code).toBe(0);
    expect(lines(csv.stdout)).toEqual([
      "Breed Name,Average Weight,Fur Length,Lifespan,Origin Country,Ear Type,Temperament,Popularity Rank,__happy__",
      "New Zealand,4,2.7,8,New Zealand,Erect,Affectionate,0,true",
      "Harlequin,3,2.8,6,France,Erect,Playful,20,",
    ]);
    const old = await cli(["scan", java.dir, "--table-root", "auto", "--snapshot", "4951213507629824583"]);
    expect(lines(old.stdout)).toHaveLength(21);
    const limited = await cli(["scan", java.dir, "--table-root", "auto", "--limit", "3"]);
    expect(lines(limited.stdout)).toHaveLength(3);
  });

  it("relative stored paths resolve from the working directory without any option", async () => {
    const t = table("partition_timestamptz");
    const r = await cli(
      [
        "scan",
        "data/persistent/partition_timestamptz/default.db/partition_timestamptz/metadata/00001-ffeadb58-2a9e-46ba-8b4f-f363f05de68c.metadata.json",
        "--filter",
        "partition_col = '2023-05-15T14:30:45Z'",
      ],
      { cwd: t.relativeTo! },
    );
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([
      '{"partition_col":"2023-05-15T14:30:45.000000Z","user_id":12345,"event_type":"click"}',
    ]);
  });

  it("usage errors exit 2, failures exit 1", async () => {
    const cases = [
      [],
      ["frobnicate"],
      ["scan"],
      ["scan", java.dir, "--bogus"],
      ["scan", java.dir, "--format", "xml"],
      ["scan", java.dir, "--table-root", "auto", "--filter", "nope = 1"],
      ["scan", java.dir, "--table-root", "auto", "--filter", "Lifespan >"],
      ["register", "x"],
    ];
    const results = await Promise.all(cases.map((args) => cli(args)));
    for (const [i, r] of results.entries()) {
      expect([cases[i], r.code]).toEqual([cases[i], 2]);
      expect(r.stderr).toContain("usage:");
    }
    const missing = await cli(["scan", "/nonexistent/table"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no-such-table/);
    const badSnapshot = await cli(["scan", java.dir, "--table-root", "auto", "--snapshot", "1"]);
    expect(badSnapshot.code).toBe(1);
    expect(badSnapshot.stderr).toMatch(/snapshot 1 does not exist/);
  });
});

describe("on our own table in S3 and the SQL catalog", () => {
  const schema: Schema = {
    schemaId: 0,
    fields: [
      { id: 1, name: "ts", required: true, type: "timestamptz" },
      { id: 2, name: "host", required: false, type: "string" },
      { id: 3, name: "bytes", required: false, type: "long" },
    ],
  };
  const T0 = 1_767_225_600_000_000n; // 2026-01-01T00:00:00Z
  const batch = (from: number, n: number): InputRow[] =>
    Array.from({ length: n }, (_, i) => ({
      ts: T0 + BigInt(from + i) * 3_600_000_000n,
      host: (from + i) % 5 === 0 ? null : `h${(from + i) % 3}`,
      bytes: BigInt(from + i) * 9_007_199_254_740_993n,
    }));
  let seaweed: SeaweedServer;
  let pgServer: TestPostgres;
  let pool: pg.Pool;
  let store: S3ObjectStore;
  let env: NodeJS.ProcessEnv;
  const snapshots: bigint[] = [];
  let metadataLocation = "";

  beforeAll(async () => {
    [seaweed, pgServer] = await Promise.all([startSeaweed({ buckets: ["warehouse"] }), startTestPostgres()]);
    pool = new pg.Pool({ connectionString: pgServer.url, max: 2 });
    pool.on("error", () => undefined);
    const catalog = new SqlCatalog({ name: "netflow", query: pgQuery(pool) });
    await catalog.initialize();
    await catalog.createNamespace(["cli"]);
    store = new S3ObjectStore({
      endpoint: seaweed.endpoint,
      accessKeyId: seaweed.accessKeyId,
      secretAccessKey: seaweed.secretAccessKey,
    });
    const ctx = { catalog, store };
    const id = { namespace: ["cli"], name: "flows" };
    await createTable(ctx, id, {
      schema,
      location: "s3://warehouse/cli/flows",
      spec: { specId: 0, fields: [{ sourceId: 1, fieldId: 1000, name: "ts_day", transform: parseTransform("day") }] },
    });
    for (const [from, n] of [
      [0, 30],
      [30, 40],
    ] as const) {
      const files = await writeDataFiles(ctx, await loadTable(ctx, id), [rowsToBatch(schema, batch(from, n))]);
      const c = await fastAppend(ctx, id, files);
      snapshots.push(c.metadata.currentSnapshotId!);
      metadataLocation = c.metadataLocation;
    }
    env = {
      S3_ENDPOINT: seaweed.endpoint,
      S3_ACCESS_KEY_ID: seaweed.accessKeyId,
      S3_SECRET_ACCESS_KEY: seaweed.secretAccessKey,
      S3_REGION: seaweed.region,
    };
  }, 120_000);
  afterAll(async () => {
    store?.close();
    await pool?.end();
    await Promise.all([seaweed?.stop(), pgServer?.stop()]);
  });

  const expected = (rows: InputRow[]): string[] =>
    rows
      .map(
        (r) =>
          `{"ts":"${new Date(Number((r.ts as bigint) / 1000n)).toISOString().replace(".000Z", ".000000Z")}","host":${r.host === null ? "null" : `"${r.host}"`},"bytes":${r.bytes}}`,
      )
      .sort();

  it("scan s3:// table folder (newest metadata) and a catalog table via --pg-url give the written rows", async () => {
    const direct = await cli(["scan", "s3://warehouse/cli/flows"], { env });
    expect(direct.code).toBe(0);
    expect(lines(direct.stdout).sort()).toEqual(expected(batch(0, 70)));
    const viaCatalog = await cli(["scan", "cli.flows", "--pg-url", pgServer.url], { env });
    expect(lines(viaCatalog.stdout).sort()).toEqual(expected(batch(0, 70)));
    const first = await cli(["scan", metadataLocation, "--snapshot", snapshots[0]!.toString()], { env });
    expect(lines(first.stdout).sort()).toEqual(expected(batch(0, 30)));
    const filtered = await cli(
      [
        "scan",
        metadataLocation,
        "--filter",
        "ts >= '2026-01-02T00:00:00Z' and ts < '2026-01-02T05:00:00Z' and host is not null",
      ],
      { env },
    );
    expect(lines(filtered.stdout).sort()).toEqual(expected(batch(24, 5).filter((r) => r.host !== null)));
  });

  it("inspect an s3:// metadata file", async () => {
    const r = await cli(["inspect", metadataLocation, "--json"], { env });
    expect(r.code).toBe(0);
    const info = parseJson(r.stdout) as { snapshots: { "snapshot-id": bigint }[]; files: { "data-files": number } };
    expect(info.snapshots.map((s) => s["snapshot-id"])).toEqual(snapshots);
    expect(info.files["data-files"]).toBeGreaterThanOrEqual(2);
  });

  it("register re-registers a table from its commit markers; refuses to overwrite without --force", async () => {
    const r = await cli(["register", "restored.flows", "s3://warehouse/cli/flows", "--pg-url", pgServer.url], { env });
    expect(r.code).toBe(0);
    const restored = new SqlCatalog({ name: "netflow", query: pgQuery(pool) });
    expect(await restored.loadTable({ namespace: ["restored"], name: "flows" })).toBe(metadataLocation);
    const again = await cli(["register", "restored.flows", "s3://warehouse/cli/flows", "--pg-url", pgServer.url], {
      env,
    });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/table-exists/);
    // Disaster recovery to an explicit (older) metadata file replaces the pointer with --force.
    const older = (await store.list("s3://warehouse/cli/flows/metadata/"))
      .map((o) => o.location)
      .filter((l) => l.endsWith(".metadata.json") && l !== metadataLocation)
      .sort()
      .at(-1)!;
    const forced = await cli(["register", "restored.flows", older, "--pg-url", pgServer.url, "--force"], { env });
    expect(forced.code).toBe(0);
    expect(await restored.loadTable({ namespace: ["restored"], name: "flows" })).toBe(older);
    const scanned = await cli(["scan", "restored.flows", "--pg-url", pgServer.url], { env });
    expect(lines(scanned.stdout).sort()).toEqual(expected(batch(0, 30)));
  });
});
