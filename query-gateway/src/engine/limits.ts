/** Limit errors of SQL the gateway derived from a query, reworded for what the client asked. */
import type { ResultSet } from "./engine.ts";
import { QueryError } from "./errors.ts";

/**
 * Runs SQL the gateway derived from the client's query: an error position
 * would point into text the client never wrote, so it is dropped, and a hot
 * result over the limit is reported as what it is.
 */
export async function derived<T>(body: () => Promise<T>, movesHotRows = true): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (movesHotRows && error instanceof QueryError && error.kind === "limit") {
      throw new QueryError("limit", "the query spans both tiers and needs more hot rows than the gateway may move", {
        detail:
          "narrow the time range, or use aggregates the gateway can split per tier (count/sum/min/max/avg with GROUP BY); the limit is GATEWAY_HOT_SLICE_ROW_LIMIT",
      });
    }
    if (error instanceof QueryError && error.position !== undefined) {
      throw new QueryError(error.kind, error.message, {
        sqlState: error.sqlState,
        ...(error.detail === undefined ? {} : { detail: error.detail }),
      });
    }
    throw error;
  }
}

/** A lookup table too big to mirror is a limit error that names the setting. */
export async function readRef(body: () => Promise<ResultSet>): Promise<ResultSet> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof QueryError && error.kind === "limit") {
      throw new QueryError("limit", "a ref lookup table is too large to join on the cold tier", {
        detail: "the limit is GATEWAY_REF_ROW_LIMIT",
      });
    }
    throw error;
  }
}
