/**
 * The query gateway's one error type. Everything the gateway refuses or fails
 * on is a GatewayError: the HTTP layer maps it to a status and
 * `{error, detail, position?}`, the Postgres wire layer to an ErrorResponse with
 * the same SQLSTATE. Messages are written for the client; they never carry
 * stack traces, file paths or credentials.
 */

/** What went wrong, coarsely; the SQLSTATE carries the precise class. */
export type GatewayErrorKind =
  /** The SQL text does not parse (SQLSTATE 42601). */
  | "syntax"
  /** The statement parses but the gateway's lockdown refuses it. */
  | "refused";

/** SQLSTATE codes the gateway answers with (Postgres appendix A). */
export const SQLSTATE = {
  syntaxError: "42601",
  insufficientPrivilege: "42501",
  featureNotSupported: "0A000",
  readOnlySqlTransaction: "25006",
  invalidParameterValue: "22023",
} as const;

export type SqlState = (typeof SQLSTATE)[keyof typeof SQLSTATE];

export interface GatewayErrorOptions {
  /** 1-based character position in the SQL text, as Postgres reports it. */
  readonly position?: number;
  /** A longer explanation or hint for the client. */
  readonly detail?: string;
  /** Whether the same request may succeed if retried; false unless stated. */
  readonly retryable?: boolean;
}

export class GatewayError extends Error {
  readonly kind: GatewayErrorKind;
  readonly code: SqlState;
  readonly position: number | undefined;
  readonly detail: string | undefined;
  /** Refusals and syntax errors fail the same way every time, so they are never retryable. */
  readonly retryable: boolean;

  constructor(kind: GatewayErrorKind, code: SqlState, message: string, options: GatewayErrorOptions = {}) {
    super(message);
    this.name = "GatewayError";
    this.kind = kind;
    this.code = code;
    this.position = options.position;
    this.detail = options.detail;
    this.retryable = options.retryable ?? false;
  }
}
