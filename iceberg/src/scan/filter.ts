/** Row filters the scan planner understands: column ranges, equality, null checks, CIDR, and/or. */
import { cidrRange } from "../flows/ip.ts";
import type { PrimitiveValue } from "../spec/types.ts";

export type Filter =
  | { readonly op: "true" }
  | {
      readonly op: "range";
      readonly column: string;
      /** Inclusive lower bound (omit for none). */
      readonly min?: PrimitiveValue;
      /** Inclusive upper bound when `maxExclusive` is false (the default), else exclusive. */
      readonly max?: PrimitiveValue;
      readonly maxExclusive?: boolean;
    }
  | { readonly op: "eq"; readonly column: string; readonly value: PrimitiveValue }
  | { readonly op: "is-null"; readonly column: string }
  | { readonly op: "not-null"; readonly column: string }
  | { readonly op: "and"; readonly filters: readonly Filter[] }
  | { readonly op: "or"; readonly filters: readonly Filter[] };

/** Flow time range [from, to) in microseconds since epoch on the time column. */
export function timeRange(column: string, fromMicros: bigint, toMicros: bigint): Filter {
  return { op: "range", column, min: fromMicros, max: toMicros, maxExclusive: true };
}

/** Address column inside a CIDR (16-byte IPv4-mapped encoding, see flows/ip.ts). */
export function inCidr(column: string, cidr: string): Filter {
  const { lo, hi } = cidrRange(cidr);
  return { op: "range", column, min: lo, max: hi };
}

export function and(...filters: Filter[]): Filter {
  return { op: "and", filters };
}

export function or(...filters: Filter[]): Filter {
  return { op: "or", filters };
}
