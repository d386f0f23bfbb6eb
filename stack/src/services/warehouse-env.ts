import type { S3Credentials } from "../config.ts";

/** An S3 endpoint with the identity a child process signs its requests with. */
export interface S3Access {
  endpoint: string;
  region: string;
  credentials: S3Credentials;
}

/**
 * The environment variables that point a child at the warehouse: WAREHOUSE,
 * and for an s3:// one the endpoint and identity. For a file:// warehouse the
 * S3 variables are removed, so a developer's own S3_* settings cannot leak in.
 */
export function warehouseEnv(warehouse: string, s3: S3Access | undefined): NodeJS.ProcessEnv {
  return {
    WAREHOUSE: warehouse,
    S3_ENDPOINT: s3?.endpoint,
    S3_REGION: s3?.region,
    S3_ACCESS_KEY_ID: s3?.credentials.accessKeyId,
    S3_SECRET_ACCESS_KEY: s3?.credentials.secretAccessKey,
  };
}
