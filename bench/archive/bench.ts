/**
 * Archive benchmark (issue 5, "Performance"): archive one compressed chunk of N flows and
 * compare, in the same run and on the same rows,
 *   - the whole archive job (the archiver CLI `archive --chunk`, its own process),
 *     and its stages: read (reader thread: database + row hash + Arrow), encode (main
 *     thread: sort, metrics, Parquet), upload (object store busy), verify (DuckDB read-back),
 *     commit (staging + the one transaction);
 *   - the export alone: the job's own windowed SELECTs, rows fetched and dropped;
 *   - the baseline: `COPY (SELECT * FROM chunk) TO STDOUT (FORMAT csv)` to a file, then DuckDB
 *     (1 thread) `COPY (SELECT * FROM read_csv(…)) TO … (FORMAT parquet, COMPRESSION zstd)`.
 * Also: peak RSS (VmHWM) of the job process at two chunk sizes, bytes/flow of the Parquet
 * vs the compressed chunk, the commit transaction's length, and the worst latency of a
 * 1-row INSERT every 20 ms (what a collector would feel), run during the export alone and
 * during the job alike so both carry the same extra engine work.
 *
 * Targets (issue 5): on a real TimescaleDB the job ≥ 1.5× the baseline's rows/s; on the
 * embedded engine (where the WASM export dominates) the whole job ≤ 1.25× the export alone;
 * the job's peak RSS flat as the chunk grows (1M vs 5M rows). Ratios are only comparable
 * on the same backend, so the table names it.
 *
 * Fixed parameters: generator `backfill` seed 1, one UTC day (ten days ago) holding all N
 * flows (one chunk), production defaults ARCHIVE_BATCH_ROWS 10000, ARCHIVE_ROW_GROUP_ROWS
 * 131072, 256 MiB target files. Hot backend: the embedded TimescaleDB (PGlite WASM behind
 * pg-gateway, started here), or a real TimescaleDB when PG_URL (superuser) is set — the
 * bench migrates it, uses a day far in the past and archives (drops) only its own chunk.
 * Object store: SeaweedFS S3 started here (`--store file` for a file:// warehouse).
 *
 * Each size runs in its own child process with a fresh database, so sizes don't share
 * caches or memory; the job runs in a grandchild whose VmHWM is its own peak.
 *
 *   npx tsx bench/archive/bench.ts [--rows 5000000] [--rss-rows 1000000] [--store s3|file]
 * Saves bench/results/archive-<time>.json.
 */
import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";
import { backfill } from "@netflow/generator";
import { hotStoreConfigFromEnv, migrate } from "@netflow/timescale";
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { exportQuery, exportWindows } from "../../archiver/src/archive/export.ts";
import { chunkFingerprint, compressChunk, listHotChunks } from "../../archiver/src/hot/chunks.ts";
import { ARCHIVER_PASSWORD, startTestEnv } from "../../archiver/src/testing/env.ts";
import { type SeaweedServer, startSeaweed } from "../../iceberg/src/testing/seaweed.ts";

const DAY = 86_400_000;
const BATCH_ROWS = 10_000;
const ROW_GROUP_ROWS = 131_072;
const SELF = fileURLToPath(import.meta.url);
const CLI = fileURLToPath(new URL("../../archiver/src/cli.ts", import.meta.url));
const RESULTS = fileURLToPath(new URL("../results/", import.meta.url));

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

interface SizeResult {
  backend: string;
  store: string;
  rows: number;
  backfillS: number;
  compressS: number;
  compressedChunkBytes: number;
  parquetBytes: number;
  exportAloneS: number;
  baseline: { copyCsvS: number; duckdbCsvToParquetS: number; totalS: number };
  /** The job's own wall time (archiveChunk, without process start-up). */
  jobS: number;
  /** The CLI process from spawn to exit. */
  jobProcessS: number;
  stagesMs: Record<string, number>;
  jobPeakRssMiB: number;
  worstInsertLatencyMs: number;
  concurrentInserts: number;
  worstInsertLatencyExportAloneMs: number;
}

// ---------------------------------------------------------------- one size (child process)

interface HotEnv {
  backend: string;
  superUrl: string;
  archiverUrl: string;
  su: pg.Pool;
  pool: pg.Pool;
  /** Embedded only: restarts the engine on its data dir, so each measured phase starts from a fresh engine. */
  restart?: () => Promise<void>;
  stop(): Promise<void>;
}

