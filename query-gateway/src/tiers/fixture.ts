/**
 * Test fixture (tests only): a real embedded TimescaleDB with the project's
 * migrations, a file:// Iceberg warehouse, a flows dataset written to both
 * the hot hypertable and a reference copy (`ref_all.flows`, a plain table on
 * the same server) that keeps ALL rows, and a way to archive a time range:
 * rows → Iceberg data files (our writer) → SqlCatalog commit → drop_chunks.
 * Queries on the reference run on TimescaleDB with search_path = ref_all, so
 * the same SQL text names the full copy.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  createTable,
  encodeAddress,
  FileObjectStore,
  fastAppend,
  loadTable,
  type ObjectStore,
  parseTransform,
  pgQuery,
  type Schema,
  SqlCatalog,
  type TableContext,
  writeDataFiles,
} from "@netflow/iceberg";
import { FLOW_COLUMNS } from "@netflow/schema";
import { hotStoreConfigFromEnv, migrate } from "@netflow/timescale";
import pg from "pg";
import { type Row, rowsToBatch } from "../../../iceberg/src/testing/rows.ts";
import { type EmbeddedTestServer, startEmbeddedForTest } from "../../../timescale/src/embedded/testing.ts";

export const READER_PASSWORD = "reader-test-pw";
export const TABLE_ID = { namespace: ["netflow"], name: "flows" };
export const DAY_US = 86_400_000_000n;

/** A flow row as SQL text values (null = NULL), keyed by flow column. */
export type FlowRow = Record<string, string | null>;

export const FLOWS_SCHEMA: Schema = {
  schemaId: 0,
  fields: FLOW_COLUMNS.map((c) => ({ id: c.fieldId, name: c.name, required: !c.nullable, type: c.icebergType })),
};

export interface PreparedArchive {
  readonly rows: number;
  /** Catalog commit and chunk drop in one transaction. */
  commit(): Promise<void>;
  /** The same in two transactions (simpler setups that do not race queries). */
  commitInSteps(): Promise<void>;
}

export interface TierFixture {
  readonly server: EmbeddedTestServer;
  readonly readerUrl: string;
  readonly warehouse: string;
  readonly dir: string;
  readonly admin: pg.Pool;
  readonly ctx: TableContext;
  /** Inserts rows into the hot table and the reference copy. */
  insert(rows: readonly FlowRow[]): Promise<void>;
  /**
   * Moves hot rows with ts in [from, to) to the cold table and drops their
   * chunks. With `atomic`, the catalog commit and the chunk drop happen in one
   * transaction (architecture invariant 1), as the archiver does. Returns rows moved.
   */
  archive(fromUs: bigint, toUs: bigint, atomic?: boolean): Promise<number>;
  /** The export half of an archive (rows read, data files written); `commit()` is the atomic rest. */
  prepareArchive(fromUs: bigint, toUs: bigint): Promise<PreparedArchive>;
  /** Runs SQL on the reference copy (TimescaleDB holding all rows) in the given TimeZone. */
  reference(sql: string, timeZone: string, params?: readonly (string | null)[]): Promise<pg.QueryArrayResult<string[]>>;
  stop(): Promise<void>;
}

export interface TierFixtureOptions {
  /** Where the Iceberg table lives (e.g. s3://bucket/wh) and the store for it. Default: a file:// warehouse in a temp dir. */
  readonly warehouse?: { readonly uri: string; readonly store: ObjectStore };
}

