import { startTestPostgres, type TestPostgres } from "@netflow/iceberg/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hotStoreConfigFromEnv } from "./config.ts";
import { HotStoreError } from "./errors.ts";
import { migrate } from "./migrate.ts";

// A real PostgreSQL 15 server without the timescaledb extension: the migrator
// must refuse it before changing anything, and say what to use instead.
let server: TestPostgres;

beforeAll(async () => {
  server = await startTestPostgres();
});
afterAll(async () => {
  await server?.stop();
});

describe("migrate against PostgreSQL without TimescaleDB", () => {
  it("refuses with a clear error and leaves the database untouched", async () => {
    const error = await migrate(server.url, { config: hotStoreConfigFromEnv({}) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HotStoreError);
    expect((error as HotStoreError).kind).toBe("no-timescaledb");
    expect((error as Error).message).toMatch(/127\.0\.0\.1:\d+\/postgres has no timescaledb extension available/);
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'");
      expect(rows).toEqual([{ n: 0 }]);
    } finally {
      await client.end();
    }
  });
});
