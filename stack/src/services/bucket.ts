import { setTimeout as sleep } from "node:timers/promises";
import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import type { Logger } from "pino";
import type { S3Credentials } from "../config.ts";
import { StackError } from "../errors.ts";
import type { EndpointLine, Health, Service } from "../service.ts";

export interface BucketTarget {
  endpoint: string;
  region: string;
  bucket: string;
  credentials: S3Credentials;
  /** `S3_ENDPOINT` for an external store, so errors name the variable to fix. */
  variable: string | undefined;
}

/**
 * Path-style (SeaweedFS and MinIO serve buckets under the path) and checksums
 * only when an operation requires them: newer SDKs add CRC32 trailers by
 * default, which S3-compatible stores do not all accept.
 */
export function s3Client(target: Pick<BucketTarget, "endpoint" | "region" | "credentials">): S3Client {
  return new S3Client({
    endpoint: target.endpoint,
    region: target.region,
    credentials: target.credentials,
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

const status = (error: unknown): number | undefined =>
  error instanceof S3ServiceException ? error.$metadata.httpStatusCode : undefined;

/** HEAD answers have no body, so the SDK names their errors "UnknownError": say what the status means. */
function describe(error: unknown): string {
  if (error === undefined) return "no answer before the timeout";
  const code = status(error);
  const name = (error as Error).name;
  const what = name !== "UnknownError" && name !== "Unknown" ? `${name}: ${(error as Error).message}` : `HTTP ${code}`;
  if (code === 403 || code === 401)
    return `${what} (access denied: check S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY and their rights on the bucket)`;
  return code === undefined ? `${name}: ${(error as Error).message}` : what;
}

/**
 * The warehouse bucket, created when missing. Also the object store's
 * reachability check: it runs against the local SeaweedFS or an external S3
 * alike, retrying while a just-started gateway is not ready for writes yet.
 */
export class Bucket implements Service {
  readonly name = "bucket";
  readonly target: BucketTarget;
  readonly #log: Logger;
  readonly #timeoutMs: number;

  constructor(target: BucketTarget, log: Logger, timeoutMs = 30_000) {
    this.target = target;
    this.#log = log.child({ service: this.name });
    this.#timeoutMs = timeoutMs;
  }

  async start(): Promise<void> {
    const client = s3Client(this.target);
    const deadline = Date.now() + this.#timeoutMs;
    let lastError: unknown;
    try {
      while (Date.now() < deadline) {
        try {
          if (!(await this.#exists(client))) {
            await client.send(new CreateBucketCommand({ Bucket: this.target.bucket }));
            this.#log.info({ bucket: this.target.bucket }, "bucket created");
          }
          if (this.target.variable === undefined) await this.#roundTrip(client);
          return;
        } catch (error) {
          lastError = error;
          const code = status(error);
          // 4xx other than 404 are answers, not startup hiccups: wrong keys, no permission.
          if (code !== undefined && code >= 400 && code < 500 && code !== 404) break;
          await sleep(250);
        }
      }
    } finally {
      client.destroy();
    }
    const where = this.target.variable ?? "the local object store";
    const code = status(lastError);
    throw new StackError(
      code === undefined ? "unreachable" : "config",
      `${where}: cannot use bucket "${this.target.bucket}" at ${this.target.endpoint}: ${describe(lastError)}`,
      { variable: this.target.variable, retryable: code === undefined, cause: lastError },
    );
  }

  /**
   * Writes and reads back a marker object. A just-restarted SeaweedFS answers
   * bucket requests before its volume server has registered, and then fails
   * object reads with HTTP 500 for a moment; the services after this one
   * (archiver, gateway) read objects at once. Only for the local store: an
   * external bucket is the user's.
   */
  async #roundTrip(client: S3Client): Promise<void> {
    const marker = { Bucket: this.target.bucket, Key: ".netflow-stack/ready" };
    const body = new Date().toISOString();
    await client.send(new PutObjectCommand({ ...marker, Body: body }));
    const got = await client.send(new GetObjectCommand(marker));
    if ((await got.Body?.transformToString()) !== body) throw new Error("the marker object read back differs");
  }

  async #exists(client: S3Client): Promise<boolean> {
    try {
      await client.send(new HeadBucketCommand({ Bucket: this.target.bucket }));
      return true;
    } catch (error) {
      if (status(error) === 404) return false;
      throw error;
    }
  }

  async stop(): Promise<void> {}

  endpoints(): EndpointLine[] {
    const lines: EndpointLine[] = [
      { service: this.name, label: "bucket", value: `s3://${this.target.bucket} (region ${this.target.region})` },
    ];
    if (this.target.variable !== undefined) {
      lines.unshift({ service: this.name, label: "s3 endpoint (external, S3_ENDPOINT)", value: this.target.endpoint });
    }
    return lines;
  }

  async check(): Promise<Health> {
    const client = s3Client(this.target);
    try {
      const exists = await this.#exists(client);
      return {
        service: this.name,
        ok: exists,
        detail: exists ? `s3://${this.target.bucket} exists` : "bucket missing",
      };
    } catch (error) {
      return { service: this.name, ok: false, detail: `${(error as Error).name}: ${(error as Error).message}` };
    } finally {
      client.destroy();
    }
  }
}
