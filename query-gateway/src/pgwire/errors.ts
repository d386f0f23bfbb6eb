/**
 * The wire boundary's one error shape: whatever fails becomes an ErrorResponse
 * with a real SQLSTATE. Gateway refusals and query errors keep their code,
 * message and position; errors of the hot database (catalog queries) pass
 * through with theirs; anything else is a bare "internal error".
 */
import { QueryError } from "../engine/errors.ts";
import { GatewayError } from "../errors.ts";
import type { ErrorFields } from "./messages.ts";

export class WireError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly extra: { readonly detail?: string; readonly hint?: string; readonly position?: number } = {},
  ) {
    super(message);
    this.name = "WireError";
  }
}

interface PgDatabaseError {
  readonly code: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
  readonly position?: string;
}

function isPgError(e: unknown): e is PgDatabaseError {
  if (!(e instanceof Error)) return false;
  const fields = e as unknown as { code?: unknown; severity?: unknown };
  return typeof fields.code === "string" && /^[0-9A-Z]{5}$/.test(fields.code) && fields.severity !== undefined;
}

export function errorFields(error: unknown): ErrorFields {
  const base = { severity: "ERROR" as const };
  const opt = (detail?: string, hint?: string, position?: number) => ({
    ...(detail === undefined ? {} : { detail }),
    ...(hint === undefined ? {} : { hint }),
    ...(position === undefined ? {} : { position }),
  });
  if (error instanceof WireError) {
    return {
      ...base,
      code: error.code,
      message: error.message,
      ...opt(error.extra.detail, error.extra.hint, error.extra.position),
    };
  }
  if (error instanceof GatewayError) {
    return { ...base, code: error.code, message: error.message, ...opt(error.detail, undefined, error.position) };
  }
  if (error instanceof QueryError) {
    if (error.kind === "internal") return { ...base, code: error.sqlState, message: "internal error" };
    return { ...base, code: error.sqlState, message: error.message, ...opt(error.detail, undefined, error.position) };
  }
  if (isPgError(error)) {
    const position = error.position === undefined ? undefined : Number(error.position);
    return { ...base, code: error.code, message: error.message, ...opt(error.detail, error.hint, position) };
  }
  return { ...base, code: "XX000", message: "internal error" };
}
