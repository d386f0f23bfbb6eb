// The engine's WAL writes are seen where they happen (the emscripten file system), so a
// transaction that wrote WAL is flushed to disk before it is answered and one that wrote none
// is answered without looking at pg_wal — measured: that look cost a read-only round trip
// ~3 ms p50 on a machine whose cores DuckDB kept busy (its stat calls wait for thread-pool turns).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Engine } from "./engine.ts";

let dir: string;
let engine: Engine;
let syncs = 0;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "wal-writes-"));
  engine = new Engine(dir, pino({ level: "silent" }), {
    syncCommit: true,
    onFailure: () => undefined,
    onWalSync: () => {
      syncs++;
    },
  });
  await engine.open("secret");
  await engine.simple("CREATE TABLE t (id int PRIMARY KEY, note text)");
  await engine.flushWal();
}, 120_000);

afterAll(async () => {
  await engine?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs `sql` and flushes as the server does before answering; returns the passes and fsyncs it cost. */
async function commit(sql: string): Promise<{ passes: number; syncs: number }> {
  const before = { passes: engine.walFlushPasses, syncs };
  const result = await engine.simple(sql);
  expect(result.error).toBeUndefined();
  await engine.flushWal();
  return { passes: engine.walFlushPasses - before.passes, syncs: syncs - before.syncs };
}

describe("WAL flushing follows the engine's WAL writes", () => {
  it("a transaction that writes is flushed: the segment it wrote is synced", async () => {
    expect(await commit("INSERT INTO t VALUES (1, 'one')")).toEqual({ passes: 1, syncs: 1 });
    expect(await commit("BEGIN; UPDATE t SET note = 'uno' WHERE id = 1; COMMIT")).toEqual({ passes: 1, syncs: 1 });
  });

  it("read-only transactions do not look at pg_wal", async () => {
    for (const sql of ["SELECT 1", "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT * FROM t; COMMIT"]) {
      expect(await commit(sql)).toEqual({ passes: 0, syncs: 0 });
    }
    // And the next write is flushed again.
    expect(await commit("INSERT INTO t VALUES (2, 'two')")).toEqual({ passes: 1, syncs: 1 });
  });
});
