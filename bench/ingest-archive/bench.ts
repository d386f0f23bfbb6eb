/**
 * Ingest loss while the archiver runs (issue 5, Performance: "Ingest loss
 * stays zero at the foundation's documented rate while archiving runs").
 *
 * Target: zero flows lost (sent − rows landed) and zero kernel UDP drops at the
 * documented rate (README / generator: 10k flows/s; deploy/README measured the
 * collector without loss at 20k/s) while archive jobs run, next to the same
 * ingest run without archiving, measured in one run on one backend.
 *
 * Fixed parameters: generator `sendFlows` (IPFIX by default, seed 1, one
 * exporter address per phase), collector at production defaults (refresh 5 s,
 * 64 MiB plugin pipe, 16 MiB receive buffer); archiver worker as its own
 * process at its defaults (ARCHIVE_AFTER 7 days, batch 10k rows, concurrency 1)
 * over SeaweedFS S3 and redis-server. The old history is written by the
 * generator's `backfill` into days D-20.. and compressed (as compress_after
 * would have done long before archive_after) before anything is measured.
 *
 * Phases, in order: (1) ingest only — `seconds × rate` flows; (2) the archiver
 * worker starts, and as soon as it is ready the same number of flows is sent
 * while it archives the old chunks. Each phase counts rows of its own exporter
 * in flows once the collector has flushed, and the kernel drop counter of
 * nfacctd's socket (collector health) before and after.
 *
 * Backend: the embedded TimescaleDB (PGlite + TimescaleDB WASM, one engine
 * shared by all clients, transactions serialized) — the only one this bench
 * starts; numbers from a real TimescaleDB are not comparable.
 *
 * usage: npx tsx bench/ingest-archive/bench.ts [rate=10000] [seconds=60] [backfillRows=1500000] [backfillDays=10] [protocol=ipfix]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { backfill, type Protocol, sendFlows } from "@netflow/generator";
import { waitForCount } from "../../pmacct/src/testing/harness.ts";
import { type ArchivedChunk, type BenchStack, startArchiverProcess, startBenchStack } from "./stack.ts";

const rate = Number(process.argv[2] ?? 10_000);
const seconds = Number(process.argv[3] ?? 60);
const backfillRows = Number(process.argv[4] ?? 1_500_000);
const backfillDays = Number(process.argv[5] ?? 10);
const protocol = (process.argv[6] ?? "ipfix") as Protocol;
const count = Math.round(rate * seconds);
const DAY = 86_400_000;

interface PhaseResult {
  phase: string;
  exporter: string;
  sent: number;
  landed: number;
  lost: number;
  loss_pct: number;
  udp_drops: number;
  sequence_gap: number;
  send_s: number;
  send_rate: number;
  /** First datagram sent until the phase's last row was counted. */
  land_s: number;
  archive?: ArchiveDuringPhase;
}

interface ArchiveDuringPhase {
  chunks_done_in_window: number;
  /** Rows archived inside the send window (each job's rows spread over its run time). */
  rows_in_window: number;
  rows_per_s_in_window: number;
  /** Share of the send window during which an archive job was running. */
  busy_share_of_window: number;
  chunks_total: number;
  rows_total: number;
  /** Reference in the same run: chunks archived wholly after the phase's last row landed (no ingest). */
  rows_per_s_after_ingest: number | null;
  /** All chunks: rows / (last chunk archived − worker ready). */
  rows_per_s_overall: number;
  /** Longest archive commit transaction (blocks every client on the embedded engine). */
  max_commit_tx_ms: number;
  max_compress_ms: number;
  warnings: number;
}

async function udpDrops(stack: BenchStack): Promise<number> {
  const status = await stack.collector.refreshHealth();
  return status.daemons.reduce((s, d) => s + d.udpDrops, 0);
}

async function sequenceGap(stack: BenchStack, exporter: string): Promise<number> {
  const status = await stack.collector.refreshHealth();
  return status.exporters.filter((e) => e.exporter === exporter).reduce((s, e) => s + e.gap, 0);
}

