/**
 * The ingest table of migration 0003 on the embedded TimescaleDB, driven with
 * SQL as pmacct would (rows in pmacct's column names and text formats):
 * conversion into flows, the clock-skew guard, TimeZone independence and the
 * collector role's privileges.
 */
import { hotStoreConfigFromEnv, migrate } from "@netflow/timescale";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedTestServer, startEmbeddedForTest } from "../timescale/src/embedded/testing.ts";

const COLUMNS =
  "peer_ip_src, iface_in, iface_out, ip_src, ip_dst, port_src, port_dst, ip_proto, tos, tcp_flags, packets, bytes, as_src, as_dst, sampling_rate, timestamp_start, timestamp_start_residual, timestamp_end, timestamp_end_residual, timestamp_arrival, timestamp_arrival_residual";

/** UTC wall-clock text as pmacct sends it (timestamps_utc: true). */
function pmacctTime(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}

describe("flows_ingest (migration 0003)", () => {
  let db: EmbeddedTestServer;
  let admin: pg.Client;
  const password = "collector-sql-test";

  beforeAll(async () => {
    db = await startEmbeddedForTest();
    await migrate(db.url, { config: hotStoreConfigFromEnv({ NETFLOW_COLLECTOR_PASSWORD: password }) });
    admin = new pg.Client(db.url);
    await admin.connect();
  });

  afterAll(async () => {
    await admin?.end();
    await db?.stop();
  });

  async function ingest(exporter: string, values: string, client: pg.Client = admin): Promise<void> {
    await client.query(`INSERT INTO flows_ingest (${COLUMNS}) VALUES ${values.replaceAll("EXP", exporter)}`);
  }

  async function rows(exporter: string) {
    const result = await admin.query(
      `SELECT to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') AS ts,
              to_char(ts_end AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') AS ts_end,
              ts_clamped, sampling_rate::int AS sampling_rate, packets::int AS packets, host(src_addr) AS src
         FROM flows WHERE exporter = $1 ORDER BY packets`,
      [exporter],
    );
    return result.rows;
  }

  it("converts pmacct's columns: microsecond residuals cut to ms, epoch or NULL start means arrival, rate 0 means 1", async () => {
    await admin.query("UPDATE ingest_settings SET max_clock_skew = NULL");
    await ingest(
      "192.0.2.10",
      `('EXP', 1, 2, '10.0.0.1', '2001:db8::1', 1234, 80, 6, 0, 18, 1, 100, 0, 0, 0,
         '2024-05-01 10:00:00', 123456, '2024-05-01 10:00:05', 999999, '2024-05-01 10:00:06', 1),
        ('EXP', 1, 2, '10.0.0.2', '10.0.0.3', 0, 0, 1, 0, 0, 2, 100, 0, 0, 100,
         NULL, NULL, NULL, NULL, '2024-05-01 11:00:00', 500000),
        ('EXP', 1, 2, '10.0.0.4', '10.0.0.5', 0, 0, 1, 0, 0, 3, 100, 0, 0, 1,
         '1970-01-01 00:00:00', 0, '1970-01-01 00:00:00', 0, '2024-05-01 12:00:00', 0)`,
    );
    expect(await rows("192.0.2.10")).toEqual([
      {
        ts: "2024-05-01 10:00:00.123",
        ts_end: "2024-05-01 10:00:05.999",
        ts_clamped: false,
        sampling_rate: 1,
        packets: 1,
        src: "10.0.0.1",
      },
      {
        ts: "2024-05-01 11:00:00.500",
        ts_end: null,
        ts_clamped: false,
        sampling_rate: 100,
        packets: 2,
        src: "10.0.0.2",
      },
      { ts: "2024-05-01 12:00:00.000", ts_end: null, ts_clamped: false, sampling_rate: 1, packets: 3, src: "10.0.0.4" },
    ]);
    expect(Number((await admin.query("SELECT count(*) AS n FROM flows_ingest")).rows[0]?.n)).toBe(0);
  });

  it("clamps flows outside the skew window to the arrival time, moving ts_end by the same amount", async () => {
    await admin.query("UPDATE ingest_settings SET max_clock_skew = '1 hour'");
    const now = Date.now();
    const arrival = pmacctTime(now);
    await ingest(
      "192.0.2.11",
      `('EXP', 1, 2, '10.0.0.1', '10.0.0.2', 1, 2, 6, 0, 0, 1, 100, 0, 0, 1,
         '${pmacctTime(now - 3 * 3600_000)}', 0, '${pmacctTime(now - 3 * 3600_000 + 10_000)}', 0, '${arrival}', 0),
        ('EXP', 1, 2, '10.0.0.1', '10.0.0.2', 1, 2, 6, 0, 0, 2, 100, 0, 0, 1,
         '${pmacctTime(now + 2 * 86400_000)}', 0, '${pmacctTime(now + 2 * 86400_000)}', 0, '${arrival}', 0),
        ('EXP', 1, 2, '10.0.0.1', '10.0.0.2', 1, 2, 6, 0, 0, 3, 100, 0, 0, 1,
         '${pmacctTime(now - 30 * 60_000)}', 0, '${pmacctTime(now - 29 * 60_000)}', 0, '${arrival}', 0)`,
    );
    const at = (ms: number): string => `${pmacctTime(ms)}.000`;
    const sec = Math.floor(now / 1000) * 1000;
    expect(await rows("192.0.2.11")).toEqual([
      { ts: at(sec), ts_end: at(sec + 10_000), ts_clamped: true, sampling_rate: 1, packets: 1, src: "10.0.0.1" },
      { ts: at(sec), ts_end: at(sec), ts_clamped: true, sampling_rate: 1, packets: 2, src: "10.0.0.1" },
      {
        ts: at(sec - 30 * 60_000),
        ts_end: at(sec - 29 * 60_000),
        ts_clamped: false,
        sampling_rate: 1,
        packets: 3,
        src: "10.0.0.1",
      },
    ]);
  });

  it("reads pmacct's zone-less times as UTC whatever the session TimeZone", async () => {
    await admin.query("UPDATE ingest_settings SET max_clock_skew = NULL");
    await admin.query("SET TimeZone = 'Asia/Kolkata'");
    try {
      await ingest(
        "192.0.2.12",
        `('EXP', 1, 2, '10.0.0.1', '10.0.0.2', 1, 2, 6, 0, 0, 1, 100, 0, 0, 1,
           '2024-05-01 10:00:00', 0, '2024-05-01 10:00:01', 0, '2024-05-01 10:00:02', 0)`,
      );
    } finally {
      await admin.query("RESET TimeZone");
    }
    const { rows: r } = await admin.query(
      "SELECT ts = '2024-05-01T10:00:00Z'::timestamptz AS ok FROM flows WHERE exporter = '192.0.2.12'",
    );
    expect(r).toEqual([{ ok: true }]);
  });

  it("lets the collector role insert into flows_ingest and nothing else", async () => {
    await admin.query("UPDATE ingest_settings SET max_clock_skew = NULL");
    const collector = new pg.Client({
      host: "127.0.0.1",
      port: db.port,
      database: "postgres",
      user: "netflow_collector",
      password,
    });
    await collector.connect();
    try {
      await ingest(
        "192.0.2.13",
        `('EXP', 1, 2, '10.0.0.1', '10.0.0.2', 1, 2, 6, 0, 0, 1, 100, 0, 0, 1,
           '2024-05-01 10:00:00', 0, '2024-05-01 10:00:01', 0, '2024-05-01 10:00:02', 0)`,
        collector,
      );
      expect((await rows("192.0.2.13")).length).toBe(1);
      for (const sql of [
        "SELECT * FROM flows_ingest",
        "SELECT * FROM flows",
        "INSERT INTO flows (ts, exporter, packets, bytes) VALUES (now(), '192.0.2.13', 1, 1)",
        "DELETE FROM flows",
        "UPDATE ingest_settings SET max_clock_skew = NULL",
        "TRUNCATE flows_ingest",
      ]) {
        await expect(collector.query(sql), sql).rejects.toMatchObject({ code: "42501" });
      }
    } finally {
      await collector.end();
    }
  });
});
