/**
 * Where a cached tier state (see TierCache) routes a query, before the query's own cut has
 * read the state: the guess decides what the cut's first round trip carries.
 *
 * - hot tier alone: the query's cursor opens in that round trip, beside the catalog pointer
 *   that validates the cached state;
 * - cold tier alone, without lookup tables: the cut needs nothing after the tier state and
 *   commits in that round trip, while the cold part starts beside it (see ColdSpeculation);
 * - anything else, or no recent state: no guess, the cut reads the state and stays open.
 */
import { type PlanOptions, planQuery } from "./engine/plan.ts";
import { refTablesOf } from "./engine/ref-tables.ts";
import type { PreparedQuery } from "./prepare.ts";
import type { Route } from "./route/route.ts";
import { routeQuery } from "./route/route-query.ts";
import type { TierState } from "./tiers/tiers.ts";

export type CachedGuess =
  | { readonly kind: "hot"; readonly state: TierState; readonly hotSql: string }
  | { readonly kind: "cold"; readonly route: Route; readonly planOptions: PlanOptions };

/**
 * The guess for `prepared` from `cached` (null: no recent state), at the query's start. Queries
 * with parameters take no hot guess: they need the extended protocol, which cannot share the
 * cut's first round trip.
 */
export function guessFromCache(
  cached: TierState | null,
  prepared: PreparedQuery,
  params: readonly (string | null)[] | undefined,
): CachedGuess | null {
  if (cached === null) return null;
  // The bounds at the query's start: the cut routes at its own now() and checks the guess.
  const at = prepared.atStart;
  const r = routeQuery(at.ranges, cached, prepared.addresses);
  if (r.route === "cold") {
    return refTablesOf(prepared.node).length === 0 ? { kind: "cold", route: r, planOptions: at.planOptions } : null;
  }
  if ((r.route !== "hot" && r.route !== "none") || (params !== undefined && params.length > 0)) return null;
  const plan = planQuery(prepared.node, r, at.planOptions);
  return plan.strategy === "hot" ? { kind: "hot", state: cached, hotSql: plan.hotSql } : null;
}
