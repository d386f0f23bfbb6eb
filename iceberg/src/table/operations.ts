/**
 * Table operations. Each one is an `apply` function run by `commitWithRetry`:
 * it reads the base it is given, so a retry after a lost race re-applies the
 * change on the winner's metadata. Files that do not depend on the base (new
 * data manifests) are written once, before the loop.
 */
import type { TableIdentifier } from "../catalog/catalog.ts";
import { IcebergError } from "../errors.ts";
import type { DataFile } from "../manifest/data-file.ts";
import { EntryStatus, type ManifestEntry } from "../manifest/manifest.ts";
import type { ManifestFile } from "../manifest/manifest-list.ts";
import { currentSchema, currentSnapshot, type TableMetadata } from "../spec/metadata.ts";
import { type IcebergType, indexById, type NestedField, validateSchema } from "../spec/types.ts";
import { type CommitOptions, type CommittedTable, commitWithRetry } from "./commit.ts";
import { type ResolvedEntry, readResolvedEntries, snapshotManifests } from "./entries.ts";
import { commitSnapshot, listEntryFor, writeAddedManifests, writeEntries } from "./snapshot-builder.ts";
import { loadTable, newSnapshotId, type TableContext } from "./table.ts";

/** Every file must exist with the size its description claims; otherwise nothing is committed. */
async function checkFilesExist(ctx: TableContext, files: readonly DataFile[]): Promise<void> {
  for (const f of files) {
    const info = await ctx.store.head(f.filePath);
    if (!info) throw new IcebergError("missing-file", "data file to commit does not exist", { file: f.filePath });
    if (info.size !== f.fileSizeInBytes)
      throw new IcebergError("invalid-data", `data file is ${info.size} bytes, description says ${f.fileSizeInBytes}`, {
        file: f.filePath,
      });
  }
}

/** Appends data files in a new snapshot without touching existing manifests. */
export async function fastAppend(
  ctx: TableContext,
  id: TableIdentifier,
  files: readonly DataFile[],
  options: CommitOptions & { summary?: Readonly<Record<string, string>> } = {},
): Promise<CommittedTable> {
  if (files.length === 0) throw new IcebergError("invalid-operation", "nothing to append");
  await checkFilesExist(ctx, files);
  const start = await loadTable(ctx, id);
  for (const f of files)
    if (!start.metadata.partitionSpecs.some((s) => s.specId === f.specId))
      throw new IcebergError("invalid-operation", `file ${f.filePath} has unknown spec id ${f.specId}`);
  const snapshotId = newSnapshotId(start.metadata);
  const added = await writeAddedManifests(ctx.store, start.metadata, snapshotId, files);
  return await commitWithRetry(
    ctx,
    id,
    async (base, attempt) => {
      if (base.metadata.snapshots.some((s) => s.snapshotId === snapshotId))
        throw new IcebergError("invalid-operation", `snapshot id ${snapshotId} already exists`);
      const seq = base.metadata.lastSequenceNumber + 1n;
      const manifests: ManifestFile[] = [
        ...added.map((m) => listEntryFor(m, snapshotId, seq)),
        ...(await snapshotManifests(ctx.store, currentSnapshot(base.metadata))),
      ];
      const { metadata, manifestList } = await commitSnapshot(
        ctx.store,
        base.metadata,
        base.metadataLocation,
        {
          operation: "append",
          snapshotId,
          manifests,
          added: files,
          removed: [],
          ...(options.summary ? { extraSummary: options.summary } : {}),
        },
        attempt,
      );
      return { metadata, attemptFiles: [manifestList] };
    },
    options,
  );
}

/**
 * Rewrites the current snapshot's manifests: entries for which `remove` is true become DELETED,
 * other live entries stay (as EXISTING in rewritten manifests); untouched manifests are reused.
 */
async function rewriteManifests(
  ctx: TableContext,
  m: TableMetadata,
  snapshotId: bigint,
  remove: (e: ResolvedEntry) => boolean,
): Promise<{ manifests: ManifestFile[]; removed: DataFile[]; written: string[] }> {
  const seq = m.lastSequenceNumber + 1n;
  const manifests: ManifestFile[] = [];
  const removed: DataFile[] = [];
  const written: string[] = [];
  for (const mf of await snapshotManifests(ctx.store, currentSnapshot(m))) {
    const entries = await readResolvedEntries(ctx.store, m, mf);
    const live = entries.filter((e) => e.status !== EntryStatus.DELETED);
    const hit = live.filter(remove);
    if (hit.length === 0) {
      manifests.push(mf);
      continue;
    }
    removed.push(...hit.map((e) => e.dataFile));
    const hitSet = new Set(hit);
    const rewritten: ManifestEntry[] = live.map((e) => ({
      status: hitSet.has(e) ? EntryStatus.DELETED : EntryStatus.EXISTING,
      snapshotId: hitSet.has(e) ? snapshotId : e.snapshotId,
      sequenceNumber: e.sequenceNumber,
      fileSequenceNumber: e.fileSequenceNumber,
      dataFile: e.dataFile,
    }));
    const info = await writeEntries(ctx.store, m, mf.partitionSpecId, rewritten);
    written.push(info.path);
    manifests.push(listEntryFor(info, snapshotId, seq));
  }
  return { manifests, removed, written };
}

