/**
 * Reads of the hot tier's chunk catalog through the archiver's functions of
 * migration 0005 (the archiver role owns nothing and reads no Timescale
 * catalog directly).
 */
import type pg from "pg";

/** Chunk status bits of `_timescaledb_catalog.chunk.status`. */
export const CHUNK_COMPRESSED = 1;
export const CHUNK_PARTIAL = 8;

export interface HotChunk {
  readonly chunkId: number;
  /** Qualified relation name, e.g. `_timescaledb_internal._hyper_1_4_chunk`. */
  readonly relation: string;
  readonly rangeStart: Date;
  readonly rangeEnd: Date;
  readonly status: number;
  readonly compressedChunkId: number | null;
  readonly bytes: number;
}

/** Fully compressed: every row is in compressed batches, none in the uncompressed heap. */
export function isFullyCompressed(status: number): boolean {
  return (status & CHUNK_COMPRESSED) !== 0 && (status & CHUNK_PARTIAL) === 0;
}

/** What must stay equal between export and commit for the export to still be the chunk's rows. */
export interface ChunkFingerprint {
  readonly chunkId: number;
  readonly status: number;
  readonly compressedChunkId: number | null;
  readonly compressedRows: string;
  readonly compressedHash: string;
  /** Flows in the compressed batches (not part of the equality: derived from the batches). */
  readonly flowRows: bigint;
}

export function fingerprintEquals(a: ChunkFingerprint, b: ChunkFingerprint): boolean {
  return (
    a.chunkId === b.chunkId &&
    a.status === b.status &&
    a.compressedChunkId === b.compressedChunkId &&
    a.compressedRows === b.compressedRows &&
    a.compressedHash === b.compressedHash
  );
}

type Queryable = Pick<pg.ClientBase, "query"> | Pick<pg.Pool, "query">;

export async function systemIdentifier(db: Queryable): Promise<string> {
  const r = await db.query<{ id: string }>("SELECT archive_system_identifier() AS id");
  const id = r.rows[0]?.id;
  if (id === undefined) throw new Error("archive_system_identifier() returned nothing");
  return id;
}

export async function listHotChunks(db: Queryable): Promise<HotChunk[]> {
  const r = await db.query<{
    chunk_id: number;
    chunk: string;
    range_start: Date;
    range_end: Date;
    status: number;
    compressed_chunk_id: number | null;
    bytes: string;
  }>(
    "SELECT chunk_id, chunk::text AS chunk, range_start, range_end, status, compressed_chunk_id, bytes FROM archive_hot_chunks()",
  );
  return r.rows.map((x) => ({
    chunkId: x.chunk_id,
    relation: x.chunk,
    rangeStart: x.range_start,
    rangeEnd: x.range_end,
    status: x.status,
    compressedChunkId: x.compressed_chunk_id,
    bytes: Number(x.bytes),
  }));
}

export async function findHotChunk(db: Queryable, chunkId: number): Promise<HotChunk | undefined> {
  return (await listHotChunks(db)).find((c) => c.chunkId === chunkId);
}

/** The fingerprint; with `lock` the chunk stays locked against writes until the transaction ends. */
export async function chunkFingerprint(db: Queryable, relation: string, lock: boolean): Promise<ChunkFingerprint> {
  const r = await db.query<{
    chunk_id: number;
    status: number;
    compressed_chunk_id: number | null;
    compressed_rows: string;
    compressed_hash: string;
    flow_rows: string;
  }>("SELECT * FROM archive_chunk_fingerprint($1::regclass, $2)", [relation, lock]);
  const x = r.rows[0];
  if (x === undefined) throw new Error(`no fingerprint for ${relation}`);
  return {
    chunkId: x.chunk_id,
    status: x.status,
    compressedChunkId: x.compressed_chunk_id,
    compressedRows: String(x.compressed_rows),
    compressedHash: String(x.compressed_hash),
    flowRows: BigInt(x.flow_rows),
  };
}

export async function compressChunk(db: Queryable, relation: string): Promise<void> {
  await db.query("SELECT archive_compress_chunk($1::regclass)", [relation]);
}

export interface ArchiveLogRow {
  readonly chunkId: number;
  readonly chunkName: string;
  readonly rangeStart: Date;
  readonly rangeEnd: Date;
  readonly snapshotId: string;
  readonly rowCount: string;
  readonly checksum: string;
  readonly archivedAt: Date;
}

export async function archiveLogEntry(
  db: Queryable,
  sysId: string,
  chunkId: number,
): Promise<ArchiveLogRow | undefined> {
  const r = await db.query(
    "SELECT chunk_id, chunk_name, range_start, range_end, snapshot_id::text, row_count::text, checksum::text, archived_at FROM archive_log WHERE system_identifier = $1 AND chunk_id = $2",
    [sysId, chunkId],
  );
  return r.rows.map(logRow)[0];
}

export async function archiveLog(db: Queryable): Promise<ArchiveLogRow[]> {
  const r = await db.query(
    "SELECT chunk_id, chunk_name, range_start, range_end, snapshot_id::text, row_count::text, checksum::text, archived_at FROM archive_log ORDER BY range_start, chunk_id",
  );
  return r.rows.map(logRow);
}

function logRow(x: Record<string, unknown>): ArchiveLogRow {
  return {
    chunkId: Number(x.chunk_id),
    chunkName: String(x.chunk_name),
    rangeStart: x.range_start as Date,
    rangeEnd: x.range_end as Date,
    snapshotId: String(x.snapshot_id),
    rowCount: String(x.row_count),
    checksum: String(x.checksum),
    archivedAt: x.archived_at as Date,
  };
}
