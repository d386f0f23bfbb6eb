/**
 * The end of an archive job (invariant 1): stage the Iceberg snapshot, then
 * ONE short Postgres transaction that locks the chunk, checks its fingerprint
 * against the export's, compare-and-swaps the catalog pointer, logs the chunk
 * in archive_log and drops it. No object-store I/O happens inside the
 * transaction: the snapshot's manifest, manifest list and metadata file are
 * written before (staging), so the transaction holds the engine only for a
 * handful of statements.
 *
 * Staging runs the library's fastAppend against a catalog whose swap only
 * records the (expected, next) pair and refuses, so the library writes no
 * commit marker for it; the swap itself is the SqlCatalog's own CAS statement
 * run on the transaction's client. If the pointer moved in between, the
 * transaction rolls back and the snapshot is staged again on the new base.
 */
import {
  type Catalog,
  type DataFile,
  fastAppend,
  isIcebergError,
  type ObjectStore,
  readMetadata,
  type TableContext,
  type TableIdentifier,
  writeCommitMarker,
} from "@netflow/iceberg";
import type pg from "pg";
import { ArchiverError } from "../errors.ts";
import { fault } from "../faults.ts";
import type { Checksum } from "../hash/row-hash.ts";
import { type ChunkFingerprint, chunkFingerprint, fingerprintEquals } from "../hot/chunks.ts";
import { FLOWS_TABLE, pgQuery, sqlCatalog } from "../warehouse/warehouse.ts";

class StagedCommit extends Error {
  constructor(
    readonly expected: string,
    readonly next: string,
  ) {
    super("staged");
  }
}

/** Reads go to the real catalog; the swap is captured instead of performed. */
class StagingCatalog implements Catalog {
  readonly name: string;
  constructor(private readonly inner: Catalog) {
    this.name = inner.name;
  }
  createNamespace(ns: readonly string[], p?: Readonly<Record<string, string>>): Promise<void> {
    return this.inner.createNamespace(ns, p);
  }
  listNamespaces(): Promise<string[][]> {
    return this.inner.listNamespaces();
  }
  namespaceExists(ns: readonly string[]): Promise<boolean> {
    return this.inner.namespaceExists(ns);
  }
  listTables(ns: readonly string[]): Promise<TableIdentifier[]> {
    return this.inner.listTables(ns);
  }
  loadTable(id: TableIdentifier): Promise<string> {
    return this.inner.loadTable(id);
  }
  createTable(id: TableIdentifier, location: string): Promise<void> {
    return this.inner.createTable(id, location);
  }
  async commitTable(_id: TableIdentifier, expected: string, next: string): Promise<void> {
    throw new StagedCommit(expected, next);
  }
  dropTable(id: TableIdentifier): Promise<void> {
    return this.inner.dropTable(id);
  }
}

export interface StagedSnapshot {
  readonly expected: string;
  readonly next: string;
  readonly snapshotId: bigint;
  readonly version: number;
  readonly tableLocation: string;
}

export async function stageAppend(
  ctx: TableContext,
  files: readonly DataFile[],
  summary: Readonly<Record<string, string>>,
): Promise<StagedSnapshot> {
  try {
    await fastAppend({ catalog: new StagingCatalog(ctx.catalog), store: ctx.store }, FLOWS_TABLE, files, {
      summary,
      maxAttempts: 1,
    });
  } catch (e) {
    if (e instanceof StagedCommit) {
      const m = await readMetadata(ctx.store, e.next);
      if (m.currentSnapshotId === undefined) throw new Error("staged metadata has no current snapshot");
      return {
        expected: e.expected,
        next: e.next,
        snapshotId: m.currentSnapshotId,
        version: Number(/\/(\d+)-[^/]*\.metadata\.json$/.exec(e.next)?.[1] ?? "-1"),
        tableLocation: m.location,
      };
    }
    throw e;
  }
  throw new Error("fastAppend returned without swapping the catalog pointer");
}

export interface CommitInput {
  readonly sysId: string;
  readonly chunkId: number;
  readonly relation: string;
  readonly rangeStart: Date;
  readonly rangeEnd: Date;
  readonly fingerprint: ChunkFingerprint;
  readonly checksum: Checksum;
  readonly dataFiles: number;
  readonly bytesWritten: number;
}

