/**
 * ObjectStore on S3-compatible storage (AWS, MinIO, SeaweedFS) via
 * @aws-sdk/client-s3. Path-style addressing and any endpoint. The SDK's
 * default CRC checksums (since 3.729) are turned down to "when required",
 * because MinIO and SeaweedFS versions in the wild reject or mis-handle the
 * streaming trailer checksums. Bodies larger than `multipartThresholdBytes`
 * are uploaded in parts while they stream in, so memory stays at one part.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { IcebergError } from "../errors.ts";
import { type ObjectInfo, type ObjectStore, type PutBody, toChunks } from "./object-store.ts";

export interface S3StoreConfig {
  /** Endpoint URL, e.g. http://127.0.0.1:8333. Default: the AWS endpoint of `region`. */
  readonly endpoint?: string;
  /** Region. Default "us-east-1". */
  readonly region?: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Path-style addressing (bucket in the path). Default true: MinIO and SeaweedFS need it. */
  readonly forcePathStyle?: boolean;
  /** Bodies up to this size use one PutObject. Default 16 MiB. */
  readonly multipartThresholdBytes?: number;
  /** Part size for multipart uploads (S3 minimum 5 MiB except the last part). Default 8 MiB. */
  readonly partSizeBytes?: number;
}

export class S3ObjectStore implements ObjectStore {
  private readonly client: S3Client;
  private readonly threshold: number;
  private readonly partSize: number;

  constructor(config: S3StoreConfig) {
    this.client = new S3Client({
      ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      region: config.region ?? "us-east-1",
      credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey },
      forcePathStyle: config.forcePathStyle ?? true,
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
    this.partSize = config.partSizeBytes ?? 8 * 1024 * 1024;
    this.threshold = Math.max(config.multipartThresholdBytes ?? 16 * 1024 * 1024, this.partSize);
    if (this.partSize < 5 * 1024 * 1024) throw new IcebergError("io", "partSizeBytes must be at least 5 MiB");
  }

  /** Releases the HTTP agent. */
  close(): void {
    this.client.destroy();
  }

  private parse(location: string): { bucket: string; key: string } {
    const m = /^s3a?:\/\/([^/]+)\/?(.*)$/.exec(location);
    if (!m) throw new IcebergError("io", `S3ObjectStore cannot handle location ${location}`, { file: location });
    return { bucket: m[1]!, key: m[2]! };
  }

  private fail(e: unknown, location: string): never {
    const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
    const status = err.$metadata?.httpStatusCode;
    if (err.name === "NoSuchKey" || err.name === "NotFound" || status === 404)
      throw new IcebergError("missing-file", "object does not exist", { file: location, cause: e });
    const retryable = status === undefined || status >= 500 || status === 429;
    throw new IcebergError("io", `s3 error ${err.name ?? "unknown"}${status ? ` (${status})` : ""}`, {
      file: location,
      cause: e,
      retryable,
    });
  }

  async get(location: string): Promise<Uint8Array> {
    const { bucket, key } = this.parse(location);
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!r.Body) return new Uint8Array(0);
      return await r.Body.transformToByteArray();
    } catch (e) {
      return this.fail(e, location);
    }
  }

  async getRange(location: string, offset: number, length: number): Promise<Uint8Array> {
    if (length <= 0) return new Uint8Array(0);
    const { bucket, key } = this.parse(location);
    try {
      const r = await this.client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${offset}-${offset + length - 1}` }),
      );
      if (!r.Body) return new Uint8Array(0);
      return await r.Body.transformToByteArray();
    } catch (e) {
      // A range starting past the end is answered 416; treat it as "nothing there".
      if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416)
        return new Uint8Array(0);
      return this.fail(e, location);
    }
  }

  async put(location: string, body: PutBody): Promise<{ size: number }> {
    const { bucket, key } = this.parse(location);
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let size = 0;
    let uploadId: string | undefined;
    const parts: { ETag: string; PartNumber: number }[] = [];
    const flushPart = async (): Promise<void> => {
      const data = concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      if (uploadId === undefined) {
        const r = await this.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
        if (!r.UploadId) throw new IcebergError("io", "multipart upload got no upload id", { file: location });
        uploadId = r.UploadId;
      }
      const PartNumber = parts.length + 1;
      const r = await this.client.send(
        new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber, Body: data }),
      );
      parts.push({ ETag: r.ETag ?? "", PartNumber });
    };
    try {
      for await (const chunk of toChunks(body)) {
        size += chunk.byteLength;
        pending.push(chunk);
        pendingBytes += chunk.byteLength;
        // Only start a multipart upload once the body is known to exceed the threshold.
        if (pendingBytes >= this.threshold || (uploadId !== undefined && pendingBytes >= this.partSize)) {
          while (pendingBytes >= this.partSize) {
            const all = concat(pending, pendingBytes);
            pending = [all.subarray(0, this.partSize)];
            const rest = all.subarray(this.partSize);
            pendingBytes = this.partSize;
            await flushPart();
            pending = rest.byteLength > 0 ? [rest] : [];
            pendingBytes = rest.byteLength;
          }
        }
      }
      if (uploadId === undefined) {
        await this.client.send(
          new PutObjectCommand({ Bucket: bucket, Key: key, Body: concat(pending, pendingBytes), ContentLength: size }),
        );
        return { size };
      }
      if (pendingBytes > 0) await flushPart();
      await this.client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
      return { size };
    } catch (e) {
      if (uploadId !== undefined) {
        await this.client
          .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
          .catch(() => undefined);
      }
      if (e instanceof IcebergError) throw e;
      return this.fail(e, location);
    }
  }

  async head(location: string): Promise<ObjectInfo | undefined> {
    const { bucket, key } = this.parse(location);
    try {
      const r = await this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return { location, size: r.ContentLength ?? 0, lastModifiedMs: r.LastModified?.getTime() ?? 0 };
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 404 || (e as { name?: string }).name === "NotFound") return undefined;
      return this.fail(e, location);
    }
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    const { bucket, key } = this.parse(prefix);
    const out: ObjectInfo[] = [];
    let token: string | undefined;
    try {
      do {
        const r = await this.client.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: key, ContinuationToken: token }),
        );
        for (const o of r.Contents ?? []) {
          if (o.Key === undefined) continue;
          out.push({
            location: `s3://${bucket}/${o.Key}`,
            size: o.Size ?? 0,
            lastModifiedMs: o.LastModified?.getTime() ?? 0,
          });
        }
        token = r.IsTruncated ? r.NextContinuationToken : undefined;
      } while (token);
    } catch (e) {
      return this.fail(e, prefix);
    }
    return out.sort((a, b) => (a.location < b.location ? -1 : 1));
  }

  async delete(location: string): Promise<void> {
    const { bucket, key } = this.parse(location);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (e) {
      this.fail(e, location);
    }
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out;
}
