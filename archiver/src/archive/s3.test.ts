// The archive job on a real S3 object store (SeaweedFS): while the store is
// unreachable the job fails as retryable and the chunk stays hot; once it is
// up, every chunk is archived, and hot ∪ cold (DuckDB over the downloaded
// files, PyIceberg over S3) still holds every row exactly once.
import { backfill } from "@netflow/generator";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../iceberg/src/testing/free-port.ts";
import { type SeaweedServer, startSeaweed } from "../../../iceberg/src/testing/seaweed.ts";
import { toArchiverError } from "../errors.ts";
import { archiveLog, listHotChunks } from "../hot/chunks.ts";
import { addChecksum, coldChecksumDuckdb, coldChecksumPyIceberg, hotChecksum } from "../testing/checksums.ts";
import { startTestEnv, type TestEnv } from "../testing/env.ts";
import { objectStoreFor, pgQuery, tableContext } from "../warehouse/warehouse.ts";
import { type ArchiveDeps, archiveChunk } from "./job.ts";

const DAY = 86_400_000;
let env: TestEnv;
let seaweed: SeaweedServer | undefined;

function s3Deps(endpoint: string, accessKeyId: string, secretAccessKey: string): ArchiveDeps {
  const config = {
    ...env.config,
    warehouse: "s3://warehouse/netflow-test",
    s3: { endpoint, region: "us-east-1", accessKeyId, secretAccessKey },
  };
  return {
    ...env.deps,
    config,
    ctx: tableContext(objectStoreFor(config), pgQuery(env.pool)),
    log: pino({ level: "silent" }),
  };
}

beforeAll(async () => {
  env = await startTestEnv();
  const today = Math.floor(Date.now() / DAY) * DAY;
  await backfill({
    pgUrl: env.superUrl,
    fromMs: today - 5 * DAY,
    toMs: today,
    flowsPerDay: 1500,
    seed: 21,
    batchRows: 10_000,
  });
}, 240_000);

afterAll(async () => {
  await seaweed?.stop();
  await env?.stop();
});

describe("archive to S3 (SeaweedFS)", () => {
  it("object store down: the job fails as retryable and the chunk stays hot", async () => {
    const before = await hotChecksum(env.su);
    const deps = s3Deps(`http://127.0.0.1:${await freePort()}`, "netflow-test", "netflow-test-secret");
    const chunk = (await listHotChunks(env.pool))[0]!;
    const err = await archiveChunk(deps, chunk.chunkId).then(
      () => undefined,
      (e: unknown) => toArchiverError(e),
    );
    expect(err?.retryable).toBe(true);
    expect((await listHotChunks(env.pool)).some((c) => c.chunkId === chunk.chunkId)).toBe(true);
    expect(await archiveLog(env.su)).toEqual([]);
    expect(await hotChecksum(env.su)).toEqual(before);
  }, 120_000);

  it("once the store is up, the chunks are archived and no row is lost or duplicated", async () => {
    const before = await hotChecksum(env.su);
    seaweed = await startSeaweed({ buckets: ["warehouse"] });
    const deps = s3Deps(seaweed.endpoint, seaweed.accessKeyId, seaweed.secretAccessKey);
    const old = (await listHotChunks(env.pool)).filter((c) => c.rangeEnd.getTime() <= Date.now() - 2 * DAY);
    expect(old.length).toBeGreaterThanOrEqual(3);
    for (const c of old) expect((await archiveChunk(deps, c.chunkId)).outcome).toBe("archived");
    const cold = await coldChecksumDuckdb(deps.ctx);
    expect(cold.files.every((f) => f.startsWith("s3://warehouse/netflow-test/netflow/flows/data/"))).toBe(true);
    expect(addChecksum(await hotChecksum(env.su), cold.checksum)).toEqual(before);
    const py = await coldChecksumPyIceberg(env.superUrl, {
      endpoint: seaweed.endpoint,
      access_key: seaweed.accessKeyId,
      secret_key: seaweed.secretAccessKey,
    });
    expect(py.checksum).toEqual(cold.checksum);
    expect((await archiveLog(env.su)).map((l) => l.chunkId)).toEqual(old.map((c) => c.chunkId));
  }, 180_000);
});
