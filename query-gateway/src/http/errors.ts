/**
 * The HTTP face of the gateway's errors: status code and `{error, detail,
 * position?, code, kind}`. Refusals and query errors speak about the
 * client's SQL; anything unexpected becomes a bare 500 with no internals.
 */
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { QueryError } from "../engine/errors.ts";
import { GatewayError, SQLSTATE } from "../errors.ts";

export interface ErrorBody {
  readonly error: string;
  readonly detail?: string;
  readonly position?: number;
  /** SQLSTATE, as the Postgres wire path would answer. */
  readonly code: string;
  readonly kind: string;
  readonly retryable: boolean;
}

export interface HttpError {
  readonly status: ContentfulStatusCode;
  readonly body: ErrorBody;
}

export function httpError(error: unknown): HttpError {
  if (error instanceof GatewayError) {
    const status: ContentfulStatusCode =
      error.code === SQLSTATE.insufficientPrivilege || error.code === SQLSTATE.readOnlySqlTransaction ? 403 : 400;
    return { status, body: body(error.message, error.detail, error.position, error.code, error.kind, false) };
  }
  if (error instanceof QueryError) {
    const status = STATUS[error.kind];
    const message = error.kind === "internal" ? "internal error" : error.message;
    const detail = error.kind === "internal" ? undefined : error.detail;
    return { status, body: body(message, detail, error.position, error.sqlState, error.kind, error.retryable) };
  }
  return { status: 500, body: body("internal error", undefined, undefined, "XX000", "internal", false) };
}

const STATUS: Record<QueryError["kind"], ContentfulStatusCode> = {
  query: 400,
  unsupported: 400,
  limit: 422,
  timeout: 504,
  busy: 503,
  unavailable: 503,
  internal: 500,
};

function body(
  error: string,
  detail: string | undefined,
  position: number | undefined,
  code: string,
  kind: string,
  retryable: boolean,
): ErrorBody {
  return {
    error,
    ...(detail === undefined ? {} : { detail }),
    ...(position === undefined ? {} : { position }),
    code,
    kind,
    retryable,
  };
}
