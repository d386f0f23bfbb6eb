import { readFileSync } from "node:fs";
import { join } from "node:path";
import { FLOW_COLUMNS } from "@netflow/schema";
import { describe, expect, it } from "vitest";
import { COLLECTABLE_COLUMNS, type CollectorConfig, collectorConfig, collectorConfigFromEnv } from "./config.ts";
import { CollectorError } from "./errors.ts";
import { aggregatePrimitives, nextPrime, renderDaemonConfig, sqlCacheEntries } from "./render.ts";

const database = { host: "127.0.0.1", port: 5432, database: "netflow", user: "netflow_collector", password: "s3cret" };
const base = (over: Partial<CollectorConfig> = {}): CollectorConfig =>
  collectorConfig({ database, stateDir: "/tmp/collector-test", ...over });

/** key -> value of a rendered pmacct config. */
function keys(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line.startsWith("!") || line.trim() === "") continue;
    const i = line.indexOf(": ");
    map.set(line.slice(0, i), line.slice(i + 2));
  }
  return map;
}

describe("rendered pmacct configs", () => {
  it("aggregate every schema column's pmacct primitive (counters aside) plus the arrival time", () => {
    const nf = keys(renderDaemonConfig(base(), "nfacctd"));
    const primitives = nf.get("aggregate[flows]")?.split(", ") ?? [];
    for (const column of FLOW_COLUMNS) {
      if (column.pmacct === null || ["packets", "bytes"].includes(column.pmacct.primitive)) continue;
      expect(primitives, column.name).toContain(column.pmacct.primitive);
    }
    expect(primitives).toContain("timestamp_arrival");
    expect(new Set(primitives).size).toBe(primitives.length);
  });

  it("leave flow times out of sfacctd (sFlow has none; pmacct would write the purge time)", () => {
    const sf = keys(renderDaemonConfig(base(), "sfacctd"));
    const primitives = sf.get("aggregate[flows]")?.split(", ") ?? [];
    expect(primitives).not.toContain("timestamp_start");
    expect(primitives).not.toContain("timestamp_end");
    expect(primitives).toContain("timestamp_arrival");
    expect(sf.get("sfacctd_port")).toBe("6343");
    expect(sf.get("sfacctd_as")).toBe("sflow");
  });

  it("write through COPY, insert-only, without table locks, timestamps in UTC", () => {
    const nf = keys(renderDaemonConfig(base({ netflowPort: 9995, allowFile: "/etc/allow.lst" }), "nfacctd"));
    expect(nf.get("sql_use_copy[flows]")).toBe("true");
    expect(nf.get("sql_dont_try_update[flows]")).toBe("true");
    expect(nf.get("sql_locking_style[flows]")).toBe("none");
    expect(nf.get("sql_optimize_clauses[flows]")).toBe("true");
    expect(nf.get("sql_table[flows]")).toBe("flows_ingest");
    expect(nf.get("timestamps_utc")).toBe("true");
    expect(nf.get("daemonize")).toBe("false");
    expect(nf.get("nfacctd_renormalize")).toBe("false");
    expect(nf.get("nfacctd_port")).toBe("9995");
    expect(nf.get("nfacctd_allow_file")).toBe("/etc/allow.lst");
    expect(nf.get("nfacctd_templates_file")).toBe("/tmp/collector-test/nfacctd-templates.json");
    expect(nf.get("sql_passwd[flows]")).toBe("s3cret");
    expect(nf.get("sql_port[flows]")).toBe("5432");
  });

  it("size the cache for two refresh intervals at the target rate, with a prime", () => {
    expect(nextPrime(200_000)).toBe(200_003);
    expect(sqlCacheEntries({ targetFlowsPerSecond: 20_000, refreshSeconds: 5 })).toBe(200_003);
    const nf = keys(renderDaemonConfig(base({ targetFlowsPerSecond: 1000, refreshSeconds: 2 }), "nfacctd"));
    expect(nf.get("sql_cache_entries[flows]")).toBe("4001");
  });

  it("write only columns the ingest table has (checked against migration 0003)", () => {
    const sql = readFileSync(join(import.meta.dirname, "../../timescale/migrations/0003_ingest.sql"), "utf8");
    const table = /CREATE UNLOGGED TABLE flows_ingest \(([\s\S]*?)\n\);/.exec(sql)?.[1] ?? "";
    const viewColumns = [...table.matchAll(/^\s+(\w+)\s+\w+,?$/gm)].map((m) => m[1]);
    expect(viewColumns.length).toBeGreaterThan(15);
    for (const column of FLOW_COLUMNS) {
      if (column.pmacct === null) continue;
      expect(viewColumns, column.name).toContain(column.pmacct.column);
    }
    for (const t of ["timestamp_start", "timestamp_end", "timestamp_arrival"]) {
      expect(viewColumns).toContain(t);
      expect(viewColumns).toContain(`${t}_residual`);
    }
  });
});

