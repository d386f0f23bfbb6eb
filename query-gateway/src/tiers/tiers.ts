/**
 * Measured tier state (architecture invariant 5): the hot chunks from the
 * TimescaleDB chunk catalog and the cold files of the Iceberg snapshot the
 * catalog pointer names, both read inside the query's consistent cut. The
 * snapshot's manifests are immutable, so they are cached by metadata
 * location: after the first query, reading the tier state costs one small
 * statement inside the cut and no object-store round trip.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  currentSchema,
  currentSnapshot,
  type DataFile,
  fromBytes,
  loadScanManifests,
  type ObjectStore,
  readMetadata,
  type ScanManifest,
  type Schema,
} from "@netflow/iceberg";
import { TIME_COLUMN } from "@netflow/schema";
import type { PreparedStatement } from "../engine/timescale.ts";
import { formatDate } from "../engine/values.ts";
import type { ColdFile, HotChunk, Tiers } from "../route/route.ts";

const TIER_STATE_SQL = readFileSync(new URL("./tier-state.sql", import.meta.url), "utf8");

/** A cold data file with what the gateway needs beyond routing. */
export interface ColdDataFile extends ColdFile {
  readonly sizeBytes: number;
  /** Partition values as text (a day(ts) partition as its date), for /api/tiers. */
  readonly partitionLabel: string;
}

export interface ColdSnapshot {
  readonly metadataLocation: string;
  readonly snapshotId: string | null;
  readonly schema: Schema;
  readonly manifests: readonly ScanManifest[];
  readonly files: readonly ColdDataFile[];
}

export interface HotChunkInfo extends HotChunk {
  readonly name: string;
  readonly compressed: boolean;
}

export interface TierState extends Tiers {
  /** The cut transaction's now() in epoch microseconds: the query's now() on every engine. */
  readonly nowUs: bigint;
  readonly hotChunks: readonly HotChunkInfo[];
  readonly coldFiles: readonly ColdDataFile[];
  readonly cold: ColdSnapshot | null;
}

export interface TierReaderConfig {
  readonly store: ObjectStore;
  readonly catalogName: string;
  readonly table: { readonly namespace: readonly string[]; readonly name: string };
  /** Snapshots kept in memory. Default 4. */
  readonly cachedSnapshots?: number;
}

export class TierReader {
  private readonly snapshots = new Map<string, Promise<ColdSnapshot>>();
  private boundStatements: string[] | undefined;
  private preparedStatements: readonly PreparedStatement[] | undefined;

  constructor(private readonly config: TierReaderConfig) {}

  /**
   * The statements that read the tier state: the lock, then the pointer and
   * chunk-list statements of `prepared()` executed. They run in the same
   * simple-protocol round trip as BEGIN, so the cut costs one round trip more
   * than the query itself. The hot engine must prepare `prepared()`.
   */
  statements(): string {
    return `${this.pointerStatements()};\n${this.chunkStatement()}`;
  }

  /**
   * Only the lock and the catalog pointer (no chunk list): enough to validate
   * a cached tier state for a query that reads the hot tier alone (see
   * Gateway: the cold file set is a function of the pointer, and the hot
   * query reads whatever chunks the snapshot holds).
   */
  pointerStatements(): string {
    return `${this.bound()[0] ?? ""};\n${this.pointerStatement()}`;
  }

  /**
   * The pointer and chunk-list statements without the lock, for a cut that reads no hot rows
   * (one that commits in its first round trip): the lock is there so that no chunk a hot query
   * reads is dropped under it, while the catalog rows read here are versioned like any other
   * rows. Measured: the lock is ~1 ms of the embedded engine's round trip, ~3 ms while DuckDB
   * keeps the cores busy.
   */
  unlockedStatements(): string {
    return `${this.pointerStatement()};\n${this.chunkStatement()}`;
  }

  private pointerStatement(): string {
    return `EXECUTE ${this.prepared()[0]?.name}`;
  }

  /** The chunk-list statement alone, to complete a state read with `pointerStatements()`. */
  chunkStatement(): string {
    return `EXECUTE ${this.prepared()[1]?.name}`;
  }

  /**
   * The pointer and chunk-list queries, with the configured names bound as
   * literals, for the hot engine to prepare on each connection. (The LOCK
   * cannot be prepared, and must run before them: see tier-state.sql.)
   */
  prepared(): readonly PreparedStatement[] {
    if (this.preparedStatements !== undefined) return this.preparedStatements;
    const [, pointer = "", chunks = ""] = this.bound();
    // Named after their text (see TimescaleEngineConfig.prepare): tables of other names get other statements.
    const named = (prefix: string, sql: string) => ({
      name: `${prefix}_${createHash("sha256").update(sql).digest("hex").slice(0, 16)}`,
      sql,
    });
    this.preparedStatements = [named("gateway_tier_pointer", pointer), named("gateway_tier_chunks", chunks)];
    return this.preparedStatements;
  }