export async function startTierFixture(options: TierFixtureOptions = {}): Promise<TierFixture> {
  const dir = mkdtempSync(join(tmpdir(), "gateway-test-"));
  const server = await startEmbeddedForTest();
  try {
    await migrate(server.url, {
      config: { ...hotStoreConfigFromEnv({}), rolePasswords: { netflow_reader: READER_PASSWORD } },
    });
    const admin = new pg.Pool({ connectionString: server.url, max: 2 });
    admin.on("error", () => undefined);
    await admin.query("CREATE SCHEMA ref_all");
    await admin.query("CREATE TABLE ref_all.flows (LIKE public.flows INCLUDING DEFAULTS)");
    // A lookup table in schema ref, as the gateway mirrors them into DuckDB; one exporter is missing on purpose.
    await admin.query("CREATE SCHEMA ref");
    await admin.query("CREATE TABLE ref.exporters (address inet PRIMARY KEY, name text NOT NULL, site text)");
    await admin.query(
      "INSERT INTO ref.exporters VALUES ('192.0.2.1', 'edge-1', 'ams'), ('2001:db8:ffff::e1', 'edge-v6', NULL)",
    );
    await admin.query("GRANT USAGE ON SCHEMA ref TO netflow_reader");
    await admin.query("GRANT SELECT ON ALL TABLES IN SCHEMA ref TO netflow_reader");
    const warehouse = options.warehouse?.uri ?? pathToFileURL(join(dir, "warehouse")).href;
    const catalog = new SqlCatalog({ name: "netflow", query: pgQuery(admin) });
    const ctx: TableContext = { catalog, store: options.warehouse?.store ?? new FileObjectStore() };
    await catalog.createNamespace(["netflow"]);
    await createTable(ctx, TABLE_ID, {
      schema: FLOWS_SCHEMA,
      location: `${warehouse}/netflow/flows`,
      spec: { specId: 0, fields: [{ sourceId: 1, fieldId: 1000, name: "ts_day", transform: parseTransform("day") }] },
      sortOrder: {
        orderId: 1,
        fields: [{ sourceId: 1, transform: parseTransform("identity"), direction: "asc", nullOrder: "nulls-first" }],
      },
    });
    const url = new URL(server.url);
    url.username = "netflow_reader";
    url.password = READER_PASSWORD;
    const columns = FLOW_COLUMNS.map((c) => c.name);

    const fixture: TierFixture = {
      server,
      readerUrl: url.href,
      warehouse,
      dir,
      admin,
      ctx,
      async insert(rows) {
        for (let i = 0; i < rows.length; i += 500) {
          const batch = rows.slice(i, i + 500);
          const values: (string | null)[] = [];
          const tuples = batch.map((row) => {
            const slots = columns.map((c) => {
              values.push(row[c] ?? null);
              return `$${values.length}`;
            });
            return `(${slots.join(", ")})`;
          });
          for (const table of ["public.flows", "ref_all.flows"]) {
            await admin.query(`INSERT INTO ${table} (${columns.join(", ")}) VALUES ${tuples.join(", ")}`, values);
          }
        }
      },
      async archive(fromUs, toUs, atomic = false) {
        const prepared = await fixture.prepareArchive(fromUs, toUs);
        await (atomic ? prepared.commit() : prepared.commitInSteps());
        return prepared.rows;
      },
      async prepareArchive(fromUs, toUs) {
        const select = FLOW_COLUMNS.map((c) =>
          c.pgType === "timestamptz"
            ? `(extract(epoch FROM ${c.name}) * 1000000)::bigint::text AS ${c.name}`
            : c.pgType === "inet"
              ? `host(${c.name}) AS ${c.name}`
              : `${c.name}::text AS ${c.name}`,
        );
        const from = new Date(Number(fromUs / 1000n)).toISOString();
        const to = new Date(Number(toUs / 1000n)).toISOString();
        const { rows } = await admin.query<Record<string, string | null>>(
          `SELECT ${select.join(", ")} FROM public.flows WHERE ts >= $1 AND ts < $2 ORDER BY ts`,
          [from, to],
        );
        const icebergRows: Row[] = rows.map((r) => {
          const out: Row = {};
          for (const c of FLOW_COLUMNS) {
            const v = r[c.name] ?? null;
            out[c.name] =
              v === null
                ? null
                : c.icebergType === "binary"
                  ? encodeAddress(v)
                  : c.icebergType === "long" || c.icebergType === "timestamptz"
                    ? BigInt(v)
                    : c.icebergType === "boolean"
                      ? v === "true"
                      : Number(v);
          }
          return out;
        });
        const table = await loadTable(ctx, TABLE_ID);
        const files =
          icebergRows.length === 0 ? [] : await writeDataFiles(ctx, table, [rowsToBatch(FLOWS_SCHEMA, icebergRows)]);
        return {
          rows: rows.length,
          async commit() {
            const client = await admin.connect();
            try {
              await client.query("BEGIN");
              const txCatalog = new SqlCatalog({ name: "netflow", query: pgQuery(client) });
              if (files.length > 0) await fastAppend({ catalog: txCatalog, store: ctx.store }, TABLE_ID, files);
              await dropRange(client, from, to);
              await client.query("COMMIT");
            } catch (error) {
              await client.query("ROLLBACK");
              throw error;
            } finally {
              client.release();
            }
          },
          async commitInSteps() {
            if (files.length > 0) await fastAppend(ctx, TABLE_ID, files);
            await dropRange(admin, from, to);
          },
        };
      },
      async reference(sql, timeZone, params) {
        const client = await admin.connect();
        try {
          await client.query("BEGIN");
          await client.query(
            "SELECT set_config('search_path', 'ref_all, public', true), set_config('TimeZone', $1, true), set_config('DateStyle', 'ISO, MDY', true)",
            [timeZone],
          );
          const result = await client.query({
            text: sql,
            values: params === undefined ? [] : [...params],
            rowMode: "array",
            types: { getTypeParser: () => (v: string) => v },
          });
          await client.query("COMMIT");
          return result;
        } catch (error) {
          await client.query("ROLLBACK");
          throw error;
        } finally {
          client.release();
        }
      },
      async stop() {
        await admin.end();
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
    return fixture;
  } catch (error) {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

async function dropRange(client: pg.Pool | pg.PoolClient, from: string, to: string): Promise<void> {
  await client.query("SELECT drop_chunks('flows', older_than => $2::timestamptz, newer_than => $1::timestamptz)", [
    from,
    to,
  ]);
  await client.query("DELETE FROM public.flows WHERE ts >= $1 AND ts < $2", [from, to]);
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing case reproduces. */
export function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const EXPORTERS = ["192.0.2.1", "192.0.2.2", "2001:db8:ffff::e1"];

/**
 * `perDay` random flows per UTC day from `firstDayUs` for `days` days, plus
 * rows exactly on each day (chunk) boundary and one microsecond... one
 * millisecond before it; IPv4 and IPv6, NULLs in the nullable columns.
 */
export function flowDataset(firstDayUs: bigint, days: number, perDay: number, seed: number): FlowRow[] {
  const random = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const rows: FlowRow[] = [];
  const row = (tsUs: bigint, k: number): FlowRow => {
    const v6 = random() < 0.3;
    const src = v6 ? `2001:db8:${(k % 5) + 1}::${(k % 40) + 1}` : `10.${k % 3}.${(k * 7) % 4}.${(k % 50) + 1}`;
    const dst = v6 ? `2001:db8:aa::${(k % 9) + 1}` : pick(["192.168.1.10", "192.168.1.20", "172.16.0.5", "8.8.8.8"]);
    const proto = pick(["6", "6", "17", null, "1"]);
    return {
      ts: new Date(Number(tsUs / 1000n)).toISOString(),
      ts_end: random() < 0.15 ? null : new Date(Number(tsUs / 1000n) + Math.floor(random() * 60_000)).toISOString(),
      exporter: pick(EXPORTERS),
      in_if: random() < 0.1 ? null : String(1 + Math.floor(random() * 4)),
      out_if: String(1 + Math.floor(random() * 4)),
      src_addr: random() < 0.05 ? null : src,
      dst_addr: dst,
      src_port: proto === "1" || random() < 0.05 ? null : String(1024 + Math.floor(random() * 60000)),
      dst_port: proto === "1" ? null : pick(["443", "80", "53", "22", "8080"]),
      proto,
      tos: "0",
      tcp_flags: proto === "6" ? String(Math.floor(random() * 64)) : null,
      packets: String(1 + Math.floor(random() * 1000)),
      bytes: String(40 + Math.floor(random() * 1_500_000)),
      src_as: random() < 0.2 ? null : String(64500 + Math.floor(random() * 10)),
      dst_as: String(64500 + Math.floor(random() * 10)),
      sampling_rate: pick(["1", "1", "100"]),
      ts_clamped: "false",
    };
  };
  let k = 0;
  for (let d = 0; d < days; d++) {
    const start = firstDayUs + BigInt(d) * DAY_US;
    // On the chunk boundary itself (three exporters) and the last millisecond before it.
    for (let i = 0; i < 3; i++) rows.push({ ...row(start, k++), exporter: EXPORTERS[i] ?? "192.0.2.1" });
    rows.push(row(start + DAY_US - 1000n, k++));
    for (let i = 0; i < perDay; i++) {
      const offset = BigInt(Math.floor(random() * 86_400_000)) * 1000n;
      rows.push(row(start + offset, k++));
    }
  }
  return rows;
}
