// Consistency under motion (architecture invariant 4): an archive commit (catalog CAS + chunk
// drop in one transaction, as the archiver does it) is started at the gateway's fault point
// inside the consistent cut — after the catalog pointer and chunk list are read, before the
// hot part runs. Spanning queries must still count every flow exactly once, and the archive
// must only land after the cut (it waits for the cut's locks / the embedded engine's
// per-transaction serialization, never the other way round).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatewayConfig } from "./config.ts";
import { QueryError } from "./engine/errors.ts";
import { Gateway } from "./gateway.ts";
import { DAY_US, flowDataset, startTierFixture, type TierFixture } from "./tiers/fixture.ts";
import { startTcpRelay } from "./tiers/tcp-relay.ts";

const FIRST_DAY = BigInt(Date.parse("2026-03-01T00:00:00Z")) * 1000n;
const TOTALS = "SELECT count(*) AS n, sum(bytes) AS b FROM flows";

let fixture: TierFixture;
let gateway: Gateway;
let cacheDir: string;
let insideCut: (() => Promise<void>) | undefined;

beforeAll(async () => {
  fixture = await startTierFixture();
  await fixture.insert(flowDataset(FIRST_DAY, 4, 150, 21));
  cacheDir = mkdtempSync(join(tmpdir(), "gateway-motion-"));
  // A tier-cache time no loaded CI machine outlasts between two queries: the cached-state paths must run.
  const config = gatewayConfig({
    pgUrl: fixture.readerUrl,
    warehouse: fixture.warehouse,
    cacheDir,
    tierCacheMs: 60_000,
  });
  gateway = new Gateway(config, {
    faults: {
      insideCut: async () => {
        const hook = insideCut;
        insideCut = undefined;
        await hook?.();
      },
    },
  });
  await gateway.start();
}, 180_000);

afterAll(async () => {
  await gateway?.stop();
  await fixture?.stop();
  if (cacheDir !== undefined) rmSync(cacheDir, { recursive: true, force: true });
});

async function expected(): Promise<unknown[]> {
  const r = await fixture.reference(TOTALS, "UTC");
  return (r.rows[0] ?? []).map(Number);
}