async function ingestPhase(
  stack: BenchStack,
  phase: string,
  exporter: string,
): Promise<{ result: PhaseResult; sendStartMs: number; sendEndMs: number; landedMs: number }> {
  const drops0 = await udpDrops(stack);
  const sendStartMs = Date.now();
  const summary = await sendFlows({
    target: { host: "127.0.0.1", port: stack.collectorConfig.netflowPort },
    protocol,
    count,
    rate,
    seed: 1,
    exporterBase: exporter,
  });
  const sendEndMs = Date.now();
  // Only today's chunk can hold the phase's rows: the time bound keeps the count off the old chunks.
  const landed = await waitForCount(
    stack.pool,
    "SELECT count(*) AS n FROM flows WHERE exporter = $1 AND ts > $2",
    [exporter, new Date(sendStartMs - DAY).toISOString()],
    summary.flows,
    180_000,
  );
  const landedMs = Date.now();
  const landS = (landedMs - sendStartMs) / 1000;
  const drops = (await udpDrops(stack)) - drops0;
  const lost = summary.flows - landed;
  return {
    sendStartMs,
    sendEndMs,
    landedMs,
    result: {
      phase,
      exporter,
      sent: summary.flows,
      landed,
      lost,
      loss_pct: Number(((100 * lost) / Math.max(1, summary.flows)).toFixed(4)),
      udp_drops: drops,
      sequence_gap: await sequenceGap(stack, exporter),
      send_s: Number(summary.elapsed_s.toFixed(2)),
      send_rate: Math.round(summary.flows / summary.elapsed_s),
      land_s: Number(landS.toFixed(1)),
    },
  };
}

/**
 * Jobs run one after another (concurrency 1), so chunk i was being archived
 * from the previous chunk's end (or the worker's start) until its own end; its
 * rows count toward the send window in proportion to the overlap.
 */
function archiveStats(
  chunks: readonly ArchivedChunk[],
  readyAtMs: number,
  window: { startMs: number; endMs: number; landedMs: number },
  warnings: number,
): ArchiveDuringPhase {
  const windowMs = window.endMs - window.startMs;
  let rowsInWindow = 0;
  let busyMs = 0;
  let doneInWindow = 0;
  let rowsAfter = 0;
  let msAfter = 0;
  chunks.forEach((c, i) => {
    const from = i === 0 ? readyAtMs : chunks[i - 1]!.atMs;
    if (from >= window.landedMs) {
      rowsAfter += c.rows;
      msAfter += c.atMs - from;
    }
    const overlap = Math.max(0, Math.min(window.endMs, c.atMs) - Math.max(window.startMs, from));
    busyMs += overlap;
    if (c.atMs > from) rowsInWindow += (c.rows * overlap) / (c.atMs - from);
    if (c.atMs >= window.startMs && c.atMs <= window.endMs) doneInWindow++;
  });
  const lastMs = chunks.at(-1)?.atMs ?? readyAtMs;
  const rowsTotal = chunks.reduce((s, c) => s + c.rows, 0);
  return {
    chunks_done_in_window: doneInWindow,
    rows_in_window: Math.round(rowsInWindow),
    rows_per_s_in_window: Math.round(rowsInWindow / (windowMs / 1000)),
    busy_share_of_window: Number((busyMs / windowMs).toFixed(2)),
    rows_per_s_after_ingest: msAfter > 0 ? Math.round(rowsAfter / (msAfter / 1000)) : null,
    chunks_total: chunks.length,
    rows_total: rowsTotal,
    rows_per_s_overall: Math.round(rowsTotal / Math.max(0.001, (lastMs - readyAtMs) / 1000)),
    max_commit_tx_ms: Math.max(0, ...chunks.map((c) => c.timings.commitTx ?? 0)),
    max_compress_ms: Math.max(0, ...chunks.map((c) => c.timings.compress ?? 0)),
    warnings,
  };
}

async function prepareHistory(stack: BenchStack): Promise<{ rows: number; chunks: number; seconds: number }> {
  const t0 = performance.now();
  const today = Math.floor(Date.now() / DAY) * DAY;
  const fromMs = today - 20 * DAY;
  const toMs = fromMs + backfillDays * DAY;
  const summary = await backfill({
    pgUrl: stack.db.url,
    fromMs,
    toMs,
    flowsPerDay: Math.ceil(backfillRows / backfillDays),
    seed: 7,
    batchRows: 50_000,
  });
  // What compress_after would have done days before archive_after (the embedded engine runs no policy jobs).
  const r = await stack.pool.query<{ n: string }>(
    "SELECT count(compress_chunk(c, true))::text AS n FROM show_chunks('flows', older_than => $1::timestamptz) c",
    [new Date(toMs).toISOString()],
  );
  return { rows: summary.rows, chunks: Number(r.rows[0]?.n ?? 0), seconds: (performance.now() - t0) / 1000 };
}

