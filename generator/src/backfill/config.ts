import { isIP } from "node:net";

/** Options of `backfill` (CLI flags in brackets). */
export interface BackfillConfig {
  /** Postgres/TimescaleDB URL with INSERT on flows (--pg-url). Required. */
  pgUrl: string;
  /** Start of the history, ms since epoch (--from, ISO time). Required. */
  fromMs: number;
  /** End of the history (exclusive), ms since epoch (--to, ISO time). Required. */
  toMs: number;
  /** Flows per day (--flows-per-day); rows = flowsPerDay * days. Default 100000. */
  flowsPerDay: number;
  /** PRNG seed (--seed). Default 1. */
  seed: number;
  /** Rows per COPY statement, each its own transaction (--batch). Default 50000. */
  batchRows: number;
  /** Share of IPv6 flows (--ipv6-share). Default 0.3. */
  ipv6Share: number;
  /** Number of exporters (--exporters). Default 1. */
  exporters: number;
  /** First exporter address (--exporter-base). Default 127.0.0.1. */
  exporterBase: string;
  /** Sampling rate stored with every row (--sampling-rate). Default 1. */
  samplingRate: number;
}

export function defaultBackfillConfig(): Omit<BackfillConfig, "pgUrl" | "fromMs" | "toMs"> {
  return {
    flowsPerDay: 100_000,
    seed: 1,
    batchRows: 50_000,
    ipv6Share: 0.3,
    exporters: 1,
    exporterBase: "127.0.0.1",
    samplingRate: 1,
  };
}

export function validateBackfillConfig(config: BackfillConfig): BackfillConfig {
  const problems: string[] = [];
  if (!/^postgres(ql)?:\/\//.test(config.pgUrl)) problems.push("pgUrl must be a postgres:// URL");
  if (!Number.isFinite(config.fromMs) || !Number.isFinite(config.toMs) || config.toMs <= config.fromMs) {
    problems.push("the time range needs from < to");
  }
  if (!(config.flowsPerDay > 0)) problems.push("flowsPerDay must be > 0");
  if (!Number.isInteger(config.batchRows) || config.batchRows < 1) problems.push("batchRows must be an integer >= 1");
  if (!Number.isInteger(config.exporters) || config.exporters < 1 || config.exporters > 250) {
    problems.push("exporters must be an integer in 1..250");
  }
  if (isIP(config.exporterBase) !== 4) problems.push("exporterBase must be an IPv4 address");
  if (problems.length > 0) throw new Error(`invalid backfill config: ${problems.join("; ")}`);
  return config;
}

/** How many rows the range holds at flowsPerDay. */
export function backfillRows(config: BackfillConfig): number {
  return Math.round((config.flowsPerDay * (config.toMs - config.fromMs)) / 86_400_000);
}
