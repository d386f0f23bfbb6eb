// Public API of the Iceberg library (write side, catalog, IO, scan planning).

export type { Catalog, TableIdentifier } from "./catalog/catalog.ts";
export { pgQuery, type QueryFn, type QueryResult, SqlCatalog, type SqlCatalogConfig } from "./catalog/sql-catalog.ts";
export { IcebergError, type IcebergErrorKind, isIcebergError } from "./errors.ts";
export { cidrRange, decodeAddress, encodeAddress, isMappedV4 } from "./flows/ip.ts";
export { FLOW_TIE_COLUMNS, flowPartitionSpec, flowSortOrder, flowTableSchema } from "./flows/schema.ts";
export { FileObjectStore, fileLocationToPath, pathToFileLocation } from "./io/file-store.ts";
export type { ObjectInfo, ObjectStore, PutBody } from "./io/object-store.ts";
export { S3ObjectStore, type S3StoreConfig } from "./io/s3-store.ts";
export { type JsonValue, parseJson, stringifyJson } from "./json/exact-json.ts";
export type { DataFile } from "./manifest/data-file.ts";
export { EntryStatus, type ManifestEntry, readManifest } from "./manifest/manifest.ts";
export { type ManifestFile, readManifestList } from "./manifest/manifest-list.ts";
// Read side: open tables other engines wrote, plan reads with deletes, stream rows (see src/read/).
export { LocationMapper, type LocationMapping, parseMapping } from "./read/location.ts";
export type { DeleteFile } from "./read/manifests.ts";
export { type NameMappingField, type ParsedMetadata, parseAnyMetadata } from "./read/metadata-compat.ts";
export {
  findMetadataFile,
  type OpenOptions,
  openTable,
  type ReadableTable,
  RoutingStore,
  s3FromEnv,
} from "./read/open.ts";
export type { RowValue } from "./read/parquet.ts";
export { type DeleteTask, type FileScanTask, type PlanOptions, planRead, type ReadPlan } from "./read/plan.ts";
export { type CompareOp, matches, type Predicate, parsePredicate, toFilter } from "./read/predicate.ts";
export { decimalText, rowToJson, valueToJson } from "./read/render.ts";
export { type ReadRowsOptions, type Row as ReadRow, readRows, rowsOfPlan } from "./read/rows.ts";
export { and, type Filter, inCidr, or, timeRange } from "./scan/filter.ts";
export { loadScanManifests } from "./scan/load.ts";
export { planScan, type ScanManifest, type ScanPlan } from "./scan/plan.ts";
export * from "./spec/conversions.ts";
export * from "./spec/metadata.ts";
export { murmur3_32 } from "./spec/murmur3.ts";
export * from "./spec/partition.ts";
export { schemaFromJson, schemaToJson } from "./spec/schema-json.ts";
export * from "./spec/transforms.ts";
export * from "./spec/types.ts";
export {
  type AppliedUpdate,
  type ApplyFn,
  type CommitOptions,
  type CommittedTable,
  commitWithRetry,
} from "./table/commit.ts";
export { liveEntries } from "./table/entries.ts";
export { type ExpireOptions, type ExpireResult, expireSnapshots, removeOrphanFiles } from "./table/maintenance.ts";
export { markerPrefix, writeCommitMarker } from "./table/markers.ts";
export { addColumn, deleteFiles, fastAppend, replaceFiles } from "./table/operations.ts";
export { lastCommittedMetadata, registerFromMarkers } from "./table/register.ts";
export {
  type CreateTableOptions,
  createTable,
  type LoadedTable,
  loadTable,
  readMetadata,
  type TableContext,
} from "./table/table.ts";
export { tableWriter, type WriteOptions, writeDataFiles } from "./table/write.ts";
export { arrowSchema, FIELD_ID_KEY } from "./write/arrow-schema.ts";
export { DataFileWriter, type DataFileWriterOptions } from "./write/data-file-writer.ts";
export { chooseEncoder, type EncoderChoice, NATIVE_MODULE_PATH, nativeEncoder } from "./write/parquet-encoder.ts";
