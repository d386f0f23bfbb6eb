/** The OpenAPI 3.1 document served at GET /api/openapi.json. */

const errorSchema = {
  type: "object",
  required: ["error", "code", "kind", "retryable"],
  properties: {
    error: { type: "string", description: "What went wrong, for the client." },
    detail: { type: "string", description: "A longer explanation or hint." },
    position: { type: "integer", description: "1-based character position in the SQL text." },
    code: { type: "string", description: "SQLSTATE, as the Postgres wire protocol would answer." },
    kind: {
      type: "string",
      description: "syntax, refused, query, unsupported, limit, timeout, busy, unavailable, internal.",
    },
    retryable: { type: "boolean" },
  },
} as const;

const queryRequest = {
  type: "object",
  required: ["sql"],
  properties: {
    sql: { type: "string", description: "Exactly one PostgreSQL SELECT (or WITH … SELECT / EXPLAIN) over `flows`." },
    params: {
      type: "array",
      items: { type: ["string", "number", "boolean", "null"] },
      description: "Values of $1, $2, …; sent as text like the Postgres extended protocol.",
    },
    timeZone: { type: "string", default: "UTC", description: "Session TimeZone (IANA name) for both tiers." },
    format: { type: "string", enum: ["json", "csv", "arrow"], default: "json" },
  },
} as const;

const info = {
  route: { type: "string", enum: ["hot", "cold", "both", "none"] },
  strategy: { type: "string", enum: ["hot", "cold", "partial-aggregate", "hot-slice"] },
  engines: { type: "array", items: { type: "string", enum: ["timescale", "duckdb"] } },
  tiers: {
    type: "object",
    properties: { hotChunks: { type: "integer" }, snapshotId: { type: ["string", "null"] } },
  },
  files: {
    type: "object",
    properties: {
      scanned: { type: "integer", description: "Cold data files read." },
      pruned: { type: "integer", description: "Cold data files skipped (time bounds and address bounds)." },
      prunedByAddress: {
        type: "integer",
        description: "Of `pruned`, files whose address-column bounds exclude the query's CIDR/equality predicates.",
      },
    },
  },
  hotRowsMoved: { type: "integer" },
} as const;

const errors = {
  "400": {
    description: "Syntax error, invalid request or query error",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  },
  "401": {
    description: "Missing or wrong bearer token",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  },
  "403": {
    description: "Refused by the lockdown",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  },
  "422": {
    description: "Row limit or hot-slice limit exceeded",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  },
  "503": {
    description: "Too many queries, or a backend is unavailable (retryable)",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  },
  "504": {
    description: "Query timeout",
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  },
} as const;

