/**
 * The one error type of the Iceberg library boundary. Every failure the library
 * raises on purpose is an `IcebergError` with a `kind` a caller can switch on and
 * a `retryable` flag: only a catalog compare-and-swap conflict and transient
 * object-store failures are retryable; corrupt or missing metadata is not.
 */
export type IcebergErrorKind =
  /** A metadata JSON, manifest list or manifest could not be parsed or is invalid. */
  | "corrupt-metadata"
  /** A file referenced by metadata does not exist in the object store. */
  | "missing-file"
  /** Table metadata declares a format version this library does not implement. */
  | "unsupported-format-version"
  /** A schema is invalid (duplicate field ids, unknown types, ...). */
  | "invalid-schema"
  /** A partition spec, sort order or transform is invalid for its source type. */
  | "invalid-spec"
  /** Rows handed to the writer do not match the table schema. */
  | "invalid-data"
  /** The catalog pointer moved since the commit's base was read (optimistic concurrency). */
  | "commit-conflict"
  /** The table or namespace does not exist / already exists. */
  | "no-such-table"
  | "table-exists"
  | "no-such-namespace"
  /** An operation's preconditions on the current metadata failed (e.g. unknown snapshot). */
  | "invalid-operation"
  /** The object store failed (network, permission, throttling). */
  | "io"
  /** The catalog database failed. */
  | "catalog"
  /** The table uses a feature the reader cannot read correctly (deletion vectors, v3 types, ...); named in the message. */
  | "unsupported-feature"
  /** A setting is invalid or asks for something not installed (e.g. the native Parquet encoder). */
  | "invalid-config";

export class IcebergError extends Error {
  readonly kind: IcebergErrorKind;
  readonly retryable: boolean;
  /** The file (metadata JSON, manifest, data file) the problem is about, when there is one. */
  readonly file: string | undefined;

  constructor(
    kind: IcebergErrorKind,
    message: string,
    options: { retryable?: boolean; file?: string; cause?: unknown } = {},
  ) {
    super(options.file === undefined ? message : `${message} (file: ${options.file})`, { cause: options.cause });
    this.name = "IcebergError";
    this.kind = kind;
    this.retryable = options.retryable ?? false;
    this.file = options.file;
  }
}

export function isIcebergError(e: unknown, kind?: IcebergErrorKind): e is IcebergError {
  return e instanceof IcebergError && (kind === undefined || e.kind === kind);
}
