/**
 * Query gateway benchmark (issue 6, "Performance").
 *
 * Targets, each a ratio measured side by side in one run:
 * - gateway ÷ direct DuckDB on the same local Parquet files, per standard query ≤ 1.25
 *   (direct DuckDB: a view over every data file of the table by glob, running the gateway's own
 *   DuckDB translation of the query, same threads and memory limit);
 * - cold ÷ hot for scan-heavy queries ≤ 0.25 (the gateway over the whole hot window vs over the
 *   latest cold days holding as many rows);
 * - a 1-day query over the year-long table ÷ the same over a table of only that day ≤ 2 (pruning);
 * - gateway p50 added latency on a hot point query ≤ 5 ms (vs the same SQL on TimescaleDB directly).
 * Standard queries: top talkers 1 h / 24 h / 30 d, per-minute series 24 h, port filter 7 d,
 * 5-tuple lookup 24 h, monthly totals over the year; each placed in the cold tier (ending where
 * the hot window starts) and on the most recent data (hot, or both tiers when longer than it).
 *
 * Dataset (built once, cached in --data-dir, reused while the options match): the project
 * generator (@netflow/generator backfill source, 4 exporters from 192.0.2.1, 30% IPv6,
 * unsampled; seed per day = seed × 100000 + day offset) for --days cold days at --flows-per-day,
 * then --hot-days hot days holding --hot-rows rows, ending at --end (a UTC midnight).
 * The cold tier is built --cold-via archiver (backfill each day into the hot table, then the
 * archiver's job on its chunk) or --cold-via writer (the same rows written with the Iceberg
 * writer, one SQL-catalog commit per day). Hot backend: embedded TimescaleDB (PGlite) in
 * <data-dir>/pg, or a real TimescaleDB when PG_URL (a superuser URL of an empty database) is set.
 *
 * usage: npx tsx bench/gateway/bench.ts [--days 365] [--flows-per-day 100000] [--hot-days 7]
 *          [--hot-rows N] [--cold-via archiver|writer] [--end 2026-11-01] [--seed 1]
 *          [--data-dir .data/bench-gateway] [--rebuild] [--build-only] [--repeats 11] [--point-repeats 50]
 *          [--sections standard,scan,pruning,point]
 * e.g.   npx tsx bench/gateway/bench.ts --data-dir .data/bench-gateway-year-archiver
 *          (the year through the archiver, the default --cold-via)
 *        npx tsx bench/gateway/bench.ts --cold-via writer --days 60 --hot-rows 20000000 \
 *          --data-dir .data/bench-gateway-20m --point-repeats 150   (the ≥ 20M hot rows point)
 * Rebuilding costs: the archiver path built the year at 20.6k rows/s (30 min), the writer path
 * at 25–58k rows/s, a 20M-row hot backfill into the embedded engine at ~9–17k rows/s.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { DAY_MS, datasetWindows, parseBenchArgs, type Section } from "./config.ts";
import { GENERATOR_PARAMETERS, openDataset } from "./dataset.ts";
import { DirectDuckDb, DirectTimescale } from "./direct.ts";
import { BenchGateway } from "./gateway-client.ts";
import { ensureOneDayTable } from "./one-day-table.ts";
import { type FiveTuple, fiveTupleLookup, perMinute, standardQueries, topTalkers, type Window } from "./queries.ts";
import { fmt, printTables, saveResult, TARGETS } from "./report.ts";
import { pointSection, pruningSection, scanSection, standardSection } from "./sections.ts";

const DUCKDB = { threads: 2, memoryLimit: "2GB" };

async function main(): Promise<void> {
  const options = parseBenchArgs(process.argv.slice(2), process.env);
  const log = (line: string): void => console.error(line);
  const t0 = performance.now();
  const dataset = await openDataset(options);
  const d = dataset.options;
  const w = datasetWindows(d);
  log(
    `dataset ${dataset.built ? "built" : "reused"}: ${fmt(dataset.build.coldRows)} cold rows (${dataset.build.coldVia}, ${fmt(dataset.build.coldSeconds, 1)} s), ${fmt(dataset.build.hotRows)} hot rows (${dataset.backend}, ${fmt(dataset.build.hotSeconds, 1)} s)`,
  );
  if (options.buildOnly) {
    await dataset.stop();
    return;
  }
  const cacheDir = join(options.dataDir, "gateway-cache");
  mkdirSync(cacheDir, { recursive: true });
  const flowsTable = { namespace: ["netflow"], name: "flows" };
  const gateway = new BenchGateway(dataset.readerUrl, dataset.warehouse, cacheDir, flowsTable, DUCKDB);
  const duck = new DirectDuckDb(join(dataset.warehouseDir, "netflow", "flows"), DUCKDB);
  const timescale = new DirectTimescale(dataset.readerUrl);
  const pruningDay = w.hotStartMs - DAY_MS;
  const dayTable = await ensureOneDayTable(dataset.superUrl, dataset.warehouse, pruningDay);
  const oneDay = new BenchGateway(dataset.readerUrl, dataset.warehouse, cacheDir, dayTable, DUCKDB);
  try {
    await gateway.start();
    await oneDay.start();
    await duck.start();
    await timescale.start();
    const tupleAt = async (ms: number): Promise<FiveTuple> => {
      const [src, dst, srcPort, dstPort, proto] = await gateway.firstRow(
        `SELECT src_addr, dst_addr, src_port, dst_port, proto FROM flows WHERE ts >= '${new Date(ms).toISOString()}' AND ts < '${new Date(ms + 60_000).toISOString()}' AND proto = 6 ORDER BY ts LIMIT 1`,
      );
      return {
        src: String(src),
        dst: String(dst),
        srcPort: Number(srcPort),
        dstPort: Number(dstPort),
        proto: Number(proto),
      };
    };
    const coldTuple = await tupleAt(w.hotStartMs - DAY_MS / 2);
    const hotTuple = await tupleAt(w.endMs - 1_800_000);
    const tupleFor = (x: Window): FiveTuple => (x.toMs > w.hotStartMs ? hotTuple : coldTuple);
    const sides = { gateway, duck, timescale, repeats: options.repeats };
    const run = (section: Section): boolean => options.sections.includes(section);
    const standard = run("standard")
      ? await standardSection(sides, d, standardQueries(d.days * DAY_MS, tupleFor), log)
      : [];
    const scans = run("scan") ? await scanSection(sides, d, log) : null;
    const pruning = !run("pruning")
      ? []
      : await pruningSection(
          gateway,
          oneDay,
          options.repeats,
          pruningDay,
          [
            topTalkers("top talkers 24 h", DAY_MS),
            perMinute("per-minute series 24 h", DAY_MS),
            fiveTupleLookup("5-tuple lookup 24 h", DAY_MS, () => coldTuple),
          ],
          log,
        );
    const point = run("point") ? await pointSection(sides, hotTuple, w.endMs, options.pointRepeats) : null;
    if (point !== null) log(`point: gateway p50 ${point.p50Ms.gateway} ms, direct ${point.p50Ms.direct} ms`);

    const result = {
      benchmark: "gateway",
      date: new Date().toISOString(),
      node: process.version,
      hotBackend: dataset.backend,
      coldVia: dataset.build.coldVia,
      dataset: {
        ...d,
        end: new Date(d.endMs).toISOString(),
        coldStart: new Date(w.coldStartMs).toISOString(),
        hotStart: new Date(w.hotStartMs).toISOString(),
        generator: GENERATOR_PARAMETERS,
        build: dataset.build,
        reused: !dataset.built,
      },
      duckdb: DUCKDB,
      repeats: options.repeats,
      targets: TARGETS,
      standard,
      scan: scans,
      pruning,
      point,
      seconds: (performance.now() - t0) / 1000,
    };
    printTables(result);
    log(`saved ${saveResult(result)}`);
  } finally {
    await timescale.stop().catch(() => undefined);
    await duck.stop().catch(() => undefined);
    await oneDay.stop().catch(() => undefined);
    await gateway.stop().catch(() => undefined);
    await dataset.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
