/**
 * The HTTP API (Hono). Handlers only translate: request → Gateway call →
 * response; errors → status + `{error, detail, position?}` (errors.ts). Every
 * route but /healthz needs a bearer token from GATEWAY_TOKENS.
 */
import { timingSafeEqual } from "node:crypto";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Logger } from "pino";
import type { RowBatch } from "../engine/engine.ts";
import { QueryError } from "../engine/errors.ts";
import type { Gateway, QueryInfo, QueryRequest } from "../gateway.ts";
import type { QueryStream } from "../query-stream.ts";
import { httpError } from "./errors.ts";
import { ArrowEncoder, CsvEncoder, JsonEncoder, type ResultFormat } from "./format.ts";
import { OPENAPI_DOCUMENT } from "./openapi.ts";

export interface AppOptions {
  readonly tokens: readonly string[];
  /** Largest request body accepted. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  readonly log?: Logger;
}

type GatewayApi = Pick<Gateway, "stream" | "explain" | "tiers" | "healthy" | "metricsText">;

export function createApp(gateway: GatewayApi, options: AppOptions): Hono {
  const app = new Hono();
  const tokens = options.tokens.map((t) => Buffer.from(t));

  app.onError((error, c) => {
    const { status, body } = httpError(error);
    if (status >= 500) options.log?.error({ err: error, path: c.req.path }, "request failed");
    if (status === 503) c.header("Retry-After", "1");
    return c.json(body, status);
  });
  app.notFound((c) => c.json({ error: "not found", code: "42704", kind: "refused", retryable: false }, 404));

  app.get("/healthz", async (c) => {
    const ok = await gateway.healthy();
    return c.json({ status: ok ? "ok" : "hot database unreachable" }, ok ? 200 : 503);
  });

  app.use("*", async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const given = Buffer.from(match?.[1] ?? "");
    const ok = match !== null && tokens.some((t) => t.length === given.length && timingSafeEqual(t, given));
    if (!ok) {
      c.header("WWW-Authenticate", 'Bearer realm="netflow-gateway"');
      return c.json(
        {
          error: "unauthorized",
          detail: "send Authorization: Bearer <token>",
          code: "28000",
          kind: "refused",
          retryable: false,
        },
        401,
      );
    }
    await next();
  });
  app.use(
    "/api/*",
    bodyLimit({
      maxSize: options.maxBodyBytes ?? 1024 * 1024,
      onError: (c) => c.json(invalid("request body too large"), 413),
    }),
  );

  app.get("/api/openapi.json", (c) => c.json(OPENAPI_DOCUMENT));

  app.get("/metrics", (c) => {
    c.header("Content-Type", "text/plain; version=0.0.4");
    return c.body(gateway.metricsText());
  });

  app.post("/api/query", async (c) => {
    const parsed = parseRequest(await readJson(c.req.raw));
    if ("error" in parsed) return c.json(parsed, 400);
    // The gateway stops the query when the client goes away (aborted request or cancelled body).
    const abort = new AbortController();
    const stream = await gateway.stream({ ...parsed.request, signal: abort.signal });
    const { info } = stream;
    const atFirstBatch = stream.timings();
    c.header(
      "Server-Timing",
      `hot;dur=${atFirstBatch.hot}, cold;dur=${atFirstBatch.cold}, total;dur=${atFirstBatch.total}`,
    );
    c.header("X-Gateway-Route", info.route);
    c.header("X-Gateway-Strategy", info.strategy);
    c.header("X-Gateway-Files-Scanned", String(info.filesScanned));
    c.header("X-Gateway-Files-Pruned", String(info.filesPruned));
    c.header("X-Gateway-Hot-Chunks", String(info.hotChunks));
    if (info.snapshotId !== null) c.header("X-Gateway-Snapshot-Id", info.snapshotId);
    // Known up front only when the whole result came with the first read.
    if (stream.fullyBuffered) c.header("X-Gateway-Row-Count", String(stream.rowCountAhead));
    const encoder = encoderFor(parsed.format, stream, info);
    c.header("Content-Type", encoder.contentType);
    let started = false;
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            if (!started) {
              started = true;
              const head = encoder.start();
              if (head.length > 0) controller.enqueue(head);
            }
            const batch = await stream.next();
            if (batch === null) {
              const tail = encoder.end(null);
              if (tail !== null && tail.length > 0) controller.enqueue(tail);
              controller.close();
            } else {
              controller.enqueue(encoder.batch(batch));
            }
          } catch (error) {
            // JSON ends with an error trailer; CSV and Arrow have no place for one, so the
            // response is cut off (no final chunk): clients see a failed transfer, never a short result.
            const tail = encoder.end(error);
            if (tail === null) controller.error(error);
            else {
              controller.enqueue(tail);
              controller.close();
            }
            if (!(error instanceof QueryError) || error.kind === "internal") {
              options.log?.error({ err: error }, "query failed while streaming");
            }
          }
        },
        async cancel() {
          abort.abort();
          await stream.cancel();
        },
      },
      // One batch ahead at most: the engine waits while the client reads.
      { highWaterMark: 1 },
    );
    return c.body(body);
  });

  app.post("/api/explain", async (c) => {
    const parsed = parseRequest(await readJson(c.req.raw));
    if ("error" in parsed) return c.json(parsed, 400);
    const explained = await gateway.explain(parsed.request);
    return c.json({ ...describe(explained.info), sql: explained.sql });
  });

  app.get("/api/tiers", async (c) => {
    const state = await gateway.tiers();
    const partitions = new Map<string, { partition: string; files: number; records: number; bytes: number }>();
    for (const f of state.coldFiles) {
      const p = partitions.get(f.partitionLabel) ?? { partition: f.partitionLabel, files: 0, records: 0, bytes: 0 };
      p.files++;
      p.records += f.recordCount ?? 0;
      p.bytes += f.sizeBytes;
      partitions.set(f.partitionLabel, p);
    }
    let watermark: bigint | null = null;
    for (const f of state.coldFiles) {
      if (f.upper !== null && (watermark === null || f.upper > watermark)) watermark = f.upper;
    }
    return c.json({
      hot: {
        chunks: state.hotChunks.map((h) => ({
          name: h.name,
          start: iso(h.rangeStart),
          end: iso(h.rangeEnd),
          compressed: h.compressed,
        })),
      },
      cold: {
        snapshotId: state.cold?.snapshotId ?? null,
        files: state.coldFiles.length,
        records: state.coldFiles.reduce((s, f) => s + (f.recordCount ?? 0), 0),
        bytes: state.coldFiles.reduce((s, f) => s + f.sizeBytes, 0),
        partitions: [...partitions.values()].sort((a, b) => a.partition.localeCompare(b.partition)),
      },
      /** The newest archived flow time: cold data reaches up to here. */
      watermark: watermark === null ? null : iso(watermark),
    });
  });

  return app;
}

