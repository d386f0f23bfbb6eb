import { isAbsolute, join, resolve } from "node:path";
import type { Env } from "./env.ts";
import { configError, nonEmpty, port, url } from "./env-values.ts";

/** The object store (the Iceberg warehouse): an external S3 by URL, a local folder, or the SeaweedFS the launcher runs. */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** SeaweedFS components of `weed mini`; each has an HTTP port and a gRPC port. */
export const SEAWEEDFS_COMPONENTS = ["s3", "master", "volume", "filer", "admin"] as const;
export type SeaweedComponent = (typeof SEAWEEDFS_COMPONENTS)[number];
export type SeaweedPorts = Record<SeaweedComponent, { http: number; grpc: number }>;

/**
 * HTTP port defaults. The filer moves off weed's 8888, which Jupyter takes by
 * default. gRPC ports follow weed's own convention, HTTP port + 10000.
 */
export const SEAWEEDFS_DEFAULT_PORTS: Record<SeaweedComponent, number> = {
  s3: 8333,
  master: 9333,
  volume: 9340,
  filer: 8889,
  admin: 23646,
};

export type ObjectStoreTarget =
  | {
      kind: "s3";
      endpoint: string;
      region: string;
      bucket: string;
      credentials: S3Credentials;
      /** Env S3_READONLY_ACCESS_KEY_ID / S3_READONLY_SECRET_ACCESS_KEY, optional: the gateway's identity when set. */
      readOnlyCredentials?: S3Credentials;
    }
  | {
      kind: "seaweedfs";
      /** `<data dir>/seaweedfs`. */
      dataDir: string;
      host: string;
      ports: SeaweedPorts;
      region: string;
      bucket: string;
      /** Read-write identity (the archiver's). Env S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY, else generated. */
      credentials: S3Credentials;
      /** Read-only identity (catalog clients). Env S3_READONLY_ACCESS_KEY_ID / S3_READONLY_SECRET_ACCESS_KEY, else generated. */
      readOnlyCredentials: S3Credentials;
    }
  | { kind: "file"; path: string };

export function objectStoreFromEnv(
  env: Env,
  repoRoot: string,
  dataDir: string,
  secret: (name: string) => string,
): ObjectStoreTarget {
  const warehouse = url(env, "WAREHOUSE", ["file:"]);
  const endpoint = url(env, "S3_ENDPOINT", ["http:", "https:"]);
  if (warehouse !== undefined) {
    if (endpoint !== undefined) {
      throw configError("WAREHOUSE", "set either WAREHOUSE=file://… (local folder) or S3_ENDPOINT, not both");
    }
    const path = decodeURIComponent(new URL(warehouse).pathname);
    return { kind: "file", path: isAbsolute(path) ? path : resolve(repoRoot, path) };
  }
  const bucket = bucketName(env);
  const region = nonEmpty(env, "S3_REGION") ?? "us-east-1";
  if (endpoint !== undefined) {
    const accessKeyId = nonEmpty(env, "S3_ACCESS_KEY_ID");
    const secretAccessKey = nonEmpty(env, "S3_SECRET_ACCESS_KEY");
    if (accessKeyId === undefined) throw configError("S3_ACCESS_KEY_ID", "is required when S3_ENDPOINT is set");
    if (secretAccessKey === undefined) throw configError("S3_SECRET_ACCESS_KEY", "is required when S3_ENDPOINT is set");
    const target: ObjectStoreTarget = {
      kind: "s3",
      endpoint,
      region,
      bucket,
      credentials: { accessKeyId, secretAccessKey: secret("S3_SECRET_ACCESS_KEY") },
    };
    // Optional here: an external S3's identities are the user's to create.
    const readOnlyId = nonEmpty(env, "S3_READONLY_ACCESS_KEY_ID");
    const readOnlySecret = nonEmpty(env, "S3_READONLY_SECRET_ACCESS_KEY");
    if ((readOnlyId === undefined) !== (readOnlySecret === undefined)) {
      const missing = readOnlyId === undefined ? "S3_READONLY_ACCESS_KEY_ID" : "S3_READONLY_SECRET_ACCESS_KEY";
      throw configError(missing, "is required with the other S3_READONLY_* variable");
    }
    if (readOnlyId !== undefined && readOnlySecret !== undefined) {
      target.readOnlyCredentials = {
        accessKeyId: readOnlyId,
        secretAccessKey: secret("S3_READONLY_SECRET_ACCESS_KEY"),
      };
    }
    return target;
  }
  const ports = {} as SeaweedPorts;
  for (const component of SEAWEEDFS_COMPONENTS) {
    const name = `SEAWEEDFS_${component.toUpperCase()}_PORT`;
    const http = port(env, name, SEAWEEDFS_DEFAULT_PORTS[component]);
    const grpcName = `SEAWEEDFS_${component.toUpperCase()}_GRPC_PORT`;
    if (nonEmpty(env, grpcName) === undefined && http + 10000 > 65535) {
      throw configError(name, `must be at most 55535 unless ${grpcName} is set: the gRPC port defaults to it + 10000`);
    }
    ports[component] = { http, grpc: port(env, grpcName, http + 10000) };
  }
  return {
    kind: "seaweedfs",
    dataDir: join(dataDir, "seaweedfs"),
    host: "127.0.0.1",
    ports,
    region,
    bucket,
    credentials: { accessKeyId: secret("S3_ACCESS_KEY_ID"), secretAccessKey: secret("S3_SECRET_ACCESS_KEY") },
    readOnlyCredentials: {
      accessKeyId: secret("S3_READONLY_ACCESS_KEY_ID"),
      secretAccessKey: secret("S3_READONLY_SECRET_ACCESS_KEY"),
    },
  };
}

/** S3 bucket naming rules (3-63 lowercase letters, digits, dots, hyphens). Env S3_BUCKET. Default `netflow`. */
function bucketName(env: Env): string {
  const bucket = nonEmpty(env, "S3_BUCKET") ?? "netflow";
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw configError("S3_BUCKET", `"${bucket}" is not a valid bucket name (3-63 lowercase letters, digits, '.', '-')`);
  }
  return bucket;
}
