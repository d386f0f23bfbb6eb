import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type pg from "pg";
import { type HotStoreConfig, hotStoreConfigFromEnv, SERVICE_ROLES } from "./config.ts";
import { connectWithRetry } from "./connect.ts";
import { HotStoreError } from "./errors.ts";
import { loadMigrations, type Migration } from "./migrations.ts";
import { scramVerifier } from "./scram.ts";

const SQL_DIR = join(dirname(fileURLToPath(import.meta.url)), "sql");
const sqlFile = (name: string): string => readFileSync(join(SQL_DIR, name), "utf8");

/** Arbitrary constant: serializes concurrent migrators on one database. */
const MIGRATION_LOCK_KEY = 7_311_002_055;

export interface MigrateResult {
  applied: number[];
  alreadyApplied: number[];
}

export interface MigrateOptions {
  config?: HotStoreConfig;
  migrations?: Migration[];
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

/**
 * Applies the numbered migrations that are not applied yet, each in its own
 * transaction under a transaction-scoped advisory lock (session locks would be
 * shared by every client of the embedded engine, which has one session), then
 * applies the settings that may change between runs: chunk interval,
 * compression policy and service-role passwords. Running it twice is a no-op.
 */
export async function migrate(pgUrl: string, options: MigrateOptions = {}): Promise<MigrateResult> {
  const config = options.config ?? hotStoreConfigFromEnv();
  const migrations = options.migrations ?? loadMigrations();
  const log = options.log ?? (() => {});
  const client = await connectWithRetry(pgUrl, { timeoutMs: config.connectTimeoutMs, log });
  try {
    await requireTimescale(client, pgUrl);
    await client.query(sqlFile("schema-migrations.sql"));
    const result: MigrateResult = { applied: [], alreadyApplied: [] };
    for (const migration of migrations) {
      const applied = await applyOne(client, migration, config);
      (applied ? result.applied : result.alreadyApplied).push(migration.version);
      if (applied) log("migration applied", { version: migration.version, name: migration.name });
    }
    await applySettings(client, config);
    return result;
  } finally {
    await client.end();
  }
}

async function requireTimescale(client: pg.Client, pgUrl: string): Promise<void> {
  const { rows } = await client.query<{ n: string }>(
    "SELECT count(*) AS n FROM pg_available_extensions WHERE name = 'timescaledb'",
  );
  if (rows[0]?.n === "0") {
    throw new HotStoreError(
      "no-timescaledb",
      `the database at ${redactUrl(pgUrl)} has no timescaledb extension available; use a TimescaleDB server (e.g. the timescale/timescaledb image) or the embedded server`,
    );
  }
}

async function applyOne(client: pg.Client, migration: Migration, config: HotStoreConfig): Promise<boolean> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
    const { rows } = await client.query<{ checksum: string }>(
      "SELECT checksum FROM schema_migrations WHERE version = $1",
      [migration.version],
    );
    const existing = rows[0];
    if (existing !== undefined) {
      await client.query("ROLLBACK");
      if (existing.checksum !== migration.checksum) {
        throw new HotStoreError(
          "edited-migration",
          `migration ${migration.version} (${migration.name}) was changed after it was applied; migrations are append-only: revert the file and add a new migration`,
        );
      }
      return false;
    }
    await client.query("SELECT set_config('netflow.chunk_interval', $1, true)", [config.chunkInterval]);
    await client.query(migration.sql);
    await client.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", [
      migration.version,
      migration.name,
      migration.checksum,
    ]);
    await client.query("COMMIT");
    return true;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    if (error instanceof HotStoreError) throw error;
    throw new HotStoreError(
      "migration-failed",
      `migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

async function applySettings(client: pg.Client, config: HotStoreConfig): Promise<void> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT set_chunk_time_interval('flows', $1::interval)", [config.chunkInterval]);
    await client.query("SELECT set_config('netflow.compress_after', $1, true)", [config.compressAfter]);
    await client.query(sqlFile("compression-policy.sql"));
    if (config.ingestMaxClockSkew !== undefined) {
      const skew = config.ingestMaxClockSkew === "off" ? null : config.ingestMaxClockSkew;
      await client.query("UPDATE ingest_settings SET max_clock_skew = $1::interval", [skew]);
    }
    for (const role of SERVICE_ROLES) {
      const password = config.rolePasswords[role];
      if (password === undefined) continue;
      // A verifier, not the password, crosses the wire (see scram.ts).
      const verifier = client.escapeLiteral(scramVerifier(password));
      await client.query(`ALTER ROLE ${client.escapeIdentifier(role)} LOGIN PASSWORD ${verifier}`);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw new HotStoreError("migration-failed", `applying hot-store settings failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<unparsable PG_URL>";
  }
}
