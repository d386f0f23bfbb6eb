/** The `iceberg` CLI commands: inspect, scan, register. Each writes to `out` and throws on failure. */
import pg from "pg";
import type { TableIdentifier } from "../catalog/catalog.ts";
import { pgQuery, SqlCatalog } from "../catalog/sql-catalog.ts";
import { IcebergError } from "../errors.ts";
import { type JsonValue, stringifyJson } from "../json/exact-json.ts";
import { parseMapping } from "../read/location.ts";
import { findMetadataFile, type OpenOptions, openTable, RoutingStore, s3FromEnv } from "../read/open.ts";
import { planRead } from "../read/plan.ts";
import { type Predicate, parsePredicate, toFilter } from "../read/predicate.ts";
import { rowToJson } from "../read/render.ts";
import { rowsOfPlan } from "../read/rows.ts";
import { typeToJson } from "../spec/schema-json.ts";
import { transformToString } from "../spec/transforms.ts";
import { lastCommittedMetadata } from "../table/register.ts";
import { bigintOption, one, type ParsedArgs, UsageError } from "./args.ts";

export type Out = (line: string) => void;

function typeText(t: Parameters<typeof typeToJson>[0]): string {
  const j = typeToJson(t);
  return typeof j === "string" ? j : stringifyJson(j);
}

function identifier(text: string): TableIdentifier {
  const parts = text.split(".");
  if (parts.length < 2 || parts.some((p) => p === ""))
    throw new UsageError(`catalog table must be namespace.name, got ${JSON.stringify(text)}`);
  return { namespace: parts.slice(0, -1), name: parts.at(-1)! };
}

async function withCatalog<T>(p: ParsedArgs, fn: (c: SqlCatalog) => Promise<T>): Promise<T> {
  const url = one(p, "pg-url") ?? process.env.PG_URL;
  if (!url) throw new UsageError("--pg-url (or PG_URL) is required");
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  pool.on("error", () => undefined);
  try {
    const catalog = new SqlCatalog({ name: one(p, "catalog-name") ?? "netflow", query: pgQuery(pool) });
    return await fn(catalog);
  } finally {
    await pool.end();
  }
}

