/** Errors at the hot-store boundary: a kind for callers and a retryable flag. */
export type HotStoreErrorKind =
  | "unreachable"
  | "no-timescaledb"
  | "edited-migration"
  | "migration-failed"
  | "bad-config"
  | "auth";

export class HotStoreError extends Error {
  readonly kind: HotStoreErrorKind;
  readonly retryable: boolean;

  constructor(kind: HotStoreErrorKind, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = "HotStoreError";
    this.kind = kind;
    this.retryable = options.retryable ?? false;
  }
}
