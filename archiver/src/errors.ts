/**
 * The archiver's one error type. `retryable` decides whether a job is retried
 * with backoff or marked unrecoverable (BullMQ UnrecoverableError).
 */
export type ArchiverErrorKind =
  /** Configuration is missing or invalid. */
  | "config"
  /** Rows changed in the chunk between export and commit (late flows); retry re-exports. */
  | "chunk-changed"
  /** Another commit moved the catalog pointer more often than the commit retries allow. */
  | "commit-conflict"
  /** The written files do not read back as the chunk's rows. A bug: never retried blindly. */
  | "verify-mismatch"
  /** The hot tier and the Iceberg table disagree on the schema. Permanent until someone migrates. */
  | "schema-mismatch"
  /** The object store failed (down, throttled). */
  | "object-store"
  /** The hot database failed (connection lost, restart). */
  | "database";

export class ArchiverError extends Error {
  readonly kind: ArchiverErrorKind;
  readonly retryable: boolean;

  constructor(kind: ArchiverErrorKind, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = "ArchiverError";
    this.kind = kind;
    this.retryable = options.retryable;
  }
}

/** Classifies an unknown failure: database and object-store transport errors are worth a retry. */
export function toArchiverError(e: unknown): ArchiverError {
  if (e instanceof ArchiverError) return e;
  const err = e as { name?: string; kind?: string; retryable?: boolean; code?: string; message?: string };
  const message = err.message ?? String(e);
  if (err.name === "IcebergError") {
    if (err.kind === "io") return new ArchiverError("object-store", message, { retryable: true, cause: e });
    if (err.kind === "commit-conflict")
      return new ArchiverError("commit-conflict", message, { retryable: true, cause: e });
    if (err.kind === "invalid-schema" || err.kind === "invalid-data")
      return new ArchiverError("schema-mismatch", message, { retryable: false, cause: e });
    return new ArchiverError("object-store", message, { retryable: err.retryable ?? false, cause: e });
  }
  // Postgres SQLSTATEs: connection (08), operator intervention/restart (57), lock/serialization (40, 55P03).
  const code = err.code ?? "";
  if (/^(08|57|40|53)/.test(code) || code === "55P03" || /ECONNREFUSED|ECONNRESET|EPIPE|terminated/i.test(message))
    return new ArchiverError("database", message, { retryable: true, cause: e });
  if (code !== "") return new ArchiverError("database", message, { retryable: false, cause: e });
  return new ArchiverError("database", message, { retryable: true, cause: e });
}
