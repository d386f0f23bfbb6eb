/**
 * The benchmark's queries: PostgreSQL text as a user sends it to the gateway,
 * each a template over a time window so the same query can be placed in the
 * cold tier (ending where the hot window starts) or on the most recent data.
 */
import { DAY_MS } from "./config.ts";

export interface Window {
  readonly fromMs: number;
  readonly toMs: number;
}

export interface FiveTuple {
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly proto: number;
}

export interface QueryTemplate {
  readonly name: string;
  /** Window length in ms (the placement decides where it ends). */
  readonly spanMs: number;
  readonly sql: (w: Window) => string;
  /** Only these are compared cold vs hot (the "scan-heavy queries"). */
  readonly scanHeavy: boolean;
}

const HOUR_MS = 3_600_000;

/** `'2026-10-31 23:00:00+00'` */
export function pgTime(ms: number): string {
  return `'${new Date(ms)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "+00")}'`;
}

function range(w: Window): string {
  return `ts >= ${pgTime(w.fromMs)} AND ts < ${pgTime(w.toMs)}`;
}

export function topTalkers(name: string, spanMs: number): QueryTemplate {
  return {
    name,
    spanMs,
    scanHeavy: true,
    sql: (w) =>
      `SELECT src_addr, sum(bytes) AS bytes, count(*) AS flows FROM flows WHERE ${range(w)} GROUP BY src_addr ORDER BY bytes DESC, src_addr LIMIT 10`,
  };
}

export function perMinute(name: string, spanMs: number): QueryTemplate {
  return {
    name,
    spanMs,
    scanHeavy: true,
    sql: (w) =>
      `SELECT time_bucket('1 minute', ts) AS minute, count(*) AS flows, sum(bytes) AS bytes FROM flows WHERE ${range(w)} GROUP BY 1 ORDER BY 1`,
  };
}

export function portFilter(name: string, spanMs: number): QueryTemplate {
  return {
    name,
    spanMs,
    scanHeavy: true,
    sql: (w) =>
      `SELECT dst_addr, count(*) AS flows, sum(bytes) AS bytes FROM flows WHERE dst_port = 22 AND ${range(w)} GROUP BY dst_addr ORDER BY flows DESC, dst_addr LIMIT 10`,
  };
}

export function dailyTotals(name: string, spanMs: number): QueryTemplate {
  return {
    name,
    spanMs,
    scanHeavy: true,
    sql: (w) =>
      `SELECT date_trunc('day', ts) AS day, count(*) AS flows, sum(bytes) AS bytes, sum(packets) AS packets FROM flows WHERE ${range(w)} GROUP BY 1 ORDER BY 1`,
  };
}

export function monthlyTotals(name: string, spanMs: number): QueryTemplate {
  return {
    name,
    spanMs,
    scanHeavy: false,
    sql: (w) =>
      `SELECT date_trunc('month', ts) AS month, count(*) AS flows, sum(bytes) AS bytes, sum(packets) AS packets FROM flows WHERE ${range(w)} GROUP BY 1 ORDER BY 1`,
  };
}

/** `tuple` picks the flow to look up for a window (each placement looks up a flow of its own window). */
export function fiveTupleLookup(name: string, spanMs: number, tuple: (w: Window) => FiveTuple): QueryTemplate {
  return {
    name,
    spanMs,
    scanHeavy: false,
    sql: (w) => {
      const t = tuple(w);
      return `SELECT ts, packets, bytes FROM flows WHERE src_addr = '${t.src}' AND dst_addr = '${t.dst}' AND src_port = ${t.srcPort} AND dst_port = ${t.dstPort} AND proto = ${t.proto} AND ${range(w)} ORDER BY ts`;
    },
  };
}

/** The standard queries. `tuple` gives the 5-tuple to look up (picked from the data). */
export function standardQueries(yearMs: number, tuple: (w: Window) => FiveTuple): QueryTemplate[] {
  return [
    topTalkers("top talkers 1 h", HOUR_MS),
    topTalkers("top talkers 24 h", DAY_MS),
    topTalkers("top talkers 30 d", 30 * DAY_MS),
    perMinute("per-minute series 24 h", DAY_MS),
    portFilter("port 22 filter 7 d", 7 * DAY_MS),
    fiveTupleLookup("5-tuple lookup 24 h", DAY_MS, tuple),
    monthlyTotals("monthly totals 1 year", yearMs),
  ];
}

/** Scan-heavy queries over a whole window (the hot window, or cold days holding as many rows). */
export function scanQueries(): QueryTemplate[] {
  return [
    topTalkers("top talkers", 0),
    perMinute("per-minute series", 0),
    portFilter("port 22 filter", 0),
    dailyTotals("daily totals", 0),
  ];
}

/** Hot point query: the 5-tuple in the last hour (a few rows, index range on ts). */
export function pointQuery(tuple: FiveTuple, w: Window): string {
  return fiveTupleLookup("point", w.toMs - w.fromMs, () => tuple).sql(w);
}
