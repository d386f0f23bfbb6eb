/**
 * Failures while EXECUTING an accepted query (GatewayError covers refusing
 * one). Messages are written for the client: engine messages about the
 * client's own SQL pass through, anything internal (paths, connection
 * strings, stack traces) is logged and replaced by a generic message.
 */

export type QueryErrorKind =
  /** The engine rejected the query (unknown column, bad cast, division by zero…). 400. */
  | "query"
  /** The query is valid SQL but this route cannot serve it. 400. */
  | "unsupported"
  /** A configured limit was hit: result rows or hot-slice rows. 413. */
  | "limit"
  /** The query ran past its time limit. 408/504. */
  | "timeout"
  /** Too many queries running and waiting. 503, retryable. */
  | "busy"
  /** A backend (database, object store) is unreachable. 503, retryable. */
  | "unavailable"
  /** A bug or an unexpected failure; the detail is logged, not returned. 500. */
  | "internal";

export interface QueryErrorOptions {
  readonly detail?: string;
  /** 1-based character position in the client's SQL, when the engine reported one. */
  readonly position?: number;
  readonly sqlState?: string;
  readonly retryable?: boolean;
  readonly cause?: unknown;
}

export class QueryError extends Error {
  readonly kind: QueryErrorKind;
  readonly detail: string | undefined;
  readonly position: number | undefined;
  /** SQLSTATE for the Postgres wire path. */
  readonly sqlState: string;
  readonly retryable: boolean;

  constructor(kind: QueryErrorKind, message: string, options: QueryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "QueryError";
    this.kind = kind;
    this.detail = options.detail;
    this.position = options.position;
    this.sqlState = options.sqlState ?? DEFAULT_SQLSTATE[kind];
    this.retryable = options.retryable ?? (kind === "busy" || kind === "unavailable");
  }
}

const DEFAULT_SQLSTATE: Record<QueryErrorKind, string> = {
  query: "42000",
  unsupported: "0A000",
  limit: "54000",
  timeout: "57014",
  busy: "53300",
  unavailable: "08006",
  internal: "XX000",
};
