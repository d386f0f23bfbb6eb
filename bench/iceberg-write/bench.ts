/**
 * Iceberg write benchmark: synthetic flows already in memory as Arrow record batches →
 * (a) our DataFileWriter (zstd Parquet + exact Iceberg metrics, one thread) versus
 * (b) DuckDB `COPY t TO 'x.parquet' (FORMAT parquet, COMPRESSION zstd)` with threads=1
 * from a DuckDB table holding the same rows. Prints a ratio table; saves JSON to bench/results/.
 *
 * Each of our variants runs twice (alternating) and the faster run counts, because the
 * shared 2-core machine is noisy; DuckDB runs once after them.
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

  // (a) our writer: defaults, and the lean Parquet options (statistics only on the
  // sort/partition columns, data page v2). A small untimed warm-up run first so neither
  // timed run pays for JIT and WASM start-up; the two timed runs alternate twice.
  type Lean = { parquetStatistics: "sort-and-partition"; parquetDataPageVersion: 2 } | Record<string, never>;
  const lean: Lean = { parquetStatistics: "sort-and-partition", parquetDataPageVersion: 2 };
  const runOurs = async (name: string, extra: Lean, input = batches) => {
    const w = new DataFileWriter({
      store: new FileObjectStore(),
      schema: flowTableSchema(),
      spec: flowPartitionSpec("day"),
      sortOrder: flowSortOrder(),
      dataLocation: `${dir}/${name}`,
      rowGroupRows,
      targetFileSizeBytes: 256 * 1024 * 1024,
      ...extra,
    });
    const t = performance.now();
    for (const b of input) await w.write(b);
    const out = await w.close();
    const seconds = (performance.now() - t) / 1000;
    const written = out.reduce((s, f) => s + f.recordCount, 0);
    const expected = input.reduce((s, b) => s + b.numRows, 0);
    if (written !== expected) throw new Error(`wrote ${written} rows, expected ${expected}`);
    return { files: out, seconds };
  };
  await runOurs("warmup", {}, batches.slice(0, 2));
  const d1 = await runOurs("ours-1", {});
  const l1 = await runOurs("lean-1", lean);
  const d2 = await runOurs("ours-2", {});
  const l2 = await runOurs("lean-2", lean);
  const files = d2.files;
  const oursSeconds = Math.min(d1.seconds, d2.seconds);
  const oursBytes = files.reduce((s, f) => s + f.fileSizeInBytes, 0);
  const leanRun = { files: l2.files, seconds: Math.min(l1.seconds, l2.seconds) };
  const leanBytes = leanRun.files.reduce((s, f) => s + f.fileSizeInBytes, 0);

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
    oursLean: {
      seconds: leanRun.seconds,
      rowsPerSecond: rows / leanRun.seconds,
      bytes: leanBytes,
      bytesPerRow: leanBytes / rows,
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
    leanRowsPerSecond: result.oursLean.rowsPerSecond / result.duckdb.rowsPerSecond,
  };
  const fmt = (n: number, d = 0): string =>
    n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
  console.log(
    `iceberg-write: ${fmt(rows)} rows (${fmt(batches.length)} batches of ${fmt(batchSize)}), rowGroupRows ${fmt(rowGroupRows)}`,
  );
  console.log("| writer | rows/s | bytes/row | files | seconds |");
  console.log("|---|---:|---:|---:|---:|");
  console.log(
    `| ours (parquet-wasm + metrics, defaults) | ${fmt(result.ours.rowsPerSecond)} | ${fmt(result.ours.bytesPerRow, 2)} | ${files.length} | ${fmt(oursSeconds, 2)} |`,
  );
  console.log(
    `| ours, lean (stats sort/partition cols, page v2) | ${fmt(result.oursLean.rowsPerSecond)} | ${fmt(result.oursLean.bytesPerRow, 2)} | ${leanRun.files.length} | ${fmt(leanRun.seconds, 2)} |`,
  );
  console.log(
    `| duckdb COPY zstd, 1 thread | ${fmt(result.duckdb.rowsPerSecond)} | ${fmt(result.duckdb.bytesPerRow, 2)} | 1 | ${fmt(duckSeconds, 2)} |`,
  );
  console.log(`| ratio ours/duckdb | ${fmt(ratio.rowsPerSecond, 2)}× | ${fmt(ratio.bytesPerRow, 2)}× | | |`);
  console.log(`| ratio lean/duckdb | ${fmt(ratio.leanRowsPerSecond, 2)}× | | | |`);
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
