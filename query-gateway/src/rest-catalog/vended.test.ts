// Vended credentials against a real SeaweedFS configured like the local stack: a read-write
// identity (the archiver's) and a read-only one for catalog clients (stack's s3Identities and
// weedArgs). The table lives in s3://; LoadTable must hand out the read-only key, which can
// read the table's files but cannot write to the bucket.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { serve } from "@hono/node-server";
import { S3ObjectStore } from "@netflow/iceberg";
import { freePorts } from "@netflow/iceberg/testing";
import type { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3Identities, weedArgs } from "../../../stack/src/services/seaweedfs.ts";
import { DAY_US, flowDataset, startTierFixture, type TierFixture } from "../tiers/fixture.ts";
import { createRestCatalogApp } from "./app.ts";
import { CatalogReader } from "./catalog-reader.ts";

const FIRST_DAY = BigInt(Date.parse("2026-03-01T00:00:00Z")) * 1000n;
const TOKEN = "vended-test-token";
const BUCKET = "lake";
const RW = { accessKeyId: "archiver-key", secretAccessKey: "archiver-secret" };
const RO = { accessKeyId: "reader-key", secretAccessKey: "reader-secret" };

let weed: ChildProcess | undefined;
let dir: string;
let endpoint: string;
let fixture: TierFixture;
let reader: CatalogReader;
let app: Hono;

function s3(credentials: typeof RW): S3Client {
  return new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gateway-vended-"));
  const p = await freePorts(10);
  const port = (i: number) => p[i] ?? 0;
  const target = {
    kind: "seaweedfs" as const,
    dataDir: dir,
    host: "127.0.0.1",
    ports: {
      s3: { http: port(0), grpc: port(1) },
      master: { http: port(2), grpc: port(3) },
      volume: { http: port(4), grpc: port(5) },
      filer: { http: port(6), grpc: port(7) },
      admin: { http: port(8), grpc: port(9) },
    },
    region: "us-east-1",
    bucket: BUCKET,
    credentials: RW,
    readOnlyCredentials: RO,
  };
  const identities = join(dir, "s3-identities.json");
  writeFileSync(identities, s3Identities(target));
  weed = spawn(process.env.WEED_BIN ?? "weed", weedArgs(target, identities), { cwd: dir, stdio: "ignore" });
  endpoint = `http://127.0.0.1:${port(0)}`;
  const admin = s3(RW);
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await admin.send(new CreateBucketCommand({ Bucket: BUCKET }));
      break;
    } catch (error) {
      if ((error as { name?: string }).name === "BucketAlreadyOwnedByYou") break;
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  admin.destroy();
  const store = new S3ObjectStore({ endpoint, region: "us-east-1", ...RW });
  fixture = await startTierFixture({ warehouse: { uri: `s3://${BUCKET}/wh`, store } });
  await fixture.insert(flowDataset(FIRST_DAY, 2, 50, 9));
  await fixture.archive(FIRST_DAY, FIRST_DAY + DAY_US);
  reader = new CatalogReader({ url: fixture.readerUrl, catalogName: "netflow" });
  await reader.start();
  // The catalog itself reads metadata with the read-only identity too.
  app = createRestCatalogApp(reader, new S3ObjectStore({ endpoint, region: "us-east-1", ...RO }), {
    catalogName: "netflow",
    tokens: [TOKEN],
    vendedS3: { ...RO, endpoint, region: "us-east-1", pathStyle: true },
  });
}, 240_000);

afterAll(async () => {
  await reader?.stop();
  await fixture?.stop();
  if (weed !== undefined && weed.exitCode === null) {
    const gone = new Promise((r) => weed?.once("exit", r));
    weed.kill("SIGTERM");
    const timer = setTimeout(() => weed?.kill("SIGKILL"), 5000);
    await gone;
    clearTimeout(timer);
  }
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe("vended S3 credentials", () => {
  it("are the read-only key: they read the table's files and cannot write", async () => {
    const res = await app.request("/v1/namespaces/netflow/tables/flows", {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { "metadata-location": string; config: Record<string, string> };
    expect(body.config).toEqual({
      "s3.access-key-id": RO.accessKeyId,
      "s3.secret-access-key": RO.secretAccessKey,
      "s3.endpoint": endpoint,
      "s3.region": "us-east-1",
      "s3.path-style-access": "true",
    });
    expect(JSON.stringify(body)).not.toContain(RW.secretAccessKey);
    const vended = s3({
      accessKeyId: body.config["s3.access-key-id"] ?? "",
      secretAccessKey: body.config["s3.secret-access-key"] ?? "",
    });
    try {
      const key = body["metadata-location"].replace(`s3://${BUCKET}/`, "");
      const got = await vended.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(await got.Body?.transformToString()).toContain('"format-version"');
      await expect(
        vended.send(new PutObjectCommand({ Bucket: BUCKET, Key: "wh/netflow/flows/data/evil.parquet", Body: "x" })),
      ).rejects.toMatchObject({ name: "AccessDenied" });
      await expect(vended.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: "{}" }))).rejects.toMatchObject({
        name: "AccessDenied",
      });
      // The archiver's key still writes: the denial is the policy, not a broken server.
      const rw = s3(RW);
      await rw.send(new PutObjectCommand({ Bucket: BUCKET, Key: "probe.txt", Body: "ok" }));
      rw.destroy();
    } finally {
      vended.destroy();
    }
  }, 60_000);

  it("PyIceberg reads the archive with nothing but what the catalog vends, and cannot write", async () => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const script = fileURLToPath(new URL("../../test-py/rest_read.py", import.meta.url));
      const { stdout } = await promisify(execFile)("python3", [script, JSON.stringify({ uri, token: TOKEN })], {
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "" },
      });
      const out = JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as { rows: number; bytes: number; write: string };
      const ref = await fixture.reference("SELECT count(*), sum(bytes) FROM flows WHERE ts < '2026-03-02'", "UTC");
      expect(out.rows).toBe(Number(ref.rows[0]?.[0]));
      expect(out.bytes).toBe(Number(ref.rows[0]?.[1]));
      expect(out.write).not.toBe("accepted");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }, 60_000);

  it("DuckDB (iceberg extension) attaches the catalog and reads the same rows", async () => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      // The S3 settings come from what LoadTable vends, as a client would configure them.
      const res = await app.request("/v1/namespaces/netflow/tables/flows", {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      const vended = ((await res.json()) as { config: Record<string, string> }).config;
      const s3Args = {
        endpoint: vended["s3.endpoint"],
        access_key: vended["s3.access-key-id"],
        secret_key: vended["s3.secret-access-key"],
        region: vended["s3.region"],
      };
      const script = fileURLToPath(new URL("../../test-py/duckdb_rest_read.py", import.meta.url));
      const { stdout } = await promisify(execFile)(
        "python3",
        [script, JSON.stringify({ uri, token: TOKEN, s3: s3Args })],
        {
          env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "" },
        },
      );
      const out = JSON.parse(stdout.trim().split("\n").pop() ?? "{}") as Record<string, unknown>;
      expect(out.version).toBe("1.5.5");
      const ref = await fixture.reference(
        `SELECT count(*), sum(bytes), (extract(epoch FROM min(ts)) * 1e6)::bigint,
                (extract(epoch FROM max(ts)) * 1e6)::bigint FROM flows WHERE ts < '2026-03-02'`,
        "UTC",
      );
      const [n, bytes, lo, hi] = ref.rows[0] ?? [];
      expect(out).toMatchObject({ rows: Number(n), bytes: Number(bytes), min_ts: Number(lo), max_ts: Number(hi) });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }, 90_000);
});
