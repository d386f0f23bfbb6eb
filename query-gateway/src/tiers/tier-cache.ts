/**
 * The last tier state read in full, reused for a short time to route a query
 * to the hot tier alone in ONE round trip: the query's cursor opens beside
 * the catalog pointer in the cut's first statements, and the pointer then
 * validates the cached state. That is sound because the cold file set is a
 * function of the pointer (archiving moves rows only together with a pointer
 * change, in one transaction), while a hot query reads whatever chunks its
 * snapshot holds — a chunk created or dropped since the cache changes
 * nothing for it. Only the informative hot-chunk count can be stale.
 */
import type { OpenTransaction } from "../engine/timescale.ts";
import { TierReader, type TierState } from "./tiers.ts";

export class TierCache {
  private cached: { readonly state: TierState; readonly at: number } | null = null;

  constructor(
    private readonly reader: TierReader,
    /** How long a state may be reused; 0 disables the cache. */
    private readonly ttlMs: number,
  ) {}

  /** The cached state if it is recent enough to try. */
  recent(): TierState | null {
    if (this.cached === null || performance.now() - this.cached.at > this.ttlMs) return null;
    return this.cached.state;
  }

  /**
   * The tier state of an open cut. Without `cached`, the cut ran `reader.statements()`;
   * with it, only `reader.pointerStatements()`: the cached state stands when the
   * pointer still matches, otherwise the chunk list is read now, in the same cut.
   */
  async stateOf(open: Pick<OpenTransaction, "firstRows" | "tx">, cached: TierState | null): Promise<TierState> {
    if (cached === null) return this.remember(await this.reader.fromRows(open.firstRows));
    const pointerRows = open.firstRows[open.firstRows.length - 1] ?? [];
    const pointer = TierReader.pointerOf(pointerRows);
    if (pointer.location === (cached.cold?.metadataLocation ?? null)) return { ...cached, nowUs: pointer.nowUs };
    const chunks = await open.tx.rows(this.reader.chunkStatement());
    return this.remember(await this.reader.fromParts(pointerRows, chunks));
  }

  private remember(state: TierState): TierState {
    if (this.ttlMs > 0) this.cached = { state, at: performance.now() };
    return state;
  }
}