async function hotEnv(): Promise<HotEnv> {
  const url = process.env.PG_URL;
  if (url === undefined || url === "") {
    const env = await startTestEnv();
    return {
      backend: "embedded TimescaleDB (PGlite WASM over pg-gateway)",
      superUrl: env.superUrl,
      archiverUrl: env.archiverUrl,
      su: env.su,
      pool: env.pool,
      restart: () => env.server.restart(),
      stop: () => env.stop(),
    };
  }
  await migrate(url, {
    config: { ...hotStoreConfigFromEnv({}), rolePasswords: { netflow_archiver: ARCHIVER_PASSWORD } },
  });
  const a = new URL(url);
  a.username = "netflow_archiver";
  a.password = ARCHIVER_PASSWORD;
  const su = new pg.Pool({ connectionString: url, max: 2 });
  const pool = new pg.Pool({ connectionString: a.href, max: 3 });
  const version = (
    await su.query<{ v: string }>("SELECT extversion AS v FROM pg_extension WHERE extname = 'timescaledb'")
  ).rows[0]?.v;
  return {
    backend: `TimescaleDB ${version ?? "?"} at PG_URL (${a.host})`,
    superUrl: url,
    archiverUrl: a.href,
    su,
    pool,
    async stop() {
      await pool.end();
      await su.end();
    },
  };
}

function runJob(
  chunkId: number,
  env: Record<string, string>,
): Promise<{ out: { rows: number; bytes: number; timings: Record<string, number> }; hwmKiB: number; s: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ["--import", "tsx", CLI, "archive", "--chunk", String(chunkId)], {
      env: { ...process.env, ...env, LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    let hwm = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (m) hwm = Math.max(hwm, Number(m[1]));
      } catch {
        // The process has exited.
      }
    }, 100);
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("exit", (code) => {
      clearInterval(poll);
      const s = (performance.now() - t0) / 1000;
      if (code !== 0) reject(new Error(`archive job exited with ${code}`));
      else resolve({ out: JSON.parse(out.trim().split("\n").at(-1) ?? "{}"), hwmKiB: hwm, s });
    });
  });
}

/**
 * Runs `fn` while a collector stand-in INSERTs one flow every 20 ms into a recent chunk; returns
 * the worst INSERT latency. It runs during both the export alone and the job, so both carry the
 * same extra engine work.
 */