describe("collector config validation", () => {
  const fails = (f: () => unknown, pattern: RegExp): void => {
    let error: unknown;
    try {
      f();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CollectorError);
    expect((error as CollectorError).kind).toBe("bad-config");
    expect((error as Error).message).toMatch(pattern);
  };

  it("names an unknown column", () => {
    fails(() => base({ columns: [...COLLECTABLE_COLUMNS, "src_mac"] }), /unknown flow column "src_mac"/);
    fails(() => aggregatePrimitives({ columns: ["nope"] }, "nfacctd"), /unknown flow column "nope"/);
  });

  it("refuses computed and missing required columns", () => {
    fails(() => base({ columns: [...COLLECTABLE_COLUMNS, "ts_clamped"] }), /ts_clamped.*computed at ingest/);
    fails(() => base({ columns: COLLECTABLE_COLUMNS.filter((c) => c !== "exporter") }), /must include "exporter"/);
  });

  it("names a bad port", () => {
    fails(() => base({ netflowPort: 70000 }), /netflowPort 70000 is not a UDP\/TCP port/);
    fails(() => base({ sflowPort: 2055 }), /sflowPort must differ/);
    fails(
      () => collectorConfigFromEnv({ PG_URL: "postgres://h/db", NETFLOW_COLLECTOR_PASSWORD: "x", NETFLOW_PORT: "abc" }),
      /NETFLOW_PORT/,
    );
  });

  it("names the missing password and bad URLs", () => {
    fails(
      () => collectorConfigFromEnv({ PG_URL: "postgres://db.example:5433/netflow" }),
      /NETFLOW_COLLECTOR_PASSWORD is not set/,
    );
    fails(() => collectorConfigFromEnv({}), /PG_URL is not set/);
    fails(
      () => collectorConfigFromEnv({ PG_URL: "mysql://h/db", NETFLOW_COLLECTOR_PASSWORD: "x" }),
      /PG_URL has protocol/,
    );
    fails(
      () => base({ database: { ...database, password: "two words" } }),
      /database.password must not contain whitespace/,
    );
  });

  it("reads the environment", () => {
    const config = collectorConfigFromEnv({
      PG_URL: "postgres://admin:adminpw@db.example:5433/netflow",
      NETFLOW_COLLECTOR_PASSWORD: "pw",
      NETFLOW_PORT: "9996",
      SFLOW_PORT: "off",
      COLLECTOR_STATE_DIR: "/var/lib/collector",
    });
    expect(config.database).toEqual({
      host: "db.example",
      port: 5433,
      database: "netflow",
      user: "netflow_collector",
      password: "pw",
    });
    expect(config.netflowPort).toBe(9996);
    expect(config.sflowPort).toBeNull();
    expect(config.stateDir).toBe("/var/lib/collector");
    const own = collectorConfigFromEnv({ COLLECTOR_PG_URL: "postgres://ingest:p%40ss@[::1]/flows" });
    expect(own.database).toEqual({ host: "::1", port: 5432, database: "flows", user: "ingest", password: "p@ss" });
  });
});