  private bound(): string[] {
    if (this.boundStatements !== undefined) return this.boundStatements;
    const values = [
      this.config.catalogName,
      this.config.table.namespace.join("."),
      this.config.table.name,
      "public",
      "flows",
      TIME_COLUMN,
    ];
    // Split before binding: a configured name may contain a semicolon.
    this.boundStatements = TIER_STATE_SQL.replace(/--[^\n]*\n/g, "")
      .split(";")
      .map((statement) => statement.trim())
      .filter((statement) => statement !== "")
      .map((statement) =>
        statement.replace(/\$(\d)/g, (_, n: string) => {
          const value = values[Number(n) - 1] ?? "";
          return `'${value.replaceAll("'", "''")}'`;
        }),
      );
    return this.boundStatements;
  }

  /** The tier state from the results of `statements()` (pointer row, then chunk rows). */
  async fromRows(results: readonly (readonly Record<string, string | null>[])[]): Promise<TierState> {
    const [pointer, chunks] = results.slice(-2);
    return this.fromParts(pointer ?? [], chunks ?? []);
  }

  /** The tier state from the pointer statement's rows and the chunk statement's rows. */
  async fromParts(
    pointer: readonly Record<string, string | null>[],
    chunks: readonly Record<string, string | null>[],
  ): Promise<TierState> {
    const row = pointer[0];
    const hotChunks: HotChunkInfo[] = chunks.map((c) => ({
      name: c.name ?? "",
      chunkId: Number(/_(\d+)_chunk$/.exec(c.name ?? "")?.[1] ?? -1),
      rangeStart: BigInt(c.range_start ?? "0"),
      rangeEnd: BigInt(c.range_end ?? "0"),
      compressed: c.compressed === "true",
    }));
    const location = row?.metadata_location ?? null;
    const cold = location === null ? null : await this.snapshot(location);
    const nowUs = BigInt(row?.now_us ?? Date.now() * 1000);
    return { nowUs, hotChunks, coldFiles: cold?.files ?? [], cold };
  }

  /** The pointer statement's fields: the cut's now() and the catalog's metadata location. */
  static pointerOf(pointer: readonly Record<string, string | null>[]): { nowUs: bigint; location: string | null } {
    const row = pointer[0];
    return { nowUs: BigInt(row?.now_us ?? Date.now() * 1000), location: row?.metadata_location ?? null };
  }

  private snapshot(location: string): Promise<ColdSnapshot> {
    let loading = this.snapshots.get(location);
    if (loading === undefined) {
      loading = this.load(location);
      loading.catch(() => this.snapshots.delete(location));
      this.snapshots.set(location, loading);
      const keep = this.config.cachedSnapshots ?? 4;
      for (const key of this.snapshots.keys()) {
        if (this.snapshots.size <= keep) break;
        this.snapshots.delete(key);
      }
    }
    return loading;
  }

  private async load(location: string): Promise<ColdSnapshot> {
    const metadata = await readMetadata(this.config.store, location);
    const schema = currentSchema(metadata);
    const snapshot = currentSnapshot(metadata);
    const manifests = snapshot === undefined ? [] : await loadScanManifests(this.config.store, metadata);
    const tsField = schema.fields.find((f) => f.name === TIME_COLUMN);
    const files = manifests.flatMap((m) => m.files.map((f) => coldFile(f, tsField?.id)));
    return {
      metadataLocation: location,
      snapshotId: snapshot === undefined ? null : snapshot.snapshotId.toString(),
      schema,
      manifests,
      files,
    };
  }
}

function coldFile(file: DataFile, tsFieldId: number | undefined): ColdDataFile {
  const bound = (map: ReadonlyMap<number, Uint8Array>): bigint | null => {
    const bytes = tsFieldId === undefined ? undefined : map.get(tsFieldId);
    if (bytes === undefined) return null;
    const value = fromBytes("timestamptz", bytes);
    return typeof value === "bigint" ? value : null;
  };
  return {
    path: file.filePath,
    lower: bound(file.lowerBounds),
    upper: bound(file.upperBounds),
    recordCount: file.recordCount,
    sizeBytes: file.fileSizeInBytes,
    partitionLabel: file.partition
      .map((v) => (v === null ? "null" : typeof v === "number" ? formatDate(v) : String(v)))
      .join("/"),
  };
}
