/**
 * The read side of the Iceberg REST catalog OpenAPI
 * (https://github.com/apache/iceberg/blob/main/open-api/rest-catalog-open-api.yaml)
 * as a Hono app, so PyIceberg (`type=rest`), DuckDB and Spark open the
 * archive. Mounted under /iceberg of the gateway's HTTP server; bearer tokens
 * are the HTTP API's. LoadTable passes the stored metadata JSON through
 * byte for byte (64-bit snapshot ids survive) and vends the read-only S3 key.
 * Writes answer 405 with an Iceberg ErrorModel.
 */
import { timingSafeEqual } from "node:crypto";
import type { ObjectStore } from "@netflow/iceberg";
import { type Context, Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Logger } from "pino";
import type { CatalogReader } from "./catalog-reader.ts";
import type { RestCatalogConfig } from "./config.ts";

const READ_ENDPOINTS = [
  "GET /v1/{prefix}/namespaces",
  "GET /v1/{prefix}/namespaces/{namespace}",
  "HEAD /v1/{prefix}/namespaces/{namespace}",
  "GET /v1/{prefix}/namespaces/{namespace}/tables",
  "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}",
  "HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}",
];

type Reader = Pick<CatalogReader, "namespaces" | "namespace" | "tables" | "table">;

function errorModel(c: Context, status: ContentfulStatusCode, type: string, message: string): Response {
  return c.json({ error: { message, type, code: status } }, status);
}

/** Multi-level namespaces travel as one path segment joined by the unit separator (0x1F). */
function namespaceOf(segment: string): string[] {
  return segment.split("\u001f");
}

/**
 * The gateway's HTTP server: the catalog under /iceberg (with its own auth
 * answers in ErrorModel form) in front of the HTTP API.
 */
export function withRestCatalog(api: Hono, catalog: Hono): Hono {
  const root = new Hono();
  root.route("/iceberg", catalog);
  root.route("/", api);
  return root;
}

export function createRestCatalogApp(
  reader: Reader,
  store: Pick<ObjectStore, "get">,
  config: RestCatalogConfig,
  options: { readonly log?: Logger } = {},
): Hono {
  const app = new Hono();
  const tokens = config.tokens.map((t) => Buffer.from(t));

  app.onError((error, c) => {
    options.log?.error({ err: error, path: c.req.path }, "rest catalog request failed");
    return errorModel(c, 500, "InternalServerError", "internal error");
  });
  app.notFound((c) => errorModel(c, 404, "NotFoundException", `no such endpoint: ${c.req.method} ${c.req.path}`));

  app.use("*", async (c, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "");
    const given = Buffer.from(match?.[1] ?? "");
    if (match === null || !tokens.some((t) => t.length === given.length && timingSafeEqual(t, given))) {
      c.header("WWW-Authenticate", 'Bearer realm="netflow-iceberg"');
      return errorModel(c, 401, "NotAuthorizedException", "send Authorization: Bearer <token>");
    }
    // The catalog is read-only: every write endpoint of the spec answers the same way.
    if (!["GET", "HEAD"].includes(c.req.method)) {
      c.header("Allow", "GET, HEAD");
      return errorModel(c, 405, "NotSupportedException", "this catalog is read-only: the archiver is the only writer");
    }
    await next();
  });

  app.get("/v1/config", (c) => c.json({ defaults: {}, overrides: {}, endpoints: READ_ENDPOINTS }));

  app.get("/v1/namespaces", async (c) => {
    const parent = c.req.query("parent");
    const all = await reader.namespaces();
    const prefix = parent === undefined ? [] : namespaceOf(parent);
    const children = new Map<string, string[]>();
    for (const ns of all) {
      if (ns.length <= prefix.length || !prefix.every((p, i) => ns[i] === p)) continue;
      const child = ns.slice(0, prefix.length + 1);
      children.set(child.join("\u001f"), child);
    }
    return c.json({ namespaces: [...children.values()] });
  });

  app.get("/v1/namespaces/:ns", async (c) => {
    const ns = namespaceOf(c.req.param("ns"));
    const properties = await reader.namespace(ns);
    if (properties === undefined)
      return errorModel(c, 404, "NoSuchNamespaceException", `namespace does not exist: ${ns.join(".")}`);
    return c.json({ namespace: ns, properties });
  });

  app.get("/v1/namespaces/:ns/tables", async (c) => {
    const ns = namespaceOf(c.req.param("ns"));
    if ((await reader.namespace(ns)) === undefined) {
      return errorModel(c, 404, "NoSuchNamespaceException", `namespace does not exist: ${ns.join(".")}`);
    }
    const tables = await reader.tables(ns);
    return c.json({ identifiers: tables.map((t) => ({ namespace: ns, name: t.name })) });
  });

  app.get("/v1/namespaces/:ns/tables/:table", async (c) => {
    const ns = namespaceOf(c.req.param("ns"));
    const name = c.req.param("table");
    const table = await reader.table(ns, name);
    if (table?.metadataLocation == null) {
      return errorModel(c, 404, "NoSuchTableException", `table does not exist: ${[...ns, name].join(".")}`);
    }
    // Hono answers HEAD with the GET route; HEAD only says whether the table exists.
    if (c.req.method === "HEAD") return c.body(null, 204);
    const metadata = Buffer.from(await store.get(table.metadataLocation)).toString("utf8");
    const vended = config.vendedS3;
    const tableConfig: Record<string, string> =
      vended === undefined || !/^s3a?:/.test(table.metadataLocation)
        ? {}
        : {
            "s3.access-key-id": vended.accessKeyId,
            "s3.secret-access-key": vended.secretAccessKey,
            "s3.region": vended.region,
            "s3.path-style-access": String(vended.pathStyle),
            ...(vended.endpoint === undefined ? {} : { "s3.endpoint": vended.endpoint }),
          };
    // The metadata text is spliced in unparsed: JSON.parse would round 64-bit snapshot ids.
    const body = `{"metadata-location":${JSON.stringify(table.metadataLocation)},"metadata":${metadata.trim()},"config":${JSON.stringify(tableConfig)}}`;
    return c.body(body, 200, { "Content-Type": "application/json" });
  });

  return app;
}
