/**
 * JSON parse/serialize that keeps 64-bit integers exact.
 *
 * Iceberg snapshot ids are random 63-bit integers and sequence numbers are
 * longs; `JSON.parse` turns them into doubles and silently changes them. This
 * small recursive-descent parser returns integer literals outside the safe
 * double range as `bigint` (safe ones stay `number`), and `stringifyJson`
 * writes a `bigint` as its decimal digits. No value ever passes through a
 * float on the way.
 */

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`${message} at position ${position}`);
    this.name = "JsonSyntaxError";
  }
}

export function parseJson(text: string): JsonValue {
  const p = new Parser(text);
  p.skipWs();
  const v = p.value();
  p.skipWs();
  if (p.pos !== text.length) throw new JsonSyntaxError("unexpected trailing characters", p.pos);
  return v;
}

class Parser {
  pos = 0;
  constructor(private readonly s: string) {}

  skipWs(): void {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.pos++;
      else break;
    }
  }

  value(): JsonValue {
    const c = this.s[this.pos];
    switch (c) {
      case "{":
        return this.object();
      case "[":
        return this.array();
      case '"':
        return this.string();
      case "t":
        return this.literal("true", true);
      case "f":
        return this.literal("false", false);
      case "n":
        return this.literal("null", null);
      default:
        if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return this.number();
        throw new JsonSyntaxError(
          c === undefined ? "unexpected end of input" : `unexpected character '${c}'`,
          this.pos,
        );
    }
  }

  private literal<T extends JsonValue>(word: string, v: T): T {
    if (this.s.startsWith(word, this.pos)) {
      this.pos += word.length;
      return v;
    }
    throw new JsonSyntaxError(`invalid literal`, this.pos);
  }

  private object(): JsonObject {
    const out: JsonObject = {};
    this.pos++;
    this.skipWs();
    if (this.s[this.pos] === "}") {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWs();
      if (this.s[this.pos] !== '"') throw new JsonSyntaxError("expected string key", this.pos);
      const k = this.string();
      this.skipWs();
      if (this.s[this.pos] !== ":") throw new JsonSyntaxError("expected ':'", this.pos);
      this.pos++;
      this.skipWs();
      // Own-property assignment via defineProperty so a "__proto__" key is data, not a prototype change.
      Object.defineProperty(out, k, { value: this.value(), enumerable: true, writable: true, configurable: true });
      this.skipWs();
      const c = this.s[this.pos++];
      if (c === "}") return out;
      if (c !== ",") throw new JsonSyntaxError("expected ',' or '}'", this.pos - 1);
    }
  }

  private array(): JsonValue[] {
    const out: JsonValue[] = [];
    this.pos++;
    this.skipWs();
    if (this.s[this.pos] === "]") {
      this.pos++;
      return out;
    }
    for (;;) {
      this.skipWs();
      out.push(this.value());
      this.skipWs();
      const c = this.s[this.pos++];
      if (c === "]") return out;
      if (c !== ",") throw new JsonSyntaxError("expected ',' or ']'", this.pos - 1);
    }
  }

  private string(): string {
    const start = ++this.pos;
    const s = this.s;
    // Fast path: no escapes.
    let i = start;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        this.pos = i + 1;
        return s.slice(start, i);
      }
      if (c === 0x5c || c < 0x20) break;
      i++;
    }
    let out = s.slice(start, i);
    for (;;) {
      if (i >= s.length) throw new JsonSyntaxError("unterminated string", start - 1);
      const c = s.charCodeAt(i);
      if (c === 0x22) {
        this.pos = i + 1;
        return out;
      }
      if (c < 0x20) throw new JsonSyntaxError("control character in string", i);
      if (c === 0x5c) {
        const e = s[i + 1];
        i += 2;
        switch (e) {
          case '"':
            out += '"';
            break;
          case "\\":
            out += "\\";
            break;
          case "/":
            out += "/";
            break;
          case "b":
            out += "\b";
            break;
          case "f":
            out += "\f";
            break;
          case "n":
            out += "\n";
            break;
          case "r":
            out += "\r";
            break;
          case "t":
            out += "\t";
            break;
          case "u": {
            const hex = s.slice(i, i + 4);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JsonSyntaxError("invalid unicode escape", i);
            out += String.fromCharCode(Number.parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            throw new JsonSyntaxError("invalid escape", i - 1);
        }
      } else {
        out += s[i];
        i++;
      }
    }
  }

  private number(): number | bigint {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.s.slice(this.pos, this.pos + 400));
    if (m === null) throw new JsonSyntaxError("invalid number", this.pos);
    const lit = m[0];
    this.pos += lit.length;
    if (m[2] === undefined && m[3] === undefined) {
      const n = Number(lit);
      return Number.isSafeInteger(n) ? n : BigInt(lit);
    }
    return Number(lit);
  }
}

/** Serialize with optional indentation; `bigint` is written as exact digits. */
export function stringifyJson(v: JsonValue, indent = 0): string {
  return write(v, indent, "");
}

function write(v: JsonValue, indent: number, pad: string): string {
  if (v === null) return "null";
  switch (typeof v) {
    case "boolean":
      return v ? "true" : "false";
    case "bigint":
      return v.toString();
    case "number":
      if (!Number.isFinite(v)) throw new TypeError(`cannot serialize ${v} as JSON`);
      return JSON.stringify(v);
    case "string":
      return JSON.stringify(v);
  }
  const inner = indent > 0 ? pad + " ".repeat(indent) : "";
  const nl = indent > 0 ? "\n" : "";
  const sep = indent > 0 ? ": " : ":";
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return `[${nl}${v.map((x) => inner + write(x, indent, inner)).join(`,${nl}`)}${nl}${pad}]`;
  }
  const entries = Object.entries(v).filter(([, x]) => x !== undefined);
  if (entries.length === 0) return "{}";
  return `{${nl}${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}${sep}${write(x, indent, inner)}`).join(`,${nl}`)}${nl}${pad}}`;
}