describe("archive commits during spanning queries", () => {
  it("every query counts each flow once, whatever the archive does meanwhile", async () => {
    const total = await expected();
    for (let d = 0; d < 3; d++) {
      const start = FIRST_DAY + BigInt(d) * DAY_US;
      // Export first; only the commit (catalog CAS + chunk drop) races the query.
      const prepared = await fixture.prepareArchive(start, start + DAY_US);
      expect(prepared.rows).toBeGreaterThan(100);
      let archive: Promise<void> | undefined;
      let archivedAt = 0;
      let hookEnd = 0;
      insideCut = async () => {
        archive = prepared.commit().then(() => {
          archivedAt = performance.now();
        });
        // Give the archive every chance to commit inside our cut if it could.
        await new Promise((resolve) => setTimeout(resolve, 300));
        hookEnd = performance.now();
      };
      const during = await gateway.query({ sql: TOTALS });
      expect(during.result.rows[0], `day ${d}, during`).toEqual(total);
      await archive;
      // The archive could not commit while the cut was open.
      expect(archivedAt).toBeGreaterThan(hookEnd);

      const after = await gateway.query({ sql: TOTALS });
      expect(after.result.rows[0], `day ${d}, after`).toEqual(total);
      expect(after.info.route).toBe("both");
      expect(after.info.filesScanned).toBe(d + 1);
    }
  }, 120_000);

  it("a hot-only query routed from the cached tier state sees an archive that moved its range", async () => {
    const sql = "SELECT count(*) AS n, sum(bytes) AS b FROM flows WHERE ts >= '2026-03-04'";
    const reference = async () => ((await fixture.reference(sql, "UTC")).rows[0] ?? []).map(Number);
    const total = await reference();
    const before = await gateway.query({ sql });
    expect(before.info.route).toBe("hot");
    expect(before.result.rows[0]).toEqual(total);
    // Within the tier-cache time: the next query opens its hot cursor in the first round trip,
    // and only the catalog pointer read beside it can tell that the rows went cold.
    const start = FIRST_DAY + 3n * DAY_US;
    expect(await fixture.archive(start, start + DAY_US, true)).toBeGreaterThan(100);
    const after = await gateway.query({ sql });
    expect(after.info.route).toBe("cold");
    expect(after.result.rows[0]).toEqual(total);
  }, 60_000);

  it("a cold part started from the cached tier state is kept only when the cut plans the same query", async () => {
    const sql = "SELECT count(*) AS n, sum(bytes) AS b FROM flows WHERE ts >= '2026-03-01' AND ts < '2026-03-03'";
    const reference = async () => ((await fixture.reference(sql, "UTC")).rows[0] ?? []).map(Number);
    const counts = () => gateway.metrics.speculationCounts();
    const first = await gateway.query({ sql });
    expect(first.info.route).toBe("cold");
    const base = counts();
    const again = await gateway.query({ sql });
    expect(again.result.rows[0]).toEqual(await reference());
    expect(counts()).toEqual({ used: base.used + 1, discarded: base.discarded });

    // A late flow lands in an archived day: a hot chunk inside the cold range, which the cached
    // state does not know. The cut's chunk list routes the query to both tiers.
    const late = (ts: string) => ({
      ts,
      exporter: "192.0.2.1",
      packets: "1",
      bytes: "1000",
      sampling_rate: "1",
      ts_clamped: "false",
    });
    await fixture.insert([late("2026-03-02T12:00:00Z")]);
    const spanning = await gateway.query({ sql });
    expect(spanning.info.route).toBe("both");
    expect(spanning.result.rows[0]).toEqual(await reference());
    expect(counts()).toEqual({ used: base.used + 1, discarded: base.discarded + 1 });

    // Archived, the late chunk makes a new snapshot; the query is cold again and caches that state.
    const day1 = FIRST_DAY + DAY_US;
    expect(await fixture.archive(day1, day1 + DAY_US, true)).toBe(1);
    const cold = await gateway.query({ sql });
    expect(cold.info.route).toBe("cold");
    expect(cold.result.rows[0]).toEqual(await reference());
    // Another late flow, archived before the next query: the cached state routes it to the cold
    // tier, but the cut's pointer names one more file for the range.
    await fixture.insert([late("2026-03-02T13:00:00Z")]);
    expect(await fixture.archive(day1, day1 + DAY_US, true)).toBe(1);
    const before = counts();
    const moved = await gateway.query({ sql });
    expect(moved.info.route).toBe("cold");
    expect(moved.info.filesScanned).toBe(cold.info.filesScanned + 1);
    expect(moved.result.rows[0]).toEqual(await reference());
    expect(counts()).toEqual({ used: before.used, discarded: before.discarded + 1 });
  }, 60_000);

  it("a cold query whose cut cannot reach the hot database fails with that, its early cold part closed", async () => {
    const sql = "SELECT count(*) AS n FROM flows WHERE ts >= '2026-03-01' AND ts < '2026-03-02'";
    const relay = await startTcpRelay(fixture.readerUrl);
    const dir = mkdtempSync(join(tmpdir(), "gateway-relay-"));
    const relayed = new Gateway(
      gatewayConfig({
        pgUrl: relay.url,
        warehouse: fixture.warehouse,
        cacheDir: dir,
        tierCacheMs: 60_000,
        pgPoolSize: 1,
      }),
    );
    try {
      await relayed.start();
      const first = await relayed.query({ sql });
      expect(first.info.route).toBe("cold");
      // The cached state routes the next one to the cold tier alone: its cold part starts beside
      // a cut that meets a database gone away.
      relay.cut(true);
      const failure = await relayed.query({ sql }).then(
        () => null,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(QueryError);
      expect((failure as QueryError).kind).toBe("unavailable");
      expect(relayed.metrics.speculationCounts().used).toBe(0);
    } finally {
      await relayed.stop();
      relay.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
