/**
 * Test-side checksums of both tiers from readers independent of the archiver:
 * hot by Postgres SQL, cold by DuckDB over the current snapshot's live files
 * and by PyIceberg (its own scan planning and Parquet reader) + hashlib.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { currentSnapshot, liveEntries, loadTable, type TableContext } from "@netflow/iceberg";
import { FLOW_COLUMNS } from "@netflow/schema";
import type pg from "pg";
import { verifyFiles } from "../archive/verify.ts";
import { type Checksum, pgChecksumSql } from "../hash/row-hash.ts";
import { FLOWS_TABLE } from "../warehouse/warehouse.ts";

const run = promisify(execFile);

export async function hotChecksum(db: pg.Pool): Promise<Checksum> {
  const r = (await db.query<{ n: string; s: string }>(pgChecksumSql("flows"))).rows[0]!;
  return { count: BigInt(r.n), sum: BigInt(r.s) };
}

/** DuckDB over the live data files of the table's current snapshot (empty when there is no table yet). */
export async function coldChecksumDuckdb(ctx: TableContext): Promise<{ checksum: Checksum; files: string[] }> {
  let t: Awaited<ReturnType<typeof loadTable>>;
  try {
    t = await loadTable(ctx, FLOWS_TABLE);
  } catch {
    return { checksum: { count: 0n, sum: 0n }, files: [] };
  }
  const files = (await liveEntries(ctx.store, t.metadata, currentSnapshot(t.metadata))).map((e) => e.dataFile.filePath);
  return { checksum: await verifyFiles(ctx.store, files), files };
}

export interface PyIcebergChecksum {
  readonly checksum: Checksum;
  readonly snapshotId: string | null;
  readonly files: number;
}

/** PyIceberg reading through the SQL catalog in the hot database (`pgUrl` as a postgres:// URL). */
export async function coldChecksumPyIceberg(
  pgUrl: string,
  s3?: { endpoint: string; access_key: string; secret_key: string },
): Promise<PyIcebergChecksum> {
  const script = fileURLToPath(new URL("./pyiceberg_checksum.py", import.meta.url));
  const columns = FLOW_COLUMNS.map((c) => ({
    name: c.name,
    kind:
      c.pgType === "inet"
        ? "address"
        : c.pgType === "timestamptz"
          ? "timestamptz"
          : c.pgType === "boolean"
            ? "boolean"
            : "int",
  }));
  const uri = pgUrl.replace(/^postgres(ql)?:\/\//, "postgresql+psycopg2://");
  const { stdout } = await run(
    "python3",
    [script, JSON.stringify({ catalog_uri: uri, columns, ...(s3 ? { s3 } : {}) })],
    {
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    },
  );
  const out = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as {
    n: string;
    s: string;
    snapshot_id: string | null;
    files: number;
  };
  return { checksum: { count: BigInt(out.n), sum: BigInt(out.s) }, snapshotId: out.snapshot_id, files: out.files };
}

export function addChecksum(a: Checksum, b: Checksum): Checksum {
  return { count: a.count + b.count, sum: a.sum + b.sum };
}
