/**
 * Routing with every measured bound the snapshot offers: the time ranges
 * pick chunks and files (route.ts), then the query's address predicates
 * skip cold files whose address-column bounds exclude them (the Iceberg scan
 * planner over the snapshot's manifests). Pure: no I/O.
 */
import { type Filter, planScan } from "@netflow/iceberg";
import type { RangeSet } from "../sql/time-range.ts";
import type { TierState } from "../tiers/tiers.ts";
import { pruneCold, type Route, route } from "./route.ts";

export function routeQuery(ranges: RangeSet, state: TierState, addresses: Filter | null): Route {
  const r = route(ranges, state);
  if (addresses === null || state.cold === null || r.coldFiles.length === 0) return r;
  // Only the files the time ranges kept are worth evaluating (a year holds hundreds).
  const inRange = new Set(r.coldFiles.map((f) => f.path));
  const manifests = state.cold.manifests.map((m) => ({
    partitionFields: m.partitionFields,
    files: m.files.filter((f) => inRange.has(f.filePath)),
  }));
  const kept = planScan(state.cold.schema, manifests, addresses);
  return pruneCold(r, new Set(kept.files.map((f) => f.filePath)));
}