/**
 * Removes whole data files chosen by `predicate` (e.g. partition older than the retention
 * cutoff) in a metadata-only `delete` snapshot. Returns the base unchanged when nothing matches.
 */
export async function deleteFiles(
  ctx: TableContext,
  id: TableIdentifier,
  predicate: (f: DataFile) => boolean,
  options: CommitOptions = {},
): Promise<CommittedTable> {
  return await commitWithRetry(
    ctx,
    id,
    async (base, attempt) => {
      const snapshotId = newSnapshotId(base.metadata);
      const r = await rewriteManifests(ctx, base.metadata, snapshotId, (e) => predicate(e.dataFile));
      if (r.removed.length === 0) return undefined;
      const { metadata, manifestList } = await commitSnapshot(
        ctx.store,
        base.metadata,
        base.metadataLocation,
        { operation: "delete", snapshotId, manifests: r.manifests, added: [], removed: r.removed },
        attempt,
      );
      return { metadata, attemptFiles: [...r.written, manifestList] };
    },
    options,
  );
}

/**
 * Replaces data files with new ones holding the same rows (compaction), as a `replace`
 * snapshot. Every file to remove must still be live in the base; otherwise the rewrite
 * raced with a delete and is refused (not retried).
 */
export async function replaceFiles(
  ctx: TableContext,
  id: TableIdentifier,
  removePaths: readonly string[],
  add: readonly DataFile[],
  options: CommitOptions = {},
): Promise<CommittedTable> {
  await checkFilesExist(ctx, add);
  const start = await loadTable(ctx, id);
  const snapshotId = newSnapshotId(start.metadata);
  const added = await writeAddedManifests(ctx.store, start.metadata, snapshotId, add);
  const wanted = new Set(removePaths);
  return await commitWithRetry(
    ctx,
    id,
    async (base, attempt) => {
      const seq = base.metadata.lastSequenceNumber + 1n;
      const r = await rewriteManifests(ctx, base.metadata, snapshotId, (e) => wanted.has(e.dataFile.filePath));
      const found = new Set(r.removed.map((f) => f.filePath));
      const missing = removePaths.filter((p) => !found.has(p));
      if (missing.length > 0)
        throw new IcebergError(
          "invalid-operation",
          `files to replace are no longer in the table: ${missing.join(", ")}`,
        );
      const addedRows = add.reduce((s, f) => s + f.recordCount, 0);
      const removedRows = r.removed.reduce((s, f) => s + f.recordCount, 0);
      if (addedRows !== removedRows)
        throw new IcebergError("invalid-operation", `replace must keep the row count (${removedRows} → ${addedRows})`);
      const { metadata, manifestList } = await commitSnapshot(
        ctx.store,
        base.metadata,
        base.metadataLocation,
        {
          operation: "replace",
          snapshotId,
          manifests: [...added.map((m) => listEntryFor(m, snapshotId, seq)), ...r.manifests],
          added: add,
          removed: r.removed,
        },
        attempt,
      );
      return { metadata, attemptFiles: [...r.written, manifestList] };
    },
    options,
  );
}

/**
 * Adds an optional column (schema evolution). `fieldId` defaults to last-column-id + 1; an
 * explicit id (from the flow-column catalog) must not have been used before.
 */
export async function addColumn(
  ctx: TableContext,
  id: TableIdentifier,
  column: { name: string; type: IcebergType; doc?: string; fieldId?: number },
  options: CommitOptions = {},
): Promise<CommittedTable> {
  return await commitWithRetry(
    ctx,
    id,
    async (base) => {
      const m = base.metadata;
      const schema = currentSchema(m);
      if (schema.fields.some((f) => f.name === column.name)) {
        const existing = schema.fields.find((f) => f.name === column.name)!;
        if (column.fieldId === undefined || existing.id === column.fieldId) return undefined; // already there
        throw new IcebergError("invalid-schema", `column ${column.name} exists with field id ${existing.id}`);
      }
      const fieldId = column.fieldId ?? m.lastColumnId + 1;
      if (fieldId <= m.lastColumnId && m.schemas.some((s) => indexById(s.fields).has(fieldId)))
        throw new IcebergError("invalid-schema", `field id ${fieldId} was used before and cannot be reused`);
      const field: NestedField = {
        id: fieldId,
        name: column.name,
        required: false,
        type: column.type,
        ...(column.doc ? { doc: column.doc } : {}),
      };
      const newSchema = {
        schemaId: Math.max(...m.schemas.map((s) => s.schemaId)) + 1,
        fields: [...schema.fields, field],
      };
      const lastColumnId = Math.max(m.lastColumnId, validateSchema(newSchema));
      const now = Math.max(Date.now(), m.lastUpdatedMs + 1);
      const metadata: TableMetadata = {
        ...m,
        schemas: [...m.schemas, newSchema],
        currentSchemaId: newSchema.schemaId,
        lastColumnId,
        lastUpdatedMs: now,
        metadataLog: [...m.metadataLog, { timestampMs: m.lastUpdatedMs, metadataFile: base.metadataLocation }],
      };
      return { metadata, attemptFiles: [] };
    },
    options,
  );
}