export const OPENAPI_DOCUMENT = {
  openapi: "3.1.0",
  info: {
    title: "netflow-analyzer query gateway",
    version: "0.1.0",
    description:
      "One PostgreSQL query over the hot (TimescaleDB) and cold (Iceberg/DuckDB) tiers of the flow table, routed by time range.",
  },
  components: {
    securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    schemas: { Error: errorSchema, QueryRequest: queryRequest },
  },
  security: [{ bearer: [] }],
  paths: {
    "/api/query": {
      post: {
        summary: "Run one query",
        requestBody: {
          required: true,
          content: { "application/json": { schema: { $ref: "#/components/schemas/QueryRequest" } } },
        },
        responses: {
          "200": {
            description: [
              "The result, streamed: rows leave as the engines produce them (Postgres cursor batches, DuckDB chunks), one batch ahead at most.",
              "Errors found before the first row (syntax, refusals, most engine errors, a result over the row limit within the first batches) get the error statuses below.",
              "A failure after rows were sent cannot change the status: JSON then ends with `complete: false` and an `error` object (the same shape as an error response);",
              "CSV and Arrow have no place for it, so the transfer is cut off without its final chunk (no Arrow end-of-stream marker), which HTTP clients report as a failed transfer.",
              "A JSON body is complete only with `complete: true`.",
              "Metadata for every format is in headers: X-Gateway-Route, X-Gateway-Strategy, X-Gateway-Files-Scanned, X-Gateway-Files-Pruned, X-Gateway-Hot-Chunks, X-Gateway-Snapshot-Id,",
              "Server-Timing (hot, cold, total up to the first batch), and X-Gateway-Row-Count when the whole result was read before the first byte.",
              "JSON repeats the metadata inline and ends with a trailer (rowCount, complete, error?, timingsMs for the whole query).",
              "A client that stops reading holds the query (its concurrency slot, and for hot results an open transaction) until the query timeout, then the query fails.",
            ].join(" "),
            headers: {
              "X-Gateway-Route": { schema: { type: "string", enum: ["hot", "cold", "both", "none"] } },
              "X-Gateway-Strategy": { schema: { type: "string" } },
              "X-Gateway-Files-Scanned": { schema: { type: "integer" } },
              "X-Gateway-Files-Pruned": { schema: { type: "integer" } },
              "X-Gateway-Hot-Chunks": { schema: { type: "integer" } },
              "X-Gateway-Snapshot-Id": { schema: { type: "string" } },
              "X-Gateway-Row-Count": {
                schema: { type: "integer" },
                description: "Only when the whole result was read before the response started.",
              },
              "Server-Timing": { schema: { type: "string" } },
            },
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["columns", "rows", "rowCount", "complete"],
                  properties: {
                    columns: {
                      type: "array",
                      items: { type: "object", properties: { name: { type: "string" }, type: { type: "string" } } },
                    },
                    ...info,
                    rows: { type: "array", items: { type: "array" } },
                    rowCount: { type: "integer", description: "Rows in `rows` (trailer)." },
                    complete: {
                      type: "boolean",
                      description: "Trailer: true when every row was sent; false when the query failed mid-stream.",
                    },
                    error: {
                      $ref: "#/components/schemas/Error",
                      description: "Trailer, only with complete=false: why the result is incomplete.",
                    },
                    timingsMs: {
                      type: "object",
                      description: "Trailer: the whole query, streaming included.",
                      properties: { hot: { type: "number" }, cold: { type: "number" }, total: { type: "number" } },
                    },
                  },
                },
              },
              "text/csv": { schema: { type: "string" } },
              "application/vnd.apache.arrow.stream": { schema: { type: "string", format: "binary" } },
            },
          },
          ...errors,
        },
      },
    },
    "/api/explain": {
      post: {
        summary: "How a query would run: route, strategy, files, and the SQL each engine would get",
        requestBody: {
          required: true,
          content: { "application/json": { schema: { $ref: "#/components/schemas/QueryRequest" } } },
        },
        responses: {
          "200": {
            description: "The plan",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  properties: {
                    ...info,
                    sql: {
                      type: "object",
                      properties: { hot: { type: "string" }, cold: { type: "string" }, merge: { type: "string" } },
                    },
                  },
                },
              },
            },
          },
          ...errors,
        },
      },
    },
    "/api/tiers": {
      get: {
        summary: "Hot chunks, archived partitions, watermark and snapshot id, read in one consistent cut",
        responses: {
          "200": { description: "Tier state", content: { "application/json": { schema: { type: "object" } } } },
          ...errors,
        },
      },
    },
    "/healthz": {
      get: {
        summary: "Liveness and hot-database reachability (no token needed)",
        security: [],
        responses: { "200": { description: "ok" }, "503": { description: "hot database unreachable" } },
      },
    },
    "/metrics": {
      get: {
        summary: "Prometheus metrics",
        responses: { "200": { description: "text/plain; version=0.0.4" }, "401": errors["401"] },
      },
    },
    "/api/openapi.json": { get: { summary: "This document", responses: { "200": { description: "OpenAPI 3.1" } } } },
  },
} as const;