interface Encoder {
  readonly contentType: string;
  start(): Uint8Array;
  batch(rows: RowBatch): Uint8Array;
  /** The end of the body; `failure` set when the stream failed (null: no way to say it in-band). */
  end(failure: unknown): Uint8Array | null;
}

function encoderFor(format: ResultFormat, stream: QueryStream, info: QueryInfo): Encoder {
  if (format === "csv") {
    const csv = new CsvEncoder(stream.columns);
    return {
      contentType: "text/csv; charset=utf-8",
      start: () => csv.start(),
      batch: (rows) => csv.batch(rows),
      end: (failure) => (failure === null ? new Uint8Array(0) : null),
    };
  }
  if (format === "arrow") {
    const arrow = new ArrowEncoder(stream.columns);
    return {
      contentType: "application/vnd.apache.arrow.stream",
      start: () => new Uint8Array(0),
      batch: (rows) => arrow.batch(rows),
      end: (failure) => (failure === null ? arrow.end() : null),
    };
  }
  const json = new JsonEncoder({ columns: stream.columns, ...describe(info) });
  return {
    contentType: "application/json; charset=utf-8",
    start: () => json.start(),
    batch: (rows) => json.batch(rows),
    end: (failure) =>
      json.end({
        rowCount: stream.rowCount,
        complete: failure === null,
        ...(failure === null ? {} : { error: httpError(failure).body }),
        timingsMs: stream.timings(),
      }),
  };
}

function describe(info: QueryInfo) {
  return {
    route: info.route,
    strategy: info.strategy,
    engines: info.engines,
    tiers: { hotChunks: info.hotChunks, snapshotId: info.snapshotId },
    files: { scanned: info.filesScanned, pruned: info.filesPruned, prunedByAddress: info.filesPrunedByAddress },
    hotRowsMoved: info.hotRowsMoved,
  };
}

function iso(us: bigint): string {
  return new Date(Number(us / 1000n)).toISOString();
}

async function readJson(request: Request): Promise<unknown> {
  try {
    return await request.json();
  } catch {
    return undefined;
  }
}

function invalid(detail: string) {
  return { error: "invalid request", detail, code: "08P01", kind: "refused", retryable: false };
}

type Parsed = { request: QueryRequest; format: ResultFormat } | ReturnType<typeof invalid>;

function parseRequest(body: unknown): Parsed {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return invalid("the body must be a JSON object");
  const b = body as Record<string, unknown>;
  if (typeof b.sql !== "string" || b.sql.trim() === "") return invalid("sql must be a non-empty string");
  const format = b.format ?? "json";
  if (format !== "json" && format !== "csv" && format !== "arrow") return invalid("format must be json, csv or arrow");
  if (b.timeZone !== undefined && typeof b.timeZone !== "string") return invalid("timeZone must be a string");
  let params: (string | null)[] | undefined;
  if (b.params !== undefined) {
    if (!Array.isArray(b.params)) return invalid("params must be an array");
    params = [];
    for (const p of b.params) {
      if (p === null) params.push(null);
      else if (typeof p === "string" || typeof p === "number" || typeof p === "boolean") params.push(String(p));
      else return invalid("params may hold strings, numbers, booleans and null only");
    }
  }
  return {
    request: {
      sql: b.sql,
      ...(params === undefined ? {} : { params }),
      ...(typeof b.timeZone === "string" ? { timeZone: b.timeZone } : {}),
    },
    format,
  };
}
