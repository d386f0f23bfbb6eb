/** Errors at the collector boundary: a kind for callers and a retryable flag. */
export type CollectorErrorKind =
  | "bad-config"
  | "port-in-use"
  | "missing-binary"
  | "db-unreachable"
  | "db-auth"
  | "db-not-migrated"
  | "daemon-failed";

export class CollectorError extends Error {
  readonly kind: CollectorErrorKind;
  readonly retryable: boolean;

  constructor(kind: CollectorErrorKind, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "CollectorError";
    this.kind = kind;
    this.retryable = options.retryable ?? false;
  }
}