function openOptions(p: ParsedArgs): OpenOptions {
  const root = one(p, "table-root");
  return {
    mapLocations: (p.options.get("map-location") ?? []).map((m) => {
      try {
        return parseMapping(m);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }),
    ...(root !== undefined ? { tableRoot: root } : {}),
  };
}

/** The location argument: a path/URI, or a catalog table when --pg-url is given. */
async function locate(p: ParsedArgs): Promise<string> {
  const loc = p.positionals[0];
  if (loc === undefined || p.positionals.length > 1) throw new UsageError("expected exactly one <location>");
  if (one(p, "pg-url") === undefined) return loc;
  return await withCatalog(p, (c) => c.loadTable(identifier(loc)));
}

export async function inspect(p: ParsedArgs, out: Out): Promise<void> {
  const t = await openTable(await locate(p), openOptions(p));
  try {
    const snapshotId = bigintOption(p, "snapshot");
    const plan = await planRead(t, snapshotId === undefined ? {} : { snapshotId });
    const m = t.metadata;
    const schema = plan.schema;
    const pos = plan.deleteFiles.filter((d) => d.deleteFile.content === 1).length;
    const eq = plan.deleteFiles.length - pos;
    const records = plan.tasks.reduce((s, x) => s + x.dataFile.recordCount, 0);
    const info = {
      "metadata-location": t.metadataLocation,
      "format-version": t.formatVersion,
      "table-uuid": m.tableUuid,
      location: m.location,
      schema: {
        "schema-id": schema.schemaId,
        fields: schema.fields.map((f) => ({ id: f.id, name: f.name, type: typeText(f.type), required: f.required })),
      },
      "partition-specs": m.partitionSpecs.map((s) => ({
        "spec-id": s.specId,
        default: s.specId === m.defaultSpecId,
        fields: s.fields.map((f) => ({
          name: f.name,
          transform: transformToString(f.transform),
          "source-id": f.sourceId,
          "field-id": f.fieldId,
        })),
      })),
      "current-snapshot-id": m.currentSnapshotId ?? null,
      snapshots: m.snapshots.map((s) => ({
        "snapshot-id": s.snapshotId,
        "parent-snapshot-id": s.parentSnapshotId ?? null,
        "sequence-number": s.sequenceNumber,
        timestamp: new Date(s.timestampMs).toISOString(),
        operation: s.summary.operation,
        "total-records": s.summary["total-records"] ?? null,
      })),
      files: {
        "snapshot-id": plan.snapshot?.snapshotId ?? null,
        "data-files": plan.tasks.length,
        "position-delete-files": pos,
        "equality-delete-files": eq,
        "data-file-records": records,
      },
      properties: { ...m.properties },
    } satisfies { [k: string]: JsonValue };
    if (one(p, "json") !== undefined) {
      out(stringifyJson(info, 2));
      return;
    }
    out(`table      ${m.location}`);
    out(`metadata   ${t.metadataLocation} (format v${t.formatVersion}, uuid ${m.tableUuid})`);
    out(`schema ${schema.schemaId}:`);
    for (const f of schema.fields) out(`  ${f.id}  ${f.name}  ${typeText(f.type)}${f.required ? " required" : ""}`);
    for (const s of info["partition-specs"]) {
      const fields = s.fields.map((f) => `${f.transform}(${f["source-id"]}) as ${f.name} [${f["field-id"]}]`);
      out(`partition spec ${s["spec-id"]}${s.default ? " (default)" : ""}: ${fields.join(", ") || "unpartitioned"}`);
    }
    out(`snapshots (${m.snapshots.length}):`);
    for (const s of m.snapshots) {
      const cur = s.snapshotId === m.currentSnapshotId ? " (current)" : "";
      out(
        `  ${s.snapshotId}  seq ${s.sequenceNumber}  ${new Date(s.timestampMs).toISOString()}  ${s.summary.operation}  total-records ${s.summary["total-records"] ?? "?"}${cur}`,
      );
    }
    const f = info.files;
    out(
      `files at snapshot ${f["snapshot-id"] ?? "none"}: ${f["data-files"]} data, ${pos} position-delete, ${eq} equality-delete (${records} records in data files)`,
    );
  } finally {
    t.store.close();
  }
}

function csvField(v: JsonValue): string {
  if (v === null) return "";
  const s = typeof v === "object" ? stringifyJson(v) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function scan(p: ParsedArgs, out: Out): Promise<void> {
  const format = one(p, "format") ?? "jsonl";
  if (format !== "jsonl" && format !== "csv") throw new UsageError("--format must be jsonl or csv");
  const limitText = one(p, "limit");
  if (limitText !== undefined && !/^\d+$/.test(limitText)) throw new UsageError("--limit must be a whole number");
  const t = await openTable(await locate(p), openOptions(p));
  try {
    const snapshotId = bigintOption(p, "snapshot");
    const snapshotSchema = one(p, "snapshot-schema") !== undefined;
    // The filter is parsed against the schema the rows will have (a usage error when it does not fit).
    const schemaPlan = await planRead(t, { ...(snapshotId !== undefined ? { snapshotId } : {}), snapshotSchema });
    const filterText = one(p, "filter");
    let where: Predicate | undefined;
    if (filterText !== undefined) {
      try {
        where = parsePredicate(filterText, schemaPlan.schema);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
    }
    const plan = where
      ? await planRead(t, {
          ...(snapshotId !== undefined ? { snapshotId } : {}),
          snapshotSchema,
          filter: toFilter(where),
        })
      : schemaPlan;
    const schema = plan.schema;
    if (format === "csv") out(schema.fields.map((f) => csvField(f.name)).join(","));
    for await (const row of rowsOfPlan(t, plan, {
      ...(where ? { where } : {}),
      ...(limitText !== undefined ? { limit: Number(limitText) } : {}),
    })) {
      const j = rowToJson(schema, row);
      out(format === "jsonl" ? stringifyJson(j) : schema.fields.map((f) => csvField(j[f.name] ?? null)).join(","));
    }
  } finally {
    t.store.close();
  }
}

export async function register(p: ParsedArgs, out: Out): Promise<void> {
  const [tableText, location] = p.positionals;
  if (tableText === undefined || location === undefined || p.positionals.length !== 2)
    throw new UsageError("expected <catalog-table> <metadata-location>");
  const id = identifier(tableText);
  const store = new RoutingStore(() => s3FromEnv());
  try {
    await withCatalog(p, async (catalog) => {
      // A table folder: the newest commit marker (written only after a successful swap), else the newest metadata file.
      let metadataLocation = location;
      if (!location.endsWith(".metadata.json")) {
        try {
          metadataLocation = await lastCommittedMetadata({ catalog, store }, location);
        } catch (e) {
          if (!(e instanceof IcebergError && e.kind === "missing-file")) throw e;
          metadataLocation = await findMetadataFile(store, location);
        }
      }
      // Validate before registering: it must exist and parse (format v1 or v2).
      await openTable(metadataLocation, { s3Store: store });
      if (!(await catalog.namespaceExists(id.namespace))) await catalog.createNamespace(id.namespace);
      let previous: string | undefined;
      try {
        previous = await catalog.loadTable(id);
      } catch (e) {
        if (!(e instanceof IcebergError && e.kind === "no-such-table")) throw e;
      }
      if (previous === undefined) await catalog.createTable(id, metadataLocation);
      else if (one(p, "force") !== undefined) await catalog.commitTable(id, previous, metadataLocation);
      else
        throw new IcebergError(
          "table-exists",
          `table ${tableText} is registered (at ${previous}); pass --force to point it at ${metadataLocation}`,
        );
      out(
        stringifyJson({
          table: tableText,
          "metadata-location": metadataLocation,
          "previous-metadata-location": previous ?? null,
        }),
      );
    });
  } finally {
    store.close();
  }
}
