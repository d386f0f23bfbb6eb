/** What went wrong at the embedded server's boundary (startup, engine, listening socket). */
export type EmbeddedErrorKind = "config" | "data_dir" | "already_running" | "port_in_use" | "listen" | "engine";

/** The one error type of the embedded server. */
export class EmbeddedError extends Error {
  readonly kind: EmbeddedErrorKind;
  readonly retryable: boolean;

  constructor(kind: EmbeddedErrorKind, message: string, options?: { retryable?: boolean; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "EmbeddedError";
    this.kind = kind;
    this.retryable = options?.retryable ?? false;
  }
}
