/**
 * Commit markers after our own catalog swap. The iceberg library writes a
 * marker (`<table>/metadata/committed/<version>.json`, used by
 * registerFromMarkers for disaster recovery) only when it performs the swap
 * itself; the archiver swaps inside its own Postgres transaction, and the
 * library does not export its marker writer, so this mirrors its format
 * (iceberg/src/table/markers.ts) and is written only after COMMIT.
 */
import { type ObjectStore, stringifyJson } from "@netflow/iceberg";

export async function writeCommitMarker(
  store: ObjectStore,
  tableLocation: string,
  version: number,
  metadataLocation: string,
): Promise<void> {
  const body = stringifyJson({ "metadata-location": metadataLocation, version, "committed-at-ms": Date.now() }, 2);
  const prefix = `${tableLocation.replace(/\/+$/, "")}/metadata/committed/`;
  await store.put(`${prefix}${String(version).padStart(10, "0")}.json`, new TextEncoder().encode(body));
}