async function withInserter<T>(
  su: pg.Pool,
  fn: () => Promise<T>,
): Promise<{ value: T; worstMs: number; inserts: number }> {
  let worstMs = 0;
  let inserts = 0;
  let stop = false;
  const inserter = (async () => {
    while (!stop) {
      const s = performance.now();
      await su.query("INSERT INTO flows (ts, exporter, packets, bytes) VALUES (now(), '192.0.2.1', 1, 1)");
      worstMs = Math.max(worstMs, performance.now() - s);
      inserts++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    return { value: await fn(), worstMs, inserts };
  } finally {
    stop = true;
    await inserter;
  }
}

async function runSize(rows: number, storeKind: string): Promise<SizeResult> {
  const env = await hotEnv();
  let seaweed: SeaweedServer | undefined;
  const tmp = mkdtempSync(join(tmpdir(), "bench-archive-"));
  try {
    let warehouse = pathToFileURL(join(tmp, "warehouse")).href;
    const jobEnv: Record<string, string> = {
      PG_URL: env.archiverUrl,
      ARCHIVE_BATCH_ROWS: String(BATCH_ROWS),
      ARCHIVE_ROW_GROUP_ROWS: String(ROW_GROUP_ROWS),
    };
    if (storeKind === "s3") {
      seaweed = await startSeaweed({ buckets: ["warehouse"] });
      warehouse = "s3://warehouse/bench";
      Object.assign(jobEnv, {
        S3_ENDPOINT: seaweed.endpoint,
        S3_REGION: seaweed.region,
        S3_ACCESS_KEY_ID: seaweed.accessKeyId,
        S3_SECRET_ACCESS_KEY: seaweed.secretAccessKey,
      });
    }
    jobEnv.WAREHOUSE = warehouse;

    // A real server may hold other data: use a day far in the past.
    const day = process.env.PG_URL ? Date.UTC(2001, 0, 1) : Math.floor(Date.now() / DAY) * DAY - 10 * DAY;
    let t0 = performance.now();
    await backfill({
      pgUrl: env.superUrl,
      fromMs: day,
      toMs: day + DAY,
      flowsPerDay: rows,
      seed: 1,
      batchRows: 50_000,
    });
    const backfillS = (performance.now() - t0) / 1000;
    const chunks = (await listHotChunks(env.pool)).filter(
      (c) => c.rangeStart.getTime() < day + DAY && c.rangeEnd.getTime() > day,
    );
    if (chunks.length !== 1) throw new Error(`expected one chunk for the day, found ${chunks.length}`);
    const chunk = chunks[0]!;
    t0 = performance.now();
    await compressChunk(env.pool, chunk.relation);
    const compressS = (performance.now() - t0) / 1000;
    const compressed = (await listHotChunks(env.pool)).find((c) => c.chunkId === chunk.chunkId)!;
    const fp = await chunkFingerprint(env.pool, chunk.relation, false);
    if (fp.flowRows !== BigInt(rows)) throw new Error(`chunk holds ${fp.flowRows} flows, expected ${rows}`);

    // The embedded engine's memory grows with the work it has done (at 5M rows it died mid-job
    // after the export alone and the baseline had run in the same engine), so the export alone
    // and the job each start on a freshly restarted engine (same data dir).
    await env.restart?.();
    // The export alone: the job's windowed SELECTs (same query, same windows), rows dropped.
    const { start, end, step } = exportWindows(chunk, rows, BATCH_ROWS);
    const client = new pg.Client({ connectionString: env.archiverUrl });
    await client.connect();
    t0 = performance.now();
    const alone = await withInserter(env.su, async () => {
      let n = 0;
      for (let lo = start; lo < end; lo += step) {
        // BigInt bounds (Math.min takes numbers only); the last window ends at the chunk's end.
        let hi = lo + step;
        if (hi > end) hi = end;
        const r = await client.query({
          text: exportQuery(chunk.relation),
          values: [lo.toString(), hi.toString(), null],
          rowMode: "array",
          types: { getTypeParser: () => (v: string) => v },
        });
        n += r.rows.length;
      }
      return n;
    });
    const exportAloneS = (performance.now() - t0) / 1000;
    const exported = alone.value;
    await client.end();
    if (exported !== rows) throw new Error(`export alone read ${exported} rows, expected ${rows}`);

    // The baseline.
    const csv = join(tmp, "chunk.csv");
    const parquet = join(tmp, "chunk.parquet");
    t0 = performance.now();
    const copyClient = await env.su.connect();
    try {
      await pipeline(
        copyClient.query(copyTo(`COPY (SELECT * FROM ${chunk.relation}) TO STDOUT (FORMAT csv)`)),
        createWriteStream(csv),
      );
    } finally {
      copyClient.release();
    }
    const copyCsvS = (performance.now() - t0) / 1000;
    t0 = performance.now();
    const duck = await DuckDBInstance.create(":memory:", { threads: "1" });
    const dconn = await duck.connect();
    await dconn.run(
      `COPY (SELECT * FROM read_csv('${csv}', header = false)) TO '${parquet}' (FORMAT parquet, COMPRESSION zstd)`,
    );
    dconn.closeSync();
    duck.closeSync();
    const duckdbCsvToParquetS = (performance.now() - t0) / 1000;
    rmSync(csv);
    process.stderr.write(`baseline parquet ${(statSync(parquet).size / rows).toFixed(1)} bytes/flow\n`);
    rmSync(parquet);

    await env.restart?.();
    const { value: job, worstMs, inserts } = await withInserter(env.su, () => runJob(chunk.chunkId, jobEnv));
    if (job.out.rows !== rows) throw new Error(`job archived ${job.out.rows} rows, expected ${rows}`);
    return {
      backend: env.backend,
      store: storeKind === "s3" ? "SeaweedFS S3" : "file://",
      rows,
      backfillS,
      compressS,
      compressedChunkBytes: compressed.bytes,
      parquetBytes: job.out.bytes,
      exportAloneS,
      baseline: { copyCsvS, duckdbCsvToParquetS, totalS: copyCsvS + duckdbCsvToParquetS },
      jobS: (job.out.timings.total ?? Number.NaN) / 1000,
      jobProcessS: job.s,
      stagesMs: job.out.timings,
      jobPeakRssMiB: Math.round(job.hwmKiB / 1024),
      worstInsertLatencyMs: Math.round(worstMs),
      concurrentInserts: inserts,
      worstInsertLatencyExportAloneMs: Math.round(alone.worstMs),
    };
  } finally {
    await seaweed?.stop();
    await env.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- orchestration (parent)

function runChild(rows: number, storeKind: string): Promise<SizeResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", SELF, "--child", "--rows", String(rows), "--store", storeKind],
      {
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.on("exit", (code) => {
      if (code !== 0) reject(new Error(`bench child (${rows} rows) exited with ${code}`));
      else resolve(JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as SizeResult);
    });
  });
}

const perS = (rows: number, ms: number | undefined): string =>
  ms === undefined || ms <= 0 ? "–" : `${Math.round(rows / (ms / 1000) / 1000)}k`;

function table(results: SizeResult[]): string {
  const lines: string[] = [];
  const row = (cells: (string | number)[]): void => {
    lines.push(`| ${cells.join(" | ")} |`);
  };
  row(["rows", ...results.map((r) => r.rows.toLocaleString("en"))]);
  lines.splice(1, 0, `|${" --- |".repeat(results.length + 1)}`);
  const each = (label: string, f: (r: SizeResult) => string | number): void => row([label, ...results.map(f)]);
  const rps = (rows: number, s: number): string => `${Math.round(rows / s / 1000)}k rows/s`;
  each("export alone", (r) => `${r.exportAloneS.toFixed(1)} s (${rps(r.rows, r.exportAloneS)})`);
  each("baseline COPY CSV + DuckDB→Parquet", (r) => {
    const b = r.baseline;
    return `${b.copyCsvS.toFixed(1)} + ${b.duckdbCsvToParquetS.toFixed(1)} s (${rps(r.rows, b.totalS)})`;
  });
  each("whole job", (r) => `${r.jobS.toFixed(1)} s (${rps(r.rows, r.jobS)})`);
  each("**job ÷ export alone** (embedded target ≤ 1.25)", (r) => (r.jobS / r.exportAloneS).toFixed(2));
  each("**job ÷ baseline** time (real-TSDB target ≤ 0.67)", (r) => (r.jobS / r.baseline.totalS).toFixed(2));
  each("reader thread start-up", (r) => `${r.stagesMs.readerStartup ?? "?"} ms`);
  each("stage read (db + hash + Arrow), rows/s", (r) =>
    perS(r.rows, (r.stagesMs.dbWait ?? 0) + (r.stagesMs.convert ?? 0)),
  );
  each("stage encode (main thread busy), rows/s", (r) => perS(r.rows, r.stagesMs.encode));
  each("stage upload (store busy), rows/s", (r) => perS(r.rows, r.stagesMs.upload));
  each("stage verify (DuckDB read-back), rows/s", (r) => perS(r.rows, r.stagesMs.verify));
  each("stage commit (stage + tx), rows/s", (r) => perS(r.rows, (r.stagesMs.stage ?? 0) + (r.stagesMs.commitTx ?? 0)));
  each("commit transaction", (r) => `${r.stagesMs.commitTx ?? "?"} ms`);
  each("job peak RSS (VmHWM)", (r) => `${r.jobPeakRssMiB} MiB`);
  each(
    "bytes/flow Parquet / compressed chunk",
    (r) => `${(r.parquetBytes / r.rows).toFixed(1)} / ${(r.compressedChunkBytes / r.rows).toFixed(1)}`,
  );
  each(
    "worst 1-row INSERT latency: job / export alone",
    (r) => `${r.worstInsertLatencyMs} / ${r.worstInsertLatencyExportAloneMs} ms`,
  );
  return lines.join("\n");
}

async function main(): Promise<void> {
  const rows = Number(arg("--rows", "5000000"));
  const storeKind = arg("--store", "s3");
  if (!(rows > 0) || !["s3", "file"].includes(storeKind))
    throw new Error("usage: [--rows N] [--rss-rows N] [--store s3|file]");
  if (process.argv.includes("--child")) {
    process.stdout.write(`${JSON.stringify(await runSize(rows, storeKind))}\n`);
    return;
  }
  const rssRows = Number(arg("--rss-rows", "1000000"));
  const sizes = [...new Set([rssRows, rows])].filter((n) => n > 0).sort((a, b) => a - b);
  const results: SizeResult[] = [];
  const failures: { rows: number; error: string }[] = [];
  for (const n of sizes) {
    process.stderr.write(`archive bench: ${n} rows…\n`);
    // A size that fails (e.g. the embedded engine running out of memory) is reported, not fatal.
    await runChild(n, storeKind).then(
      (r) => results.push(r),
      (e: unknown) => failures.push({ rows: n, error: String(e) }),
    );
  }
  for (const f of failures) process.stdout.write(`FAILED at ${f.rows} rows: ${f.error}\n`);
  if (results.length === 0) throw new Error("no size completed");
  const first = results[0]!;
  const last = results.at(-1)!;
  const summary = {
    backend: first.backend,
    store: first.store,
    rssGrowth: `${first.jobPeakRssMiB} MiB at ${first.rows} rows → ${last.jobPeakRssMiB} MiB at ${last.rows} rows`,
  };
  process.stdout.write(`\nbackend: ${summary.backend}; object store: ${summary.store}\n\n${table(results)}\n\n`);
  process.stdout.write(`peak RSS: ${summary.rssGrowth}\n`);
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `archive-${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ ...summary, batchRows: BATCH_ROWS, rowGroupRows: ROW_GROUP_ROWS, results, failures }, null, 2)}\n`,
  );
  process.stdout.write(`saved ${file}\n`);
}

await main();
