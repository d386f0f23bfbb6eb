/**
 * The canonical row hash: the one definition of "the same rows" that both tiers
 * compute. A set of flow rows has the checksum (count, sum of a 64-bit hash of
 * every row). A sum, unlike XOR, changes when a row is duplicated or lost in
 * pairs, and it is order-independent, so batches and files can be summed
 * separately and added up.
 *
 * The per-row hash is md5 over a canonical text form of every schema column,
 * in FLOW_COLUMNS order, joined by `|`; its first 8 bytes read big-endian as a
 * signed int64. Canonical forms:
 *   timestamptz  epoch microseconds in decimal
 *   inet/binary  32 lowercase hex digits of the cold 16-byte encoding
 *                (IPv4 mapped into ::ffff:0:0/96, see iceberg encodeAddress)
 *   integers     decimal
 *   boolean      t / f
 *   NULL         \N
 * Postgres sums as numeric and DuckDB as HUGEINT, so neither overflows.
 *
 * Both SQL expressions are generated here from the column catalog; a test
 * checks them against each other and against an independent Python
 * implementation (hashlib), so neither engine vouches for itself.
 */
import { FLOW_COLUMNS, type FlowColumn } from "@netflow/schema";

export const NULL_MARKER = "\\N";
export const SEPARATOR = "|";

/** Row count and the sum of the row hashes. */
export interface Checksum {
  readonly count: bigint;
  readonly sum: bigint;
}

export const EMPTY_CHECKSUM: Checksum = { count: 0n, sum: 0n };

export function addChecksums(a: Checksum, b: Checksum): Checksum {
  return { count: a.count + b.count, sum: a.sum + b.sum };
}

export function checksumEquals(a: Checksum, b: Checksum): boolean {
  return a.count === b.count && a.sum === b.sum;
}

export function formatChecksum(c: Checksum): string {
  return `${c.count} rows, hash sum ${c.sum}`;
}

const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const sqlString = (s: string): string => `'${s.replace(/'/g, "''")}'`;

function pgColumnText(c: FlowColumn, ref: string): string {
  switch (c.pgType) {
    case "timestamptz":
      // extract(epoch) is numeric (exact) since Postgres 14.
      return `((extract(epoch FROM ${ref}) * 1000000)::bigint)::text`;
    case "inet":
      // inet_send: family, bits, is_cidr, length, then the address bytes (4 or 16).
      return `(CASE family(${ref}) WHEN 4 THEN '00000000000000000000ffff' ELSE '' END || substr(encode(inet_send(${ref}), 'hex'), 9))`;
    case "boolean":
      return `(CASE WHEN ${ref} THEN 't' ELSE 'f' END)`;
    case "bigint":
    case "integer":
    case "smallint":
      return `${ref}::text`;
  }
}

function duckdbColumnText(c: FlowColumn, ref: string): string {
  switch (c.icebergType) {
    case "timestamptz":
      return `CAST(epoch_us(${ref}) AS VARCHAR)`;
    case "binary":
      return `lower(hex(${ref}))`;
    case "boolean":
      return `(CASE WHEN ${ref} THEN 't' ELSE 'f' END)`;
    case "long":
    case "int":
      return `CAST(${ref} AS VARCHAR)`;
  }
}

function canonicalText(render: (c: FlowColumn, ref: string) => string, qualifier: string): string {
  const prefix = qualifier === "" ? "" : `${qualifier}.`;
  return FLOW_COLUMNS.map((c) => `coalesce(${render(c, `${prefix}${q(c.name)}`)}, ${sqlString(NULL_MARKER)})`).join(
    ` || ${sqlString(SEPARATOR)} || `,
  );
}

/** Postgres expression: the canonical text of a `flows`-shaped row (also the export's transport format). */
export function pgCanonicalTextExpr(qualifier = ""): string {
  return canonicalText(pgColumnText, qualifier);
}

/** Postgres expression: the row hash (bigint) of a canonical text expression. */
export function pgHashOfText(textExpr: string): string {
  return `('x' || substr(md5(${textExpr}), 1, 16))::bit(64)::bigint`;
}

/** Postgres expression: the row hash (bigint) of a `flows`-shaped row; `qualifier` is a table alias or "". */
export function pgRowHashExpr(qualifier = ""): string {
  return pgHashOfText(pgCanonicalTextExpr(qualifier));
}

/** Splits a canonical text back into column values (FLOW_COLUMNS order; null for NULL). */
export function splitCanonicalText(text: string): (string | null)[] {
  return text.split(SEPARATOR).map((v) => (v === NULL_MARKER ? null : v));
}

/** DuckDB expression: the same row hash (HUGEINT, in the signed int64 range) over the Parquet columns. */
export function duckdbRowHashExpr(qualifier = ""): string {
  const u = `CAST('0x' || substr(md5(${canonicalText(duckdbColumnText, qualifier)}), 1, 16) AS UBIGINT)`;
  // Reinterpret the unsigned 64 bits as two's complement.
  return `(CAST(${u} AS HUGEINT) - CASE WHEN ${u} >= CAST('9223372036854775808' AS UBIGINT) THEN CAST('18446744073709551616' AS HUGEINT) ELSE CAST(0 AS HUGEINT) END)`;
}

/** Postgres: `SELECT count(*) AS n, coalesce(sum(hash), 0) AS s FROM <from>`; `from` is trusted SQL. */
export function pgChecksumSql(from: string): string {
  return `SELECT count(*)::text AS n, coalesce(sum(${pgRowHashExpr()}), 0)::text AS s FROM ${from}`;
}

/** DuckDB: the same over a relation (e.g. `read_parquet([...])`); `from` is trusted SQL. */
export function duckdbChecksumSql(from: string): string {
  return `SELECT CAST(count(*) AS VARCHAR) AS n, CAST(coalesce(sum(${duckdbRowHashExpr()}), 0) AS VARCHAR) AS s FROM ${from}`;
}

/** Parses the (n, s) text pair both checksum queries return. */
export function parseChecksum(row: { n: unknown; s: unknown } | undefined): Checksum {
  if (row === undefined) return EMPTY_CHECKSUM;
  return { count: BigInt(String(row.n)), sum: BigInt(String(row.s)) };
}
