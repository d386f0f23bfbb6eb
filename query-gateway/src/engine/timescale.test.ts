// The hot engine against a real (embedded) TimescaleDB as the read-only role: the consistent
// cut runs at REPEATABLE READ READ ONLY (the embedded engine serializes transactions, which
// would hide a READ COMMITTED bug, so the level itself is asserted), settings are LOCAL to
// each query, limits and errors map to QueryError.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTierFixture, TABLE_ID, type TierFixture } from "../tiers/fixture.ts";
import { startTcpRelay } from "../tiers/tcp-relay.ts";
import { TierReader } from "../tiers/tiers.ts";
import { QueryError } from "./errors.ts";
import { TimescaleEngine } from "./timescale.ts";

let fixture: TierFixture;
let engine: TimescaleEngine;
const opts = { timeZone: "Asia/Kolkata", timeoutMs: 1500, rowLimit: 10 };

beforeAll(async () => {
  fixture = await startTierFixture();
  engine = new TimescaleEngine({ url: fixture.readerUrl, poolSize: 2, statementTimeoutMs: 5_000 });
  await engine.start();
}, 180_000);

afterAll(async () => {
  await engine?.stop();
  await fixture?.stop();
});

describe("timescale engine", () => {
  it("the cut is one REPEATABLE READ READ ONLY transaction with the session settings", async () => {
    const seen = await engine.cut(opts, "SELECT 1 AS one", async (tx, first) => {
      expect(first).toEqual([[{ one: "1" }]]);
      const rows = await tx.rows(
        "SELECT current_setting('transaction_isolation') AS iso, current_setting('transaction_read_only') AS ro, current_setting('TimeZone') AS tz, current_setting('statement_timeout') AS st, txid_current_if_assigned() AS xid, pg_current_snapshot()::text AS snap, current_user AS who",
      );
      const again = await tx.rows("SELECT pg_current_snapshot()::text AS snap");
      return { ...(rows[0] ?? {}), snap2: again[0]?.snap } as Record<string, string | null | undefined>;
    });
    expect(seen).toMatchObject({
      iso: "repeatable read",
      ro: "on",
      tz: "Asia/Kolkata",
      st: "1500ms",
      who: "netflow_reader",
    });
    expect(seen.snap2).toBe(seen.snap);
  });

  it("a cut committed in its first round trip reads in one snapshot and holds no connection", async () => {
    const single = new TimescaleEngine({ url: fixture.readerUrl, poolSize: 1, statementTimeoutMs: 5_000 });
    await single.start();
    try {
      const first =
        "SELECT current_setting('transaction_isolation') AS iso, current_setting('TimeZone') AS tz, now()::text AS t, pg_current_snapshot()::text AS snap; SELECT pg_current_snapshot()::text AS snap";
      const open = await single.begin("repeatable read", opts, first, "commit");
      const [settings, again] = open.firstRows;
      expect(settings?.[0]).toMatchObject({ iso: "repeatable read", tz: "Asia/Kolkata" });
      expect(again?.[0]?.snap).toBe(settings?.[0]?.snap);
      expect(open.committed).toBe(true);
      await expect(open.tx.rows("SELECT 1")).rejects.toThrow(/committed/);
      // The pool's one connection is free before `end()`, and outside that transaction: a BEGIN
      // inside it would only warn, and now() would still be its start.
      const next = await single.begin("repeatable read", opts, "SELECT now()::text AS t");
      expect(next.firstRows[0]?.[0]?.t).not.toBe(settings?.[0]?.t);
      await next.end();
      await open.end();
    } finally {
      await single.stop();
    }
  });

  it("a committed transaction's connection serves the next one at once, its COMMIT queued ahead", async () => {
    // Through a relay that counts connections: a pool of two must not open the second one for
    // back-to-back transactions (on the embedded engine each change of connection costs a
    // session switch).
    const relay = await startTcpRelay(fixture.readerUrl);
    const pooled = new TimescaleEngine({ url: relay.url, poolSize: 2, statementTimeoutMs: 5_000 });
    await pooled.start();
    try {
      const seen: string[] = [];
      for (let i = 0; i < 5; i++) {
        const open = await pooled.begin("repeatable read", opts, "SELECT now()::text AS t");
        seen.push(open.firstRows[0]?.[0]?.t ?? "");
        await open.end();
      }
      expect(relay.connections).toBe(1);
      // Each BEGIN ran after the previous COMMIT: five transactions, five start times.
      expect(new Set(seen).size).toBe(5);
    } finally {
      await pooled.stop();
      relay.close();
    }
  });

  it("the tier-state statements lock the hypertable and its chunks before the snapshot", async () => {
    await fixture.insert([
      {
        ts: "2026-03-01T00:00:00Z",
        exporter: "192.0.2.1",
        packets: "1",
        bytes: "1",
        sampling_rate: "1",
        ts_clamped: "false",
      },
    ]);
    const reader = new TierReader({ store: fixture.ctx.store, catalogName: "netflow", table: TABLE_ID });
    const preparing = new TimescaleEngine({
      url: fixture.readerUrl,
      poolSize: 1,
      statementTimeoutMs: 5_000,
      prepare: reader.prepared(),
    });
    await preparing.start();
    const locked = await preparing.cut(opts, reader.statements(), async (tx, first) => {
      const state = await reader.fromRows(first);
      const locks = await tx.rows(
        "SELECT count(*) FILTER (WHERE c.relname = 'flows') AS hypertable, count(*) FILTER (WHERE c.relname LIKE '%_chunk') AS chunks FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE l.mode = 'AccessShareLock' AND l.granted AND (l.pid = pg_backend_pid() OR l.pid IS NULL)",
      );
      return { chunks: state.hotChunks.length, locks: locks[0] };
    });
    await preparing.stop();
    expect(locked.chunks).toBe(1);
    expect(Number(locked.locks?.hypertable)).toBeGreaterThanOrEqual(1);
    expect(Number(locked.locks?.chunks)).toBeGreaterThanOrEqual(1);
  });

  it("plain queries are READ ONLY and their settings do not leak into the next one", async () => {
    const inside = await engine.query(
      "SELECT current_setting('transaction_read_only') AS ro, current_setting('TimeZone') AS tz",
      opts,
    );
    expect(inside.rows).toEqual([["on", "Asia/Kolkata"]]);
    const next = await engine.query("SELECT current_setting('TimeZone') AS tz", { ...opts, timeZone: "UTC" });
    expect(next.rows).toEqual([["UTC"]]);
  });

  it("writes fail even where the role could write", async () => {
    await expect(engine.cut(opts, "", (tx) => tx.rows("CREATE TEMP TABLE x (a int)"))).rejects.toMatchObject({
      kind: "query",
      sqlState: "25006",
    });
  });

  it("canonical values, row limit and error positions", async () => {
    const r = await engine.query(
      "SELECT '2026-03-01 05:30:00+05:30'::timestamptz AS t, '10.0.0.1'::inet AS a, 12345678901234::bigint AS b, 1.5::numeric AS n, NULL::int AS z",
      opts,
    );
    expect(r.rows).toEqual([["2026-03-01T00:00:00Z", "10.0.0.1", 12345678901234, 1.5, null]]);
    expect(r.columns.map((c) => c.type)).toEqual(["timestamptz", "inet", "bigint", "numeric", "integer"]);
    await expect(engine.query("SELECT generate_series(1, 11)", opts)).rejects.toMatchObject({ kind: "limit" });
    await expect(engine.query("SELECT nope FROM flows", opts)).rejects.toMatchObject({
      kind: "query",
      sqlState: "42703",
      position: 8,
    });
  });

  it("a connection lost while a transaction waits between statements fails that transaction, not the process", async () => {
    // A TCP relay to the real server, cut while the transaction is open and idle: what the gateway
    // sees when the hot database is killed between two statements of a query.
    const relay = await startTcpRelay(fixture.readerUrl);
    const relayed = new TimescaleEngine({ url: relay.url, poolSize: 1, statementTimeoutMs: 5_000 });
    await relayed.start();
    try {
      const open = await relayed.begin("repeatable read", opts, "SELECT 1 AS one");
      relay.cut();
      await new Promise((resolve) => setTimeout(resolve, 200));
      await expect(open.tx.rows("SELECT 2 AS two")).rejects.toBeDefined();
      await open.end(new QueryError("unavailable", "connection lost"));
    } finally {
      await relayed.stop();
      relay.close();
    }
  });
});
