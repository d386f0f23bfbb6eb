/**
 * Loading and creating tables: a table is a catalog pointer plus the metadata
 * file it points at. Metadata files are named `<version>-<uuid>.metadata.json`
 * (the Java convention), version = previous + 1.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { Catalog, TableIdentifier } from "../catalog/catalog.ts";
import { IcebergError } from "../errors.ts";
import type { ObjectStore } from "../io/object-store.ts";
import { metadataFromJson, metadataToJson, type TableMetadata } from "../spec/metadata.ts";
import {
  bindPartitionSpec,
  PARTITION_FIELD_ID_START,
  type PartitionSpec,
  type SortOrder,
  UNPARTITIONED,
  UNSORTED,
} from "../spec/partition.ts";
import { type Schema, validateSchema } from "../spec/types.ts";
import { writeCommitMarker } from "./markers.ts";

/** What every table operation needs: where the pointer lives and where the bytes live. */
export interface TableContext {
  readonly catalog: Catalog;
  readonly store: ObjectStore;
}

export interface LoadedTable {
  readonly id: TableIdentifier;
  readonly metadataLocation: string;
  readonly metadata: TableMetadata;
}

export async function readMetadata(store: ObjectStore, location: string): Promise<TableMetadata> {
  const bytes = await store.get(location);
  return metadataFromJson(new TextDecoder().decode(bytes), location);
}

export async function loadTable(ctx: TableContext, id: TableIdentifier): Promise<LoadedTable> {
  const metadataLocation = await ctx.catalog.loadTable(id);
  return { id, metadataLocation, metadata: await readMetadata(ctx.store, metadataLocation) };
}

/** Version number of a metadata file name (`00012-<uuid>.metadata.json` → 12); -1 when it has none. */
export function metadataVersion(location: string): number {
  const m = /\/(\d+)-[^/]*\.metadata\.json$/.exec(location);
  return m ? Number(m[1]) : -1;
}

export function newMetadataLocation(tableLocation: string, version: number): string {
  return `${tableLocation.replace(/\/+$/, "")}/metadata/${String(version).padStart(5, "0")}-${randomUUID()}.metadata.json`;
}

/** A new positive 63-bit snapshot id not used by the table. */
export function newSnapshotId(m: TableMetadata): bigint {
  for (;;) {
    const id = randomBytes(8).readBigUInt64BE() & 0x7fffffffffffffffn;
    if (id !== 0n && !m.snapshots.some((s) => s.snapshotId === id)) return id;
  }
}

export interface CreateTableOptions {
  readonly schema: Schema;
  readonly spec?: PartitionSpec;
  readonly sortOrder?: SortOrder;
  /** Table root URI, e.g. s3://warehouse/netflow/flows */
  readonly location: string;
  readonly properties?: Readonly<Record<string, string>>;
}

export async function createTable(ctx: TableContext, id: TableIdentifier, o: CreateTableOptions): Promise<LoadedTable> {
  const lastColumnId = validateSchema(o.schema);
  const spec = o.spec ?? UNPARTITIONED;
  bindPartitionSpec(spec, o.schema);
  const ids = spec.fields.map((f) => f.fieldId);
  if (new Set(ids).size !== ids.length) throw new IcebergError("invalid-spec", "duplicate partition field ids");
  const sortOrder = o.sortOrder ?? UNSORTED;
  const location = o.location.replace(/\/+$/, "");
  const metadata: TableMetadata = {
    formatVersion: 2,
    tableUuid: randomUUID(),
    location,
    lastSequenceNumber: 0n,
    lastUpdatedMs: Date.now(),
    lastColumnId,
    schemas: [o.schema],
    currentSchemaId: o.schema.schemaId,
    partitionSpecs: [spec],
    defaultSpecId: spec.specId,
    lastPartitionId: Math.max(PARTITION_FIELD_ID_START - 1, ...ids),
    properties: { "write.format.default": "parquet", "write.parquet.compression-codec": "zstd", ...o.properties },
    currentSnapshotId: undefined,
    snapshots: [],
    snapshotLog: [],
    metadataLog: [],
    sortOrders: sortOrder.fields.length === 0 ? [UNSORTED] : [UNSORTED, sortOrder],
    defaultSortOrderId: sortOrder.orderId,
    refs: {},
  };
  const metadataLocation = newMetadataLocation(location, 0);
  await ctx.store.put(metadataLocation, new TextEncoder().encode(metadataToJson(metadata)));
  try {
    await ctx.catalog.createTable(id, metadataLocation);
  } catch (e) {
    await ctx.store.delete(metadataLocation).catch(() => undefined);
    throw e;
  }
  await writeCommitMarker(ctx.store, location, 0, metadataLocation);
  return { id, metadataLocation, metadata };
}
