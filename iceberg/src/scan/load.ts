/** Loads the manifests of a snapshot for `planScan` (the only I/O of scan planning). */

import { IcebergError } from "../errors.ts";
import type { ObjectStore } from "../io/object-store.ts";
import { EntryStatus } from "../manifest/manifest.ts";
import { currentSnapshot, snapshotById, type TableMetadata } from "../spec/metadata.ts";
import { boundFieldsFor, readResolvedEntries, snapshotManifests } from "../table/entries.ts";
import type { ScanManifest } from "./plan.ts";

export async function loadScanManifests(
  store: ObjectStore,
  m: TableMetadata,
  snapshotId?: bigint,
): Promise<ScanManifest[]> {
  const snap = snapshotId === undefined ? currentSnapshot(m) : snapshotById(m, snapshotId);
  if (snapshotId !== undefined && !snap)
    throw new IcebergError("invalid-operation", `snapshot ${snapshotId} does not exist`);
  const out: ScanManifest[] = [];
  for (const mf of await snapshotManifests(store, snap)) {
    const entries = await readResolvedEntries(store, m, mf);
    out.push({
      partitionFields: boundFieldsFor(m, mf.partitionSpecId),
      files: entries.filter((e) => e.status !== EntryStatus.DELETED).map((e) => e.dataFile),
    });
  }
  return out;
}
