/** Commit markers: one small JSON per successful catalog swap, named by metadata version. */
import type { ObjectStore } from "../io/object-store.ts";
import { stringifyJson } from "../json/exact-json.ts";

export function markerPrefix(tableLocation: string): string {
  return `${tableLocation.replace(/\/+$/, "")}/metadata/committed/`;
}

export async function writeCommitMarker(
  store: ObjectStore,
  tableLocation: string,
  version: number,
  metadataLocation: string,
): Promise<void> {
  const body = stringifyJson({ "metadata-location": metadataLocation, version, "committed-at-ms": Date.now() }, 2);
  await store.put(
    `${markerPrefix(tableLocation)}${String(version).padStart(10, "0")}.json`,
    new TextEncoder().encode(body),
  );
}
