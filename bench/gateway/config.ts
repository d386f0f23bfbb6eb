/**
 * Options of the gateway benchmark (CLI flags in brackets, defaults in the comments).
 * The dataset options are part of the cached dataset's identity: changing one
 * rebuilds the dataset; the measurement options do not.
 */
import { resolve } from "node:path";

export type ColdVia = "archiver" | "writer";

export const SECTIONS = ["standard", "scan", "pruning", "point"] as const;
export type Section = (typeof SECTIONS)[number];

export interface DatasetOptions {
  /** Cold days, ending where the hot window starts (--days). Default 365. */
  readonly days: number;
  /** Flows per day in the cold tier (--flows-per-day). Default 100000. */
  readonly flowsPerDay: number;
  /** Hot days, the most recent ones (--hot-days). Default 7. */
  readonly hotDays: number;
  /** Rows in the hot tier, spread evenly over the hot days (--hot-rows). Default hotDays × flowsPerDay. */
  readonly hotRows: number;
  /**
   * How the cold tier is built (--cold-via). "archiver": backfill day batches into the hot
   * table and run the archiver's job on each chunk (production path, ~25k rows/s on the
   * embedded engine). "writer": the same generator rows written straight to the Iceberg table
   * with the Iceberg writer and committed through the SQL catalog, one commit per day as the
   * archiver makes them. Default "archiver".
   */
  readonly coldVia: ColdVia;
  /** Exclusive end of the dataset, a UTC midnight (--end). Default 2026-11-01. */
  readonly endMs: number;
  /** Generator seed of the cold tier; the hot tier uses seed + 1 (--seed). Default 1. */
  readonly seed: number;
}

export interface BenchOptions {
  readonly dataset: DatasetOptions;
  /** Where the dataset (embedded TimescaleDB data dir, file:// warehouse) is cached (--data-dir). Default .data/bench-gateway. */
  readonly dataDir: string;
  /** Drop the cached dataset and build it again (--rebuild). Default false. */
  readonly rebuild: boolean;
  /** Only build the dataset, measure nothing (--build-only). Default false. */
  readonly buildOnly: boolean;
  /** Timed runs per query and side; the median counts (--repeats). Default 11: queries of 10–40 ms vary by ±30 % run to run on a 2-core machine, and a median of 5 moved ratios across their targets. */
  readonly repeats: number;
  /** Timed runs of the hot point query for the added-latency p50 (--point-repeats). Default 50. */
  readonly pointRepeats: number;
  /** Which measurements run, comma-separated (--sections). Default all: standard,scan,pruning,point. */
  readonly sections: readonly Section[];
  /** A real TimescaleDB (superuser URL) instead of the embedded engine (env PG_URL). */
  readonly pgUrl: string | undefined;
}

const DAY_MS = 86_400_000;

export const BENCH_DEFAULTS = {
  days: 365,
  flowsPerDay: 100_000,
  hotDays: 7,
  coldVia: "archiver" as ColdVia,
  endMs: Date.parse("2026-11-01T00:00:00Z"),
  seed: 1,
  dataDir: ".data/bench-gateway",
  repeats: 11,
  pointRepeats: 50,
};

export function parseBenchArgs(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const flags = new Map<string, string>();
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (!arg.startsWith("--")) throw new Error(`unexpected argument "${arg}"`);
    const [name, inline] = arg.slice(2).split("=", 2) as [string, string | undefined];
    if (name === "rebuild" || name === "build-only") switches.add(name);
    else if (inline !== undefined) flags.set(name, inline);
    else {
      const value = argv[++i];
      if (value === undefined) throw new Error(`--${name} needs a value`);
      flags.set(name, value);
    }
  }
  const known = [
    "days",
    "flows-per-day",
    "hot-days",
    "hot-rows",
    "cold-via",
    "end",
    "seed",
    "data-dir",
    "repeats",
    "point-repeats",
    "sections",
  ];
  for (const name of flags.keys()) if (!known.includes(name)) throw new Error(`unknown option --${name}`);
  const int = (name: string, fallback: number, min: number): number => {
    const raw = flags.get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw.replace(/_/g, ""));
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got "${raw}"`);
    return n;
  };
  const days = int("days", BENCH_DEFAULTS.days, 2);
  const flowsPerDay = int("flows-per-day", BENCH_DEFAULTS.flowsPerDay, 1000);
  const hotDays = int("hot-days", BENCH_DEFAULTS.hotDays, 1);
  const hotRows = int("hot-rows", hotDays * flowsPerDay, hotDays);
  const coldVia = flags.get("cold-via") ?? BENCH_DEFAULTS.coldVia;
  if (coldVia !== "archiver" && coldVia !== "writer")
    throw new Error(`--cold-via must be archiver or writer, got "${coldVia}"`);
  const endRaw = flags.get("end");
  const endMs = endRaw === undefined ? BENCH_DEFAULTS.endMs : Date.parse(`${endRaw}T00:00:00Z`);
  if (!Number.isFinite(endMs) || endMs % DAY_MS !== 0)
    throw new Error(`--end must be a date like 2026-11-01, got "${endRaw}"`);
  return {
    dataset: { days, flowsPerDay, hotDays, hotRows, coldVia, endMs, seed: int("seed", BENCH_DEFAULTS.seed, 0) },
    dataDir: resolve(flags.get("data-dir") ?? BENCH_DEFAULTS.dataDir),
    rebuild: switches.has("rebuild"),
    buildOnly: switches.has("build-only"),
    repeats: int("repeats", BENCH_DEFAULTS.repeats, 1),
    pointRepeats: int("point-repeats", BENCH_DEFAULTS.pointRepeats, 5),
    sections: parseSections(flags.get("sections")),
    pgUrl: env.PG_URL === undefined || env.PG_URL === "" ? undefined : env.PG_URL,
  };
}

function parseSections(raw: string | undefined): Section[] {
  if (raw === undefined) return [...SECTIONS];
  const names = raw.split(",").map((x) => x.trim());
  for (const n of names)
    if (!(SECTIONS as readonly string[]).includes(n))
      throw new Error(`--sections takes a list of ${SECTIONS.join(", ")}; got "${n}"`);
  return names as Section[];
}

/** Time layout of a dataset: cold days, then hot days, ending at endMs. */
export function datasetWindows(d: DatasetOptions): { coldStartMs: number; hotStartMs: number; endMs: number } {
  const hotStartMs = d.endMs - d.hotDays * DAY_MS;
  return { coldStartMs: hotStartMs - d.days * DAY_MS, hotStartMs, endMs: d.endMs };
}

export { DAY_MS };
