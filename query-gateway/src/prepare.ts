/**
 * A request checked and analysed before anything runs: the time zone known, the statement
 * through the lockdown, its time bounds computable (they are evaluated again at the cut's
 * now()), its address predicates extracted for pruning.
 */
import type { GatewayConfig } from "./config.ts";
import { inlineParams } from "./engine/hot-slice.ts";
import { GatewayError, SQLSTATE } from "./errors.ts";
import type { QueryRequest } from "./gateway.ts";
import { addressFilter } from "./sql/address-filter.ts";
import { checkStatement } from "./sql/lockdown.ts";
import { timeBoundsOf } from "./sql/time-bounds.ts";
import { isKnownZone } from "./sql/timezone.ts";

export type PreparedQuery = ReturnType<typeof prepareQuery>;

/** Throws a GatewayError for a request refused before anything runs (zone, lockdown, unfoldable bounds). */
export function prepareQuery(
  request: QueryRequest,
  config: Pick<GatewayConfig, "lockdown" | "hotSliceRowLimit" | "rowLimit">,
) {
  const timeZone = request.timeZone ?? "UTC";
  if (!isKnownZone(timeZone)) {
    throw new GatewayError("refused", SQLSTATE.invalidParameterValue, `unknown time zone "${timeZone}"`);
  }
  const checked = checkStatement(request.sql, config.lockdown);
  if (checked.kind !== "select" && checked.kind !== "explain") {
    throw new GatewayError(
      "refused",
      SQLSTATE.featureNotSupported,
      `${checked.kind.toUpperCase()} statements are not accepted over HTTP: send one query`,
      {
        detail:
          "session statements (SET, SHOW, BEGIN…) belong to the Postgres wire protocol; pass timeZone in the request instead",
      },
    );
  }
  const node = checked.kind === "select" ? checked.node : checked.query;
  const params = request.params;
  // Bounds and plan options at the cut's now(), so routing and every engine agree on the instant.
  const at = (now: bigint) => {
    const ctx = { now, timeZone, ...(params === undefined ? {} : { params }) };
    const ranges = timeBoundsOf(node, ctx, request.sql).union;
    return {
      ranges,
      planOptions: {
        ...ctx,
        sql: request.sql,
        ranges,
        hotSliceRowLimit: config.hotSliceRowLimit,
        rowCap: config.rowLimit + 1,
      },
    };
  };
  // Bounds once up front too: a query whose constants cannot be folded fails here, before any I/O.
  // Kept for the guess from a cached tier state, made right after (cached-guess.ts).
  const atStart = at(BigInt(Date.now()) * 1000n);
  // Address predicates prune cold files by their column bounds (parameters inlined, as the cold side sees them).
  const addresses = addressFilter(inlineParams(node, params));
  return { node, timeZone, at, atStart, addresses, explain: checked.kind === "explain" };
}
