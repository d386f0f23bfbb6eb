/**
 * Optimistic-concurrency commit: build new metadata from the current base,
 * write it, compare-and-swap the catalog pointer. When the pointer moved
 * (`commit-conflict`), the per-attempt files are deleted and the update is
 * re-applied on the new base; any other error is thrown unchanged. After a
 * successful swap a commit marker is written, which `registerFromMarkers`
 * uses to recover the table when the catalog database is lost — an orphaned
 * metadata file left by a failed swap never gets a marker.
 *
 * Inside an outer database transaction (the archiver swaps the pointer and
 * drops the chunk in one transaction), pass a catalog bound to that
 * transaction's client, run it in READ COMMITTED (a retry must see the
 * winner's pointer), and set `deferMarker`: call `writeMarker()` only after
 * the outer transaction has committed.
 */
import type { TableIdentifier } from "../catalog/catalog.ts";
import { IcebergError, isIcebergError } from "../errors.ts";
import { metadataToJson, type TableMetadata } from "../spec/metadata.ts";
import { writeCommitMarker } from "./markers.ts";
import { type LoadedTable, loadTable, metadataVersion, newMetadataLocation, type TableContext } from "./table.ts";

export interface AppliedUpdate {
  readonly metadata: TableMetadata;
  /** Files written by this attempt only; deleted when the attempt loses the race. */
  readonly attemptFiles: readonly string[];
}

export interface CommitOptions {
  /** Attempts before giving up on conflicts. Default 10. */
  readonly maxAttempts?: number;
  /** Called after each lost race (for metrics/logs). */
  readonly onConflict?: (attempt: number) => void;
  /** Do not write the commit marker; the caller calls `writeMarker()` once its transaction committed. */
  readonly deferMarker?: boolean;
}

/** A committed (or unchanged) table; `writeMarker` is a no-op unless the marker was deferred. */
export interface CommittedTable extends LoadedTable {
  readonly writeMarker: () => Promise<void>;
}

export type ApplyFn = (base: LoadedTable, attempt: number) => Promise<AppliedUpdate | undefined>;

/** Runs `apply` against the latest metadata until the swap succeeds. Returns the committed table,
 * or the unchanged base when `apply` decides there is nothing to do (returns undefined). */
export async function commitWithRetry(
  ctx: TableContext,
  id: TableIdentifier,
  apply: ApplyFn,
  options: CommitOptions = {},
): Promise<CommittedTable> {
  const max = options.maxAttempts ?? 10;
  const noop = async (): Promise<void> => undefined;
  for (let attempt = 0; ; attempt++) {
    const base = await loadTable(ctx, id);
    const update = await apply(base, attempt);
    if (!update) return { ...base, writeMarker: noop };
    const version = Math.max(metadataVersion(base.metadataLocation), base.metadata.metadataLog.length) + 1;
    const location = newMetadataLocation(base.metadata.location, version);
    await ctx.store.put(location, new TextEncoder().encode(metadataToJson(update.metadata)));
    try {
      await ctx.catalog.commitTable(id, base.metadataLocation, location);
    } catch (e) {
      if (isIcebergError(e, "commit-conflict")) {
        for (const f of [location, ...update.attemptFiles]) await ctx.store.delete(f).catch(() => undefined);
        options.onConflict?.(attempt);
        if (attempt + 1 >= max)
          throw new IcebergError("commit-conflict", `gave up after ${max} conflicting commit attempts`, {
            retryable: true,
            cause: e,
          });
        // Jittered backoff so racing writers spread out.
        await new Promise((r) => setTimeout(r, Math.random() * 20 * (attempt + 1)));
        continue;
      }
      // Outcome unknown (e.g. connection lost after the UPDATE): keep the files, they may be committed.
      throw e;
    }
    const writeMarker = (): Promise<void> => writeCommitMarker(ctx.store, update.metadata.location, version, location);
    if (options.deferMarker) return { id, metadataLocation: location, metadata: update.metadata, writeMarker };
    await writeMarker();
    return { id, metadataLocation: location, metadata: update.metadata, writeMarker: noop };
  }
}
