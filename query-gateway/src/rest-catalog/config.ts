/**
 * Configuration of the Iceberg REST catalog. Every option says its default.
 */
import { ConfigError } from "../config.ts";

/** The read-only S3 key handed to catalog clients (never the archiver's). */
export interface VendedS3 {
  /** S3_READONLY_ACCESS_KEY_ID. */
  readonly accessKeyId: string;
  /** S3_READONLY_SECRET_ACCESS_KEY. */
  readonly secretAccessKey: string;
  /** S3_ENDPOINT as clients reach it. Default: none (AWS). */
  readonly endpoint?: string;
  /** S3_REGION. Default "us-east-1". */
  readonly region: string;
  /** S3_PATH_STYLE: path-style URLs (MinIO, SeaweedFS). Default true. */
  readonly pathStyle: boolean;
}

export interface RestCatalogConfig {
  /** Iceberg SQL-catalog name (`catalog_name` column) served. Default "netflow". */
  readonly catalogName: string;
  /** Bearer tokens accepted (GATEWAY_TOKENS, shared with the HTTP API). Empty refuses everything. */
  readonly tokens: readonly string[];
  /** Credentials vended with LoadTable; none when unset (clients bring their own). */
  readonly vendedS3?: VendedS3;
}

export function restCatalogConfigFromEnv(
  env: NodeJS.ProcessEnv,
  base: { readonly catalogName: string; readonly tokens: readonly string[] },
): RestCatalogConfig {
  const id = env.S3_READONLY_ACCESS_KEY_ID ?? "";
  const secret = env.S3_READONLY_SECRET_ACCESS_KEY ?? "";
  if ((id === "") !== (secret === "")) {
    throw new ConfigError("set both S3_READONLY_ACCESS_KEY_ID and S3_READONLY_SECRET_ACCESS_KEY, or neither");
  }
  if (id !== "" && id === env.ARCHIVER_S3_ACCESS_KEY_ID) {
    throw new ConfigError("S3_READONLY_ACCESS_KEY_ID must not be the archiver's key");
  }
  return {
    catalogName: base.catalogName,
    tokens: base.tokens,
    ...(id === ""
      ? {}
      : {
          vendedS3: {
            accessKeyId: id,
            secretAccessKey: secret,
            ...(env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT } : {}),
            region: env.S3_REGION ?? "us-east-1",
            pathStyle: (env.S3_PATH_STYLE ?? "true") !== "false",
          },
        }),
  };
}
