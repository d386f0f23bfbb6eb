/**
 * Row predicates for reading: a small text syntax (the CLI's `--filter`),
 * exact evaluation on rows, and a conservative translation to the planner's
 * `Filter` (which may keep too many files, never too few).
 *
 * Syntax (keywords case-insensitive):
 *
 *     expr    := term { OR term }          term := factor { AND factor }
 *     factor  := NOT factor | ( expr ) | column op literal
 *              | column IS [NOT] NULL
 *     op      := = | != | <> | < | <= | > | >=
 *     column  := name | "quoted name"      (top-level columns)
 *     literal := 'text' | number | true | false
 *
 * Literals take the column's type: dates 'YYYY-MM-DD'; timestamps
 * 'YYYY-MM-DDTHH:MM:SS[.ffffff][Z|±HH:MM]' (timestamptz without an offset is
 * UTC); decimals exact ('9.99' or 9.99); binary/fixed as hex; uuid as text.
 * Comparisons with null are false (SQL semantics).
 */
import { IcebergError } from "../errors.ts";
import type { Filter } from "../scan/filter.ts";
import { compareValues, uuidToBytes } from "../spec/conversions.ts";
import { decimalParams, isPrimitive, type PrimitiveType, type PrimitiveValue, type Schema } from "../spec/types.ts";
import type { RowValue } from "./parquet.ts";

export type CompareOp = "=" | "!=" | "<" | "<=" | ">" | ">=";

export type Predicate =
  | { readonly op: "cmp"; readonly column: string; readonly cmp: CompareOp; readonly value: PrimitiveValue }
  | { readonly op: "is-null" | "not-null"; readonly column: string }
  | { readonly op: "and" | "or"; readonly args: readonly Predicate[] }
  | { readonly op: "not"; readonly arg: Predicate };

function bad(msg: string): never {
  throw new IcebergError("invalid-operation", `filter: ${msg}`);
}

type Tok = { k: "id" | "str" | "num" | "op" | "punct"; v: string };

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'" || c === '"') {
      let v = "";
      i++;
      for (;;) {
        if (i >= s.length) bad("unterminated quote");
        if (s[i] === c) {
          if (s[i + 1] === c) {
            v += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += s[i++];
      }
      out.push({ k: c === "'" ? "str" : "id", v });
    } else if (/[-+0-9.]/.test(c)) {
      const m = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(s.slice(i));
      if (!m) bad(`unexpected ${c} at ${i}`);
      out.push({ k: "num", v: m[0] });
      i += m[0].length;
    } else if (/[<>=!]/.test(c)) {
      const m = /^(<=|>=|!=|<>|==|<|>|=)/.exec(s.slice(i));
      if (!m) bad(`unexpected ${c} at ${i}`);
      out.push({ k: "op", v: m[0] === "<>" ? "!=" : m[0] === "==" ? "=" : m[0] });
      i += m[0].length;
    } else if (c === "(" || c === ")") {
      out.push({ k: "punct", v: c });
      i++;
    } else {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(s.slice(i));
      if (!m) bad(`unexpected ${c} at ${i}`);
      out.push({ k: "id", v: m[0] });
      i += m[0].length;
    }
  }
  return out;
}

const MICROS_PER_DAY = 86_400_000_000n;

function parseDays(s: string): number {
  const m = /^(-?\d{4,})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) bad(`invalid date ${JSON.stringify(s)}`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Math.round(ms / 86_400_000);
}

function parseMicros(s: string, withZone: boolean): bigint {
  const m =
    /^(\d{4,}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(
      s.trim(),
    );
  if (!m) bad(`invalid timestamp ${JSON.stringify(s)}`);
  if (m[6] && !withZone) bad(`timestamp without zone cannot have an offset: ${JSON.stringify(s)}`);
  let micros = BigInt(parseDays(m[1]!)) * MICROS_PER_DAY;
  micros += BigInt(Number(m[2] ?? 0) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0)) * 1_000_000n;
  micros += BigInt((m[5] ?? "").padEnd(6, "0") || "0");
  const z = m[6];
  if (z && z.toUpperCase() !== "Z") {
    const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(z)!;
    const off = BigInt((Number(zm[2]) * 60 + Number(zm[3] ?? 0)) * 60) * 1_000_000n;
    micros += zm[1] === "+" ? -off : off;
  }
  return micros;
}

function parseDecimal(s: string, scale: number): bigint {
  const m = /^([-+])?(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) bad(`invalid decimal ${JSON.stringify(s)}`);
  const frac = m[3] ?? "";
  if (frac.replace(/0+$/, "").length > scale) bad(`${s} has more than ${scale} decimals`);
  const v = BigInt(`${m[2] || "0"}${frac.padEnd(scale, "0").slice(0, scale)}`);
  return m[1] === "-" ? -v : v;
}

function hexBytes(s: string): Uint8Array {
  if (!/^([0-9a-fA-F]{2})*$/.test(s)) bad(`invalid hex ${JSON.stringify(s)}`);
  return new Uint8Array(Buffer.from(s, "hex"));
}

