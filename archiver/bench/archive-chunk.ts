/**
 * Benchmark: archive one compressed chunk of N flows (default 200k) on the
 * embedded TimescaleDB (or PG_URL_SUPER + ARCHIVER PG_URL for a real server
 * — not wired yet) into a file:// warehouse, and report per-stage times, the
 * export alone (the same windowed SELECTs, no encoding), the commit
 * transaction's length, the worst latency of a concurrent 1-row inserter
 * (what the collector would feel), peak RSS, and bytes/flow of Parquet vs
 * the compressed chunk.
 *
 *   npx tsx archiver/bench/archive-chunk.ts [rows]
 */

import { spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";
import { backfill } from "@netflow/generator";
import { to as copyTo } from "pg-copy-streams";
import { exportQuery } from "../src/archive/export.ts";
import { chunkFingerprint, compressChunk, listHotChunks } from "../src/hot/chunks.ts";
import { startTestEnv } from "../src/testing/env.ts";

const DAY = 86_400_000;
const CLI = fileURLToPath(new URL("../src/cli.ts", import.meta.url));

interface CliResult {
  rows: number;
  bytes: number;
  timings: Record<string, number>;
}

function runCliArchive(chunkId: number): Promise<{ result: CliResult; vmHwmKiB: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "archive", "--chunk", String(chunkId)], {
      env: {
        ...process.env,
        PG_URL: env.archiverUrl,
        WAREHOUSE: env.config.warehouse,
        ARCHIVE_BATCH_ROWS: String(env.config.batchRows),
        ARCHIVE_ROW_GROUP_ROWS: String(env.config.rowGroupRows),
        LOG_LEVEL: "warn",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    let hwm = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (m) hwm = Math.max(hwm, Number(m[1]));
      } catch {
        // The process is gone.
      }
    }, 100);
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("exit", (code) => {
      clearInterval(poll);
      if (code !== 0) reject(new Error(`archive exited with ${code}`));
      else resolve({ result: JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as CliResult, vmHwmKiB: hwm });
    });
  });
}
const rows = Number(process.argv[2] ?? 200_000);
const env = await startTestEnv({ batchRows: Number(process.env.ARCHIVE_BATCH_ROWS ?? 10_000), rowGroupRows: 131_072 });
let peakRss = 0;
const rssTimer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);
try {
  const day = Math.floor(Date.now() / DAY) * DAY - 10 * DAY;
  let t0 = performance.now();
  await backfill({ pgUrl: env.superUrl, fromMs: day, toMs: day + DAY, flowsPerDay: rows, seed: 1, batchRows: 50_000 });
  const backfillS = (performance.now() - t0) / 1000;
  const chunk = (await listHotChunks(env.pool))[0]!;
  t0 = performance.now();
  await compressChunk(env.pool, chunk.relation);
  const compressS = (performance.now() - t0) / 1000;
  const compressed = (await listHotChunks(env.pool))[0]!;
  const fp = await chunkFingerprint(env.pool, chunk.relation, false);

  // The export alone: the same windowed SELECTs, rows fetched and dropped.
  const windows = Math.max(1, Math.ceil((Number(fp.compressedRows) * 1000) / env.config.batchRows));
  const start = BigInt(chunk.rangeStart.getTime()) * 1000n;
  const step = (BigInt(DAY) * 1000n + BigInt(windows) - 1n) / BigInt(windows);
  t0 = performance.now();
  let exported = 0;
  for (let i = 0; i < windows; i++) {
    const lo = start + BigInt(i) * step;
    const r = await env.pool.query({
      text: exportQuery(chunk.relation),
      values: [lo.toString(), (lo + step).toString(), 1_000_000],
      rowMode: "array",
      types: { getTypeParser: () => (v: string) => v },
    });
    exported += r.rows.length;
  }
  const exportAloneS = (performance.now() - t0) / 1000;

  // The baseline: COPY (SELECT … chunk) TO STDOUT CSV, then DuckDB CSV → Parquet (zstd, 1 thread).
  const tmp = mkdtempSync(join(tmpdir(), "archive-bench-"));
  t0 = performance.now();
  const copyClient = await env.pool.connect();
  try {
    await pipeline(
      copyClient.query(copyTo(`COPY (SELECT * FROM ${chunk.relation}) TO STDOUT (FORMAT csv)`)),
      createWriteStream(join(tmp, "chunk.csv")),
    );
  } finally {
    copyClient.release();
  }
  const baselineCopyS = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const duck = await DuckDBInstance.create(":memory:", { threads: "1" });
  const dconn = await duck.connect();
  await dconn.run(
    `COPY (SELECT * FROM read_csv('${join(tmp, "chunk.csv")}', header = false)) TO '${join(tmp, "chunk.parquet")}' (FORMAT parquet, COMPRESSION zstd)`,
  );
  dconn.closeSync();
  duck.closeSync();
  const baselineParquetS = (performance.now() - t0) / 1000;
  rmSync(tmp, { recursive: true, force: true });

  // A collector stand-in: one INSERT every 20 ms into a recent chunk; worst latency.
  let worstInsertMs = 0;
  let inserts = 0;
  let stop = false;
  const inserter = (async () => {
    while (!stop) {
      const s = performance.now();
      await env.su.query("INSERT INTO flows (ts, exporter, packets, bytes) VALUES (now(), '192.0.2.1', 1, 1)");
      worstInsertMs = Math.max(worstInsertMs, performance.now() - s);
      inserts++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  // The job runs in its own process (the CLI), so its peak RSS (VmHWM) is the job's alone.
  t0 = performance.now();
  const { result, vmHwmKiB } = await runCliArchive(chunk.chunkId).finally(() => {
    stop = true;
  });
  const jobS = (performance.now() - t0) / 1000;
  await inserter;
  const t = result.timings;
  const stagesS = ((t.compress ?? 0) + (t.export ?? 0) + (t.verify ?? 0) + (t.stage ?? 0) + (t.commitTx ?? 0)) / 1000;

  const report = {
    backend: "embedded TimescaleDB (PGlite WASM) over pg-gateway",
    rows: result.rows,
    exportedByBaselineLoop: exported,
    backfillS,
    compressS,
    compressedChunkBytes: compressed.bytes,
    parquetBytes: result.bytes,
    bytesPerFlow: { parquet: result.bytes / result.rows, compressedChunk: compressed.bytes / result.rows },
    baseline: {
      copyCsvS: baselineCopyS,
      duckdbCsvToParquetS: baselineParquetS,
      rowsPerS: Math.round(exported / (baselineCopyS + baselineParquetS)),
    },
    exportAloneS,
    exportAloneRowsPerS: Math.round(exported / exportAloneS),
    jobS,
    jobRowsPerS: Math.round(result.rows / jobS),
    // Without the CLI process start-up: the job's own stages.
    jobStagesS: stagesS,
    jobStagesRowsPerS: Math.round(result.rows / stagesS),
    jobOverExportAlone: stagesS / exportAloneS,
    jobOverBaseline: stagesS / (baselineCopyS + baselineParquetS),
    stagesMs: result.timings,
    concurrentInserts: inserts,
    worstInsertLatencyMs: Math.round(worstInsertMs),
    jobPeakRssMiB: Math.round(vmHwmKiB / 1024),
    benchProcessPeakRssMiB: Math.round(peakRss / 1024 / 1024),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  clearInterval(rssTimer);
  await env.stop();
}
