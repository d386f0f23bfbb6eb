/** Markdown tables of the measured ratios, and the JSON saved into bench/results/. */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Placed, pointSection, pruningSection, scanSection, standardSection } from "./sections.ts";

export const TARGETS = {
  gatewayOverDuckdb: 1.25,
  coldOverHot: 0.25,
  yearOverOneDay: 2,
  addedLatencyMs: 5,
} as const;

export function fmt(n: number | null | undefined, digits = 0): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "–";
  return n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** "0.93 ✓" or "1.40 ✗" against an upper-bound target. */
export function verdict(value: number | null, target: number, digits = 2): string {
  if (value === null || !Number.isFinite(value)) return "–";
  return `${fmt(value, digits)} ${value <= target ? "✓" : "✗"}`;
}

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const lines = [`| ${header.join(" | ")} |`, `|${header.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`];
  for (const r of rows) lines.push(`| ${r.join(" | ")} |`);
  return lines.join("\n");
}

export function saveResult(result: { readonly date: string }): string {
  const dir = join(import.meta.dirname, "..", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `gateway-${result.date.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

function breakdown(p: Placed): string {
  const b = p.gatewayBreakdownMs;
  return b === null ? "–" : `${fmt(b.cut, 1)} / ${fmt(b.cold, 1)}`;
}

function cell(p: Placed): string {
  return p.gateway === null ? `failed: ${p.error ?? "?"}` : fmt(p.gateway.medianMs, 1);
}

export function printTables(r: {
  hotBackend: string;
  coldVia: string;
  dataset: { days: number; flowsPerDay: number; hotDays: number; build: { coldRows: number; hotRows: number } };
  standard: Awaited<ReturnType<typeof standardSection>>;
  scan: Awaited<ReturnType<typeof scanSection>> | null;
  pruning: Awaited<ReturnType<typeof pruningSection>>;
  point: Awaited<ReturnType<typeof pointSection>> | null;
}): void {
  const ds = r.dataset;
  console.log(
    `\ngateway benchmark — hot backend: ${r.hotBackend}; cold tier built via ${r.coldVia}; ${fmt(ds.build.coldRows)} cold rows (${ds.days} days × ${fmt(ds.flowsPerDay)}), ${fmt(ds.build.hotRows)} hot rows (${ds.hotDays} days); medians in ms\n`,
  );
  if (r.standard.length > 0)
    console.log(
      table(
        [
          "query",
          "cold route",
          "files scanned/pruned",
          "gateway",
          "of which cut / cold",
          "direct DuckDB",
          `gateway ÷ DuckDB (≤ ${TARGETS.gatewayOverDuckdb})`,
          "recent route",
          "recent gateway",
        ],
        r.standard.map((q) => [
          q.name,
          `${q.cold.route}/${q.cold.strategy}`,
          `${q.cold.filesScanned}/${q.cold.filesPruned}`,
          cell(q.cold),
          breakdown(q.cold),
          fmt(q.cold.duckdb?.medianMs, 1),
          verdict(q.cold.gatewayOverDuckdb, TARGETS.gatewayOverDuckdb),
          `${q.recent.route}/${q.recent.strategy}`,
          cell(q.recent),
        ]),
      ),
    );
  if (r.scan !== null) printScan(r.scan);
  if (r.pruning.length > 0) printPruning(r.pruning);
  if (r.point !== null) printPoint(r.point);
}

function printScan(scan: Awaited<ReturnType<typeof scanSection>>): void {
  console.log(
    `\nscan-heavy: the whole hot window (${fmt(scan.hotRows)} rows, TimescaleDB) vs the latest ${scan.coldDays} cold days (${fmt(scan.coldRows)} rows, DuckDB); cold ÷ hot is per row scanned\n`,
  );
  console.log(
    table(
      ["query", "hot", "cold", `cold ÷ hot (≤ ${TARGETS.coldOverHot})`, "direct DuckDB", "gateway ÷ DuckDB"],
      scan.results.map((q) => [
        q.name,
        cell(q.hot),
        cell(q.cold),
        verdict(q.coldOverHot, TARGETS.coldOverHot),
        fmt(q.cold.duckdb?.medianMs, 1),
        verdict(q.gatewayOverDuckdb, TARGETS.gatewayOverDuckdb),
      ]),
    ),
  );
}

function printPruning(pruning: Awaited<ReturnType<typeof pruningSection>>): void {
  console.log(`\npruning: a 1-day query over the year-long table vs a table of only that day\n`);
  console.log(
    table(
      [
        "query",
        "day",
        "year table",
        "files scanned/pruned",
        "1-day table",
        `year ÷ 1 day (≤ ${TARGETS.yearOverOneDay})`,
      ],
      pruning.map((q) => [
        q.name,
        q.day,
        fmt(q.year.timing.medianMs, 1),
        `${q.year.filesScanned}/${q.year.filesPruned}`,
        fmt(q.oneDay.timing.medianMs, 1),
        verdict(q.yearOverOneDay, TARGETS.yearOverOneDay),
      ]),
    ),
  );
}

function printPoint(p: Awaited<ReturnType<typeof pointSection>>): void {
  console.log(`\nhot point query (${p.rows} rows, route ${p.route}, ${p.runs} runs each)\n`);
  console.log(
    table(
      ["path", "p50", "p90", `added p50 (≤ ${TARGETS.addedLatencyMs} ms)`],
      [
        ["TimescaleDB directly (pg)", fmt(p.p50Ms.direct, 2), fmt(p.p90Ms.direct, 2), ""],
        [
          "gateway.query()",
          fmt(p.p50Ms.gateway, 2),
          fmt(p.p90Ms.gateway, 2),
          verdict(p.addedP50Ms.gateway, TARGETS.addedLatencyMs),
        ],
        [
          "POST /api/query (in-process app)",
          fmt(p.p50Ms.http, 2),
          fmt(p.p90Ms.http, 2),
          verdict(p.addedP50Ms.http, TARGETS.addedLatencyMs),
        ],
      ],
    ),
  );
}
