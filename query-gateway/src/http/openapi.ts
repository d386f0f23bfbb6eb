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
  files: { type: "object", properties: { scanned: { type: "integer" }, pruned: { type: "integer" } } },
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
            description:
              "The result. JSON carries the metadata inline; CSV and Arrow carry it in X-Gateway-Route, X-Gateway-Strategy, X-Gateway-Files-Scanned, X-Gateway-Files-Pruned and Server-Timing headers.",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  properties: {
                    columns: {
                      type: "array",
                      items: { type: "object", properties: { name: { type: "string" }, type: { type: "string" } } },
                    },
                    rows: { type: "array", items: { type: "array" } },
                    rowCount: { type: "integer" },
                    ...info,
                    timingsMs: {
                      type: "object",
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
