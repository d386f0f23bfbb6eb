/**
 * Disaster recovery: register a table in a (new, empty) catalog from the last
 * commit marker under its location. Markers are written only after a
 * successful compare-and-swap, so a metadata file left behind by a lost race
 * or a crash between write and swap is never chosen. An existing catalog row
 * is not overwritten (a restored database keeps its backup's pointer).
 */
import type { TableIdentifier } from "../catalog/catalog.ts";
import { IcebergError } from "../errors.ts";
import { parseJson } from "../json/exact-json.ts";
import { markerPrefix } from "./markers.ts";
import { type LoadedTable, readMetadata, type TableContext } from "./table.ts";

/** The metadata location of the newest commit marker under a table location. */
export async function lastCommittedMetadata(ctx: TableContext, tableLocation: string): Promise<string> {
  const prefix = markerPrefix(tableLocation);
  const markers = (await ctx.store.list(prefix)).filter((o) => /\/\d{10}\.json$/.test(o.location));
  const last = markers.sort((a, b) => (a.location < b.location ? -1 : 1)).at(-1);
  if (!last) throw new IcebergError("missing-file", "no commit marker found", { file: prefix });
  const doc = parseJson(new TextDecoder().decode(await ctx.store.get(last.location)));
  const loc = doc && typeof doc === "object" && !Array.isArray(doc) ? doc["metadata-location"] : undefined;
  if (typeof loc !== "string")
    throw new IcebergError("corrupt-metadata", "commit marker has no metadata-location", { file: last.location });
  return loc;
}

export async function registerFromMarkers(
  ctx: TableContext,
  id: TableIdentifier,
  tableLocation: string,
): Promise<LoadedTable> {
  const metadataLocation = await lastCommittedMetadata(ctx, tableLocation);
  // Validate before registering: the file must exist and parse.
  const metadata = await readMetadata(ctx.store, metadataLocation);
  if (!(await ctx.catalog.namespaceExists(id.namespace))) await ctx.catalog.createNamespace(id.namespace);
  await ctx.catalog.createTable(id, metadataLocation);
  return { id, metadataLocation, metadata };
}