export type CommitOutcome = "committed" | "already-archived" | "conflict";

/** Advisory-lock class of archive commits (the chunk id is the second key). */
const LOCK_CLASS = 7_311_005;

/**
 * The one transaction. Returns "already-archived" when another job logged the
 * chunk first, "conflict" when the catalog pointer moved since staging (stage
 * again); throws chunk-changed when rows arrived since the export.
 */
export async function commitArchive(
  pool: pg.Pool,
  store: ObjectStore,
  /** Undefined for a chunk without rows: it is logged (snapshot id 0) and dropped, no snapshot. */
  staged: StagedSnapshot | undefined,
  input: CommitInput,
): Promise<{ outcome: CommitOutcome; txMs: number; markerWritten?: boolean }> {
  const client = await pool.connect();
  const t0 = performance.now();
  let outcome: CommitOutcome = "conflict";
  try {
    await client.query("BEGIN");
    try {
      // DROP needs ACCESS EXCLUSIVE: behind a long query on the chunk it would
      // queue every later reader; give up instead (retryable, 55P03).
      await client.query("SET LOCAL lock_timeout = '5s'");
      // Serializes jobs on the same chunk; the loser then finds the log row.
      await client.query("SELECT pg_advisory_xact_lock($1, $2)", [LOCK_CLASS, input.chunkId]);
      const logged = await client.query("SELECT 1 FROM archive_log WHERE system_identifier = $1 AND chunk_id = $2", [
        input.sysId,
        input.chunkId,
      ]);
      if (logged.rows.length > 0) {
        await client.query("ROLLBACK");
        return { outcome: "already-archived", txMs: performance.now() - t0 };
      }
      const now = await chunkFingerprint(client, input.relation, true);
      if (!fingerprintEquals(now, input.fingerprint))
        throw new ArchiverError(
          "chunk-changed",
          `chunk ${input.relation} changed since the export (late flows?): ${showFingerprint(input.fingerprint)} → ${showFingerprint(now)}`,
          { retryable: true },
        );
      if (input.fingerprint.compressedChunkId === null) {
        const any = await client.query(`SELECT 1 FROM ${input.relation} LIMIT 1`);
        if (any.rows.length > 0)
          throw new ArchiverError("chunk-changed", `chunk ${input.relation} is no longer empty`, { retryable: true });
      }
      fault("before-cas");
      try {
        if (staged) await sqlCatalog(pgQuery(client)).commitTable(FLOWS_TABLE, staged.expected, staged.next);
      } catch (e) {
        if (isIcebergError(e, "commit-conflict")) {
          await client.query("ROLLBACK");
          return { outcome: "conflict", txMs: performance.now() - t0 };
        }
        throw e;
      }
      await client.query(
        `INSERT INTO archive_log (system_identifier, chunk_id, hypertable, chunk_name, range_start, range_end, snapshot_id,
           metadata_location, row_count, checksum, data_files, bytes_written)
         VALUES ($1, $2, 'flows', $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          input.sysId,
          input.chunkId,
          input.relation,
          input.rangeStart,
          input.rangeEnd,
          staged?.snapshotId.toString() ?? "0",
          staged?.next ?? "",
          input.checksum.count.toString(),
          input.checksum.sum.toString(),
          input.dataFiles,
          input.bytesWritten,
        ],
      );
      await client.query("SELECT archive_drop_chunk($1::regclass)", [input.relation]);
      fault("after-cas-before-commit");
      await client.query("COMMIT");
      outcome = "committed";
    } catch (e) {
      await client.query("ROLLBACK").catch(() => {});
      throw e;
    }
  } finally {
    client.release();
  }
  const txMs = performance.now() - t0;
  fault("after-commit");
  // Committed whatever happens now: a missing marker only weakens disaster
  // recovery until the next commit writes a newer one.
  if (!staged) return { outcome, txMs };
  const markerWritten = await writeCommitMarker(store, staged.tableLocation, staged.version, staged.next).then(
    () => true,
    () => false,
  );
  return { outcome, txMs, markerWritten };
}

function showFingerprint(f: ChunkFingerprint): string {
  return `status ${f.status}, compressed chunk ${f.compressedChunkId}, ${f.compressedRows} batches (hash ${f.compressedHash}), ${f.flowRows} flows`;
}
