/**
 * Reads written data files back with DuckDB — a Parquet implementation
 * independent of the writer's (parquet-wasm) — and computes the canonical
 * checksum over them (invariant 3). Files of a file:// warehouse are read in
 * place; object-store files are first copied to a temp dir in ranges, so
 * memory stays bounded whatever the file size (DuckDB's httpfs extension
 * would need a download at run time).
 */
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { fileLocationToPath, type ObjectStore } from "@netflow/iceberg";
import { type Checksum, duckdbChecksumSql, parseChecksum } from "../hash/row-hash.ts";

const RANGE_BYTES = 8 * 1024 * 1024;

async function copyToFile(store: ObjectStore, location: string, path: string): Promise<void> {
  const info = await store.head(location);
  if (!info) throw new Error(`file to verify is missing: ${location}`);
  const out = createWriteStream(path);
  try {
    for (let off = 0; off < info.size; off += RANGE_BYTES) {
      const part = await store.getRange(location, off, Math.min(RANGE_BYTES, info.size - off));
      if (!out.write(part)) await new Promise<void>((r) => out.once("drain", () => r()));
    }
  } finally {
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
}

const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** DuckDB's checksum over local Parquet files (absolute paths). */
export async function duckdbChecksum(paths: readonly string[]): Promise<Checksum> {
  if (paths.length === 0) return { count: 0n, sum: 0n };
  const instance = await DuckDBInstance.create(":memory:", { threads: "2" });
  try {
    const conn = await instance.connect();
    try {
      const reader = await conn.runAndReadAll(duckdbChecksumSql(`read_parquet([${paths.map(sqlString).join(", ")}])`));
      const row = reader.getRowObjects()[0];
      return parseChecksum(row === undefined ? undefined : { n: row.n, s: row.s });
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/** Runs `fn` over local paths of warehouse files: in place for file://, temp copies otherwise. */
export async function withLocalFiles<T>(
  store: ObjectStore,
  locations: readonly string[],
  fn: (paths: string[]) => Promise<T>,
): Promise<T> {
  if (locations.every((l) => l.startsWith("file://"))) return await fn(locations.map((l) => fileLocationToPath(l)));
  const dir = await mkdtemp(join(tmpdir(), "archiver-read-"));
  try {
    const paths: string[] = [];
    for (const [i, location] of locations.entries()) {
      const path = join(dir, `${i}.parquet`);
      await copyToFile(store, location, path);
      paths.push(path);
    }
    return await fn(paths);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The checksum of data files at their warehouse locations. */
export async function verifyFiles(store: ObjectStore, locations: readonly string[]): Promise<Checksum> {
  return await withLocalFiles(store, locations, duckdbChecksum);
}
