/**
 * Iceberg write benchmark: synthetic flows already in memory as Arrow record batches →
 * (a) our DataFileWriter (zstd Parquet + exact Iceberg metrics, one thread) versus
 * (b) DuckDB `COPY t TO 'x.parquet' (FORMAT parquet, COMPRESSION zstd)` with threads=1
 * from a DuckDB table holding the same rows. Prints a ratio table; saves JSON to bench/results/.
 *
 * usage: npx tsx bench/iceberg-write/bench.ts [rows=1000000] [batchSize=65536] [rowGroupRows=262144]
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { DataFileWriter, FileObjectStore, flowPartitionSpec, flowSortOrder, flowTableSchema } from "@netflow/iceberg";
import { GENERATOR, syntheticFlowBatches } from "./synthetic-flows.ts";

const rows = Number(process.argv[2] ?? 1_000_000);
const batchSize = Number(process.argv[3] ?? 65_536);
const rowGroupRows = Number(process.argv[4] ?? 262_144);
const dir = mkdtempSync(join(tmpdir(), "bench-iceberg-"));

async function main(): Promise<void> {
  const t0 = performance.now();
  const batches = [...syntheticFlowBatches(rows, batchSize)];
  const genSeconds = (performance.now() - t0) / 1000;

  // (a) our writer
  const store = new FileObjectStore();
  const w = new DataFileWriter({
    store,
    schema: flowTableSchema(),
    spec: flowPartitionSpec("day"),
    sortOrder: flowSortOrder(),
    dataLocation: `${dir}/ours`,
    rowGroupRows,
    targetFileSizeBytes: 256 * 1024 * 1024,
  });
  const t1 = performance.now();
  for (const b of batches) await w.write(b);
  const files = await w.close();
  const oursSeconds = (performance.now() - t1) / 1000;
  const oursBytes = files.reduce((s, f) => s + f.fileSizeInBytes, 0);
  const oursRows = files.reduce((s, f) => s + f.recordCount, 0);
  if (oursRows !== rows) throw new Error(`wrote ${oursRows} rows, expected ${rows}`);

  // (b) DuckDB: load the same rows (untimed) from an uncompressed copy of our files, then time COPY.
  const db = await DuckDBInstance.create(":memory:", { threads: "1" });
  const con = await db.connect();
  const list = files.map((f) => `'${f.filePath}'`).join(",");
  await con.run(`CREATE TABLE flows AS SELECT * FROM read_parquet([${list}])`);
  const out = join(dir, "duck.parquet");
  const t2 = performance.now();
  await con.run(`COPY flows TO '${out}' (FORMAT parquet, COMPRESSION zstd)`);
  const duckSeconds = (performance.now() - t2) / 1000;
  const duckBytes = statSync(out).size;
  const check = await con.runAndReadAll(`SELECT count(*)::BIGINT FROM read_parquet('${out}')`);
  const duckRows = Number(check.getRows()[0]![0]);
  con.closeSync();

  const result = {
    benchmark: "iceberg-write",
    date: new Date().toISOString(),
    node: process.version,
    rows,
    batchSize,
    rowGroupRows,
    generator: { ...GENERATOR, startMicros: GENERATOR.startMicros.toString() },
    generateSeconds: genSeconds,
    ours: {
      seconds: oursSeconds,
      rowsPerSecond: rows / oursSeconds,
      bytes: oursBytes,
      bytesPerRow: oursBytes / rows,
      files: files.length,
    },
    duckdb: {
      seconds: duckSeconds,
      rowsPerSecond: duckRows / duckSeconds,
      bytes: duckBytes,
      bytesPerRow: duckBytes / duckRows,
      threads: 1,
    },
  };
  const ratio = {
    rowsPerSecond: result.ours.rowsPerSecond / result.duckdb.rowsPerSecond,
    bytesPerRow: result.ours.bytesPerRow / result.duckdb.bytesPerRow,
  };
  const fmt = (n: number, d = 0): string =>
    n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
  console.log(
    `iceberg-write: ${fmt(rows)} rows (${fmt(batches.length)} batches of ${fmt(batchSize)}), rowGroupRows ${fmt(rowGroupRows)}`,
  );
  console.log("| writer | rows/s | bytes/row | files | seconds |");
  console.log("|---|---:|---:|---:|---:|");
  console.log(
    `| ours (parquet-wasm + metrics) | ${fmt(result.ours.rowsPerSecond)} | ${fmt(result.ours.bytesPerRow, 2)} | ${files.length} | ${fmt(oursSeconds, 2)} |`,
  );
  console.log(
    `| duckdb COPY zstd, 1 thread | ${fmt(result.duckdb.rowsPerSecond)} | ${fmt(result.duckdb.bytesPerRow, 2)} | 1 | ${fmt(duckSeconds, 2)} |`,
  );
  console.log(`| ratio ours/duckdb | ${fmt(ratio.rowsPerSecond, 2)}× | ${fmt(ratio.bytesPerRow, 2)}× | | |`);
  const resultsDir = join(import.meta.dirname, "..", "results");
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `iceberg-write-${result.date.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify({ ...result, ratio }, null, 2)}\n`);
  console.log(`saved ${file}`);
}

main()
  .catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));