/** Converts a literal to the value domain of a column type. */
export function literalFor(type: PrimitiveType, tok: { k: string; v: string }): PrimitiveValue {
  const s = tok.v;
  switch (type) {
    case "boolean":
      if (/^true$/i.test(s)) return true;
      if (/^false$/i.test(s)) return false;
      return bad(`invalid boolean ${s}`);
    case "int":
    case "long": {
      if (!/^[-+]?\d+$/.test(s)) bad(`invalid integer ${s}`);
      return type === "int" ? Number(s) : BigInt(s);
    }
    case "float":
    case "double": {
      const n = Number(s);
      if (Number.isNaN(n) && s !== "NaN") bad(`invalid number ${s}`);
      return type === "float" ? Math.fround(n) : n;
    }
    case "date":
      return parseDays(s);
    case "timestamp":
      return parseMicros(s, false);
    case "timestamptz":
      return parseMicros(s, true);
    case "time": {
      const m = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/.exec(s);
      if (!m) bad(`invalid time ${s}`);
      return (
        BigInt(Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0)) * 1_000_000n +
        BigInt((m[4] ?? "").padEnd(6, "0") || "0")
      );
    }
    case "string":
      return s;
    case "uuid":
      return uuidToBytes(s);
    case "binary":
      return hexBytes(s);
  }
  if (type.startsWith("fixed[")) return hexBytes(s);
  const d = decimalParams(type);
  if (d) return parseDecimal(s, d.scale);
  return bad(`unsupported column type ${type}`);
}

/** Parses the filter syntax, binding literals to the schema's column types. */
export function parsePredicate(text: string, schema: Schema): Predicate {
  const toks = tokenize(text);
  let i = 0;
  const peekKw = (kw: string): boolean => toks[i]?.k === "id" && toks[i]!.v.toLowerCase() === kw && true;
  const expr = (): Predicate => {
    const args = [term()];
    while (peekKw("or")) {
      i++;
      args.push(term());
    }
    return args.length === 1 ? args[0]! : { op: "or", args };
  };
  const term = (): Predicate => {
    const args = [factor()];
    while (peekKw("and")) {
      i++;
      args.push(factor());
    }
    return args.length === 1 ? args[0]! : { op: "and", args };
  };
  const factor = (): Predicate => {
    const t = toks[i];
    if (!t) return bad("unexpected end");
    if (peekKw("not")) {
      i++;
      return { op: "not", arg: factor() };
    }
    if (t.k === "punct" && t.v === "(") {
      i++;
      const e = expr();
      if (toks[i]?.v !== ")") bad("missing )");
      i++;
      return e;
    }
    if (t.k !== "id") return bad(`expected a column name, got ${t.v}`);
    i++;
    const field = schema.fields.find((f) => f.name === t.v);
    if (!field) return bad(`unknown column ${JSON.stringify(t.v)}`);
    if (!isPrimitive(field.type)) return bad(`column ${t.v} is not a primitive column`);
    if (peekKw("is")) {
      i++;
      let neg = false;
      if (peekKw("not")) {
        i++;
        neg = true;
      }
      if (!peekKw("null")) bad("expected NULL after IS");
      i++;
      return { op: neg ? "not-null" : "is-null", column: field.name };
    }
    const op = toks[i];
    if (op?.k !== "op") return bad(`expected an operator after ${t.v}`);
    i++;
    const v = toks[i];
    if (!v || (v.k !== "str" && v.k !== "num" && v.k !== "id")) return bad(`expected a literal after ${op.v}`);
    i++;
    return { op: "cmp", column: field.name, cmp: op.v as CompareOp, value: literalFor(field.type, v) };
  };
  const p = expr();
  if (i !== toks.length) bad(`unexpected ${toks[i]!.v}`);
  return p;
}

/** Three-valued evaluation: null means unknown (a row passes only on true). */
function evalP(p: Predicate, row: Readonly<Record<string, RowValue>>): boolean | null {
  switch (p.op) {
    case "is-null":
      return (row[p.column] ?? null) === null;
    case "not-null":
      return (row[p.column] ?? null) !== null;
    case "not": {
      const v = evalP(p.arg, row);
      return v === null ? null : !v;
    }
    case "and": {
      let unknown = false;
      for (const a of p.args) {
        const v = evalP(a, row);
        if (v === false) return false;
        if (v === null) unknown = true;
      }
      return unknown ? null : true;
    }
    case "or": {
      let unknown = false;
      for (const a of p.args) {
        const v = evalP(a, row);
        if (v === true) return true;
        if (v === null) unknown = true;
      }
      return unknown ? null : false;
    }
    case "cmp": {
      const x = row[p.column] ?? null;
      if (x === null) return null;
      const c = compareValues(x as PrimitiveValue, p.value);
      switch (p.cmp) {
        case "=":
          return c === 0;
        case "!=":
          return c !== 0;
        case "<":
          return c < 0;
        case "<=":
          return c <= 0;
        case ">":
          return c > 0;
        case ">=":
          return c >= 0;
      }
    }
  }
}

export function matches(p: Predicate, row: Readonly<Record<string, RowValue>>): boolean {
  return evalP(p, row) === true;
}

/** A planner filter that keeps every file that may hold a matching row. */
export function toFilter(p: Predicate): Filter {
  switch (p.op) {
    case "is-null":
      return { op: "is-null", column: p.column };
    case "not-null":
      return { op: "not-null", column: p.column };
    case "and":
      return { op: "and", filters: p.args.map(toFilter) };
    case "or":
      return { op: "or", filters: p.args.map(toFilter) };
    case "not":
      return { op: "true" };
    case "cmp":
      switch (p.cmp) {
        case "=":
          return { op: "eq", column: p.column, value: p.value };
        case "<":
          return { op: "range", column: p.column, max: p.value, maxExclusive: true };
        case "<=":
          return { op: "range", column: p.column, max: p.value };
        // The planner has no exclusive minimum; an inclusive one keeps a superset.
        case ">":
        case ">=":
          return { op: "range", column: p.column, min: p.value };
        case "!=":
          return { op: "true" };
      }
  }
}
