// The gateway over an s3:// warehouse (real SeaweedFS): DuckDB cannot reach S3 (no httpfs, external
// access off), so cold files go through the bounded local file cache. Answers are compared with
// TimescaleDB holding all rows; the cache's hits, misses and size limit are checked.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3ObjectStore } from "@netflow/iceberg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type SeaweedServer, startSeaweed } from "../../iceberg/src/testing/seaweed.ts";
import { gatewayConfig } from "./config.ts";
import { fromPgText, pgValueType } from "./engine/values.ts";
import { Gateway } from "./gateway.ts";
import { DAY_US, flowDataset, startTierFixture, type TierFixture } from "./tiers/fixture.ts";

const FIRST_DAY = BigInt(Date.parse("2026-03-01T00:00:00Z")) * 1000n;

let seaweed: SeaweedServer;
let store: S3ObjectStore;
let fixture: TierFixture;
const gateways: Gateway[] = [];
const dirs: string[] = [];

async function startGateway(cacheBytes: number): Promise<Gateway> {
  const cacheDir = mkdtempSync(join(tmpdir(), "gateway-s3-cache-"));
  dirs.push(cacheDir);
  const gateway = new Gateway(
    gatewayConfig({
      pgUrl: fixture.readerUrl,
      warehouse: "s3://lake/wh",
      s3: {
        endpoint: seaweed.endpoint,
        region: seaweed.region,
        accessKeyId: seaweed.accessKeyId,
        secretAccessKey: seaweed.secretAccessKey,
      },
      cacheDir,
      cacheBytes,
    }),
  );
  gateways.push(gateway);
  await gateway.start();
  return gateway;
}

beforeAll(async () => {
  seaweed = await startSeaweed({ buckets: ["lake"] });
  store = new S3ObjectStore({
    endpoint: seaweed.endpoint,
    region: seaweed.region,
    accessKeyId: seaweed.accessKeyId,
    secretAccessKey: seaweed.secretAccessKey,
  });
  fixture = await startTierFixture({ warehouse: { uri: "s3://lake/wh", store } });
  await fixture.insert(flowDataset(FIRST_DAY, 4, 150, 11));
  for (let d = 0; d < 3; d++) {
    const start = FIRST_DAY + BigInt(d) * DAY_US;
    await fixture.archive(start, start + DAY_US);
  }
}, 240_000);

afterAll(async () => {
  for (const g of gateways) await g.stop();
  await fixture?.stop();
  store?.close();
  await seaweed?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function reference(sql: string): Promise<unknown[][]> {
  const r = await fixture.reference(sql, "UTC");
  const types = r.fields.map((f) => pgValueType(f.dataTypeID));
  return r.rows.map((row) => row.map((v, i) => fromPgText(types[i] ?? "unknown", v ?? null)));
}

describe("s3 warehouse through the file cache", () => {
  it("cold and spanning answers equal TimescaleDB's, the second time from the cache", async () => {
    const gateway = await startGateway(64 * 1024 * 1024);
    const queries = [
      "SELECT date_trunc('day', ts) AS day, count(*), sum(bytes) FROM flows GROUP BY 1 ORDER BY 1",
      "SELECT src_addr, sum(bytes) AS b FROM flows WHERE ts < '2026-03-03' AND src_addr << '10.1.0.0/16' GROUP BY 1 ORDER BY b DESC, 1 LIMIT 5",
      "SELECT percentile_disc(0.9) WITHIN GROUP (ORDER BY bytes) FROM flows WHERE ts >= '2026-03-02 12:00' AND ts < '2026-03-04 12:00'",
    ];
    for (const sql of queries) {
      const outcome = await gateway.query({ sql });
      expect(outcome.result.rows, sql).toEqual(await reference(sql));
    }
    const first = gateway.metricsText();
    expect(first).toMatch(/gateway_file_cache_misses 3\n/);
    expect(first).toMatch(/gateway_file_cache_files 3\n/);
    const again = await gateway.query({ sql: queries[0] ?? "" });
    expect(again.result.rows).toEqual(await reference(queries[0] ?? ""));
    expect(gateway.metricsText()).toMatch(/gateway_file_cache_misses 3\n/);
  }, 120_000);

  it("the cache stays within its size limit and refuses a query that needs more", async () => {
    const { rows } = await fixture.admin.query<{ n: string }>("SELECT count(*) AS n FROM iceberg_tables");
    expect(rows[0]?.n).toBe("1");
    const sizes = (await gateway0Files()).sort((a, b) => a - b);
    const largest = sizes[sizes.length - 1] ?? 0;
    // Room for one file (the largest) but not two.
    const gateway = await startGateway(largest + (sizes[0] ?? 0) - 1);
    for (const day of ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-01"]) {
      const sql = `SELECT count(*) FROM flows WHERE ts >= '${day}' AND ts < '${day}'::date + 1`;
      const outcome = await gateway.query({ sql });
      expect(outcome.result.rows).toEqual(await reference(sql));
      const bytes = Number(/gateway_file_cache_bytes (\d+)/.exec(gateway.metricsText())?.[1]);
      expect(bytes).toBeLessThanOrEqual(largest + (sizes[0] ?? 0) - 1);
    }
    // Every file at once exceeds largest + smallest, whatever the files' sizes.
    await expect(gateway.query({ sql: "SELECT count(*) FROM flows WHERE ts < '2026-03-04'" })).rejects.toMatchObject({
      kind: "limit",
    });
  }, 120_000);
});

async function gateway0Files(): Promise<number[]> {
  const objects = await store.list("s3://lake/wh/netflow/flows/data/");
  return objects.filter((o) => o.location.endsWith(".parquet")).map((o) => o.size);
}
