import { migrate } from "@netflow/timescale";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedTestServer, startEmbeddedForTest } from "../../../timescale/src/embedded/testing.ts";
import { backfill, backfillSource } from "./backfill.ts";

/**
 * Backfill into a real (embedded) TimescaleDB through the migrations: the
 * rows in the hypertable must be exactly the synthetic source's flows.
 */
let server: EmbeddedTestServer;

beforeAll(async () => {
  server = await startEmbeddedForTest();
  await migrate(server.url);
});

afterAll(async () => {
  await server?.stop();
});

async function query<T extends pg.QueryResultRow>(sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe("backfill", () => {
  it("writes exactly the synthetic flows, in batches, over the whole range", async () => {
    const options = {
      pgUrl: server.url,
      fromMs: Date.parse("2025-03-01T00:00:00Z"),
      toMs: Date.parse("2025-03-04T00:00:00Z"),
      flowsPerDay: 2000,
      seed: 77,
      batchRows: 2500,
      exporters: 2,
    };
    const progress: number[] = [];
    const summary = await backfill(options, { onProgress: (rows) => progress.push(rows) });
    expect(summary.rows).toBe(6000);
    expect(progress).toEqual([2500, 5000, 6000]);

    const [totals] = await query<{
      rows: string;
      bytes: string;
      packets: string;
      clamped: string;
      min: Date;
      max: Date;
    }>(
      "SELECT count(*) AS rows, sum(bytes) AS bytes, sum(packets) AS packets, count(*) FILTER (WHERE ts_clamped) AS clamped, min(ts) AS min, max(ts) AS max FROM flows",
    );
    expect(Number(totals!.rows)).toBe(summary.rows);
    expect(Number(totals!.bytes)).toBe(summary.bytes);
    expect(Number(totals!.packets)).toBe(summary.packets);
    expect(Number(totals!.clamped)).toBe(0);
    expect(totals!.min.getTime()).toBe(options.fromMs);
    expect(totals!.max.getTime()).toBeLessThan(options.toMs);
    // Three days at the default 1-day chunk interval: three chunks.
    const [chunks] = await query<{ n: string }>("SELECT count(*) AS n FROM show_chunks('flows')");
    expect(Number(chunks!.n)).toBe(3);

    // Every column of every row equals the replayed source.
    const rows = await query<Record<string, string | null>>(
      `SELECT (extract(epoch FROM ts) * 1000)::bigint::text AS ts, (extract(epoch FROM ts_end) * 1000)::bigint::text AS ts_end,
              host(exporter) AS exporter, in_if::text, out_if::text, host(src_addr) AS src_addr, host(dst_addr) AS dst_addr,
              src_port::text, dst_port::text, proto::text, tos::text, tcp_flags::text, packets::text, bytes::text,
              src_as::text, dst_as::text, sampling_rate::text
       FROM flows`,
    );
    const source = backfillSource({ ...options, ipv6Share: 0.3, samplingRate: 1, exporterBase: "127.0.0.1" });
    const expected = Array.from({ length: 6000 }, () => {
      const f = source.next();
      return Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v === null ? null : String(v)]));
    });
    const sortKey = (r: Record<string, string | null>): string => JSON.stringify(r);
    expect(rows.map(sortKey).sort()).toEqual(expected.map(sortKey).sort());
  });
});