function printTable(results: readonly PhaseResult[]): void {
  const header = [
    "phase",
    "sent",
    "landed",
    "lost",
    "loss %",
    "udp drops",
    "seq gap",
    "send/s",
    "archive rows/s",
    "busy",
  ];
  const rows = results.map((r) => [
    r.phase,
    String(r.sent),
    String(r.landed),
    String(r.lost),
    String(r.loss_pct),
    String(r.udp_drops),
    String(r.sequence_gap),
    String(r.send_rate),
    r.archive ? String(r.archive.rows_per_s_in_window) : "-",
    r.archive ? `${Math.round(100 * r.archive.busy_share_of_window)}%` : "-",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(widths[i]!)).join("  ");
  process.stdout.write(`${[line(header), ...rows.map(line)].join("\n")}\n`);
}

async function main(): Promise<void> {
  const started = new Date();
  process.stderr.write("starting embedded TimescaleDB, nfacctd, redis-server, SeaweedFS…\n");
  const stack = await startBenchStack();
  try {
    process.stderr.write(`backfilling ${backfillRows} rows over ${backfillDays} days and compressing them…\n`);
    const history = await prepareHistory(stack);
    process.stderr.write(`history: ${JSON.stringify(history)}\n`);

    process.stderr.write(`phase 1: ${count} flows at ${rate}/s, no archiving…\n`);
    const reference = await ingestPhase(stack, "ingest only", "127.0.20.1");

    process.stderr.write("phase 2: archiver worker starting…\n");
    const archiver = await startArchiverProcess(stack.archiverEnv);
    let during: Awaited<ReturnType<typeof ingestPhase>>;
    try {
      process.stderr.write(`phase 2: ${count} flows at ${rate}/s while archiving…\n`);
      during = await ingestPhase(stack, "ingest + archiving", "127.0.20.2");
      // Let the archiver finish the history for its overall rate (bounded wait).
      const until = Date.now() + 600_000;
      while (archiver.archived.length < history.chunks && Date.now() < until)
        await new Promise((r) => setTimeout(r, 500));
      during.result.archive = archiveStats(
        archiver.archived,
        archiver.readyAtMs,
        { startMs: during.sendStartMs, endMs: during.sendEndMs, landedMs: during.landedMs },
        archiver.problems.length,
      );
    } finally {
      await archiver.stop();
    }
    for (const p of archiver.problems.slice(0, 5)) process.stderr.write(`archiver: ${p}\n`);

    const results = [reference.result, during.result];
    const out = {
      bench: "ingest-archive",
      date: started.toISOString(),
      backend: "embedded (PGlite + TimescaleDB WASM, served by pg-gateway)",
      object_store: "SeaweedFS S3",
      machine: { cpus: cpus().length, loadavg_at_end: loadavg().map((l) => Number(l.toFixed(2))) },
      params: {
        protocol,
        rate,
        seconds,
        flows_per_phase: count,
        backfill_rows: backfillRows,
        backfill_days: backfillDays,
      },
      history,
      results,
      archive_chunks: during.result.archive
        ? archiver.archived.map((c) => ({ at: new Date(c.atMs).toISOString(), rows: c.rows, timings: c.timings }))
        : [],
    };
    const dir = join(import.meta.dirname, "..", "results");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `ingest-archive-${out.date.replace(/[:.]/g, "-")}.json`);
    writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
    process.stdout.write(`backend: ${out.backend}; ${protocol} at ${rate} flows/s for ${seconds} s per phase\n`);
    printTable(results);
    const a = during.result.archive;
    if (a)
      process.stdout.write(
        `archiving: ${a.chunks_total} chunks, ${a.rows_total} rows, ${a.rows_per_s_overall} rows/s overall; ` +
          `${a.rows_per_s_in_window} rows/s inside the send window (busy ${Math.round(100 * a.busy_share_of_window)}% of it); ` +
          `${a.rows_per_s_after_ingest ?? "-"} rows/s once ingest had stopped; longest commit tx ${a.max_commit_tx_ms} ms\n`,
      );
    process.stdout.write(`saved ${file}\n`);
  } finally {
    await stack.stop();
  }
}

await main();
