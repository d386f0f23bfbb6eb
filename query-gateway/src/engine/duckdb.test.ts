// The DuckDB engine's own lockdown, below the SQL lockdown (defense in depth): even SQL that
// reached it could not read outside the allowed directories, change locked settings, load
// extensions or write files; the session TimeZone stays settable and is per session.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DuckDbEngine } from "./duckdb.ts";

let root: string;
let allowed: string;
let outside: string;
let engine: DuckDbEngine;
const opts = { timeZone: "UTC", timeoutMs: 10_000, rowLimit: 100 };

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "duck-lock-"));
  allowed = join(root, "allowed");
  outside = join(root, "outside");
  mkdirSync(allowed);
  mkdirSync(outside);
  writeFileSync(join(allowed, "ok.csv"), "a\n1\n");
  writeFileSync(join(outside, "secret.csv"), "a\n42\n");
  engine = new DuckDbEngine({
    memoryLimit: "256MB",
    threads: 1,
    allowedDirectories: [allowed],
    tempDirectory: join(allowed, "spill"),
  });
  await engine.start();
});

afterAll(async () => {
  await engine?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe("duckdb engine lockdown", () => {
  it("reads inside the allowed directory only", async () => {
    const ok = await engine.query(`SELECT a FROM read_csv('${join(allowed, "ok.csv")}')`, opts);
    expect(ok.rows).toEqual([[1]]);
    for (const sql of [
      `SELECT * FROM read_csv('${join(outside, "secret.csv")}')`,
      `SELECT * FROM '${join(outside, "secret.csv")}'`,
      `SELECT * FROM read_text('${join(allowed, "..", "outside", "secret.csv")}')`,
      "SELECT * FROM read_text('/etc/passwd')",
      "SELECT * FROM glob('/etc/*')",
    ]) {
      await expect(engine.query(sql, opts), sql).rejects.toMatchObject({ name: "QueryError" });
    }
  });

  it("refuses writes, extensions, attaching and configuration changes", async () => {
    for (const sql of [
      `COPY (SELECT 1) TO '${join(outside, "x.csv")}'`,
      "INSTALL httpfs",
      "LOAD httpfs",
      `ATTACH '${join(outside, "x.db")}' AS x`,
      "SET memory_limit = '8GB'",
      "SET enable_external_access = true",
      "SET allowed_directories = ['/']",
      "SET lock_configuration = false",
    ]) {
      await expect(engine.query(sql, opts), sql).rejects.toMatchObject({ name: "QueryError" });
    }
    const settings = await engine.query(
      "SELECT current_setting('enable_external_access'), current_setting('lock_configuration'), current_setting('memory_limit')",
      opts,
    );
    expect(settings.rows[0]?.slice(0, 2)).toEqual([false, true]);
  });

  it("the session TimeZone is per session, even with the configuration locked", async () => {
    const sql =
      "SELECT current_setting('TimeZone') AS tz, date_trunc('day', TIMESTAMPTZ '2026-03-01 12:00:00+00') AS d";
    const tokyo = await engine.query(sql, { ...opts, timeZone: "Asia/Tokyo" });
    const utc = await engine.query(sql, opts);
    expect(tokyo.rows).toEqual([["Asia/Tokyo", "2026-02-28T15:00:00Z"]]);
    expect(utc.rows).toEqual([["UTC", "2026-03-01T00:00:00Z"]]);
  });

  it("row limit and timeout", async () => {
    await expect(engine.query("SELECT * FROM range(101)", opts)).rejects.toMatchObject({ kind: "limit" });
    await expect(
      engine.query("SELECT sum(a.range * b.range % 7) FROM range(100000) a, range(100000) b", {
        ...opts,
        timeoutMs: 200,
      }),
    ).rejects.toMatchObject({ kind: "timeout" });
  });
});
