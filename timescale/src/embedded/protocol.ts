// Postgres wire-protocol (v3) messages the serving layer reads or writes itself.
// Everything else passes through to the engine untouched.

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Transaction status carried by ReadyForQuery: idle, in a transaction block, in a failed one. */
export type TxStatus = "I" | "T" | "E";

/** Fields of an ErrorResponse / NoticeResponse, keyed by their protocol field codes. */
export interface ErrorFields {
  severity: "ERROR" | "FATAL";
  code: string;
  message: string;
  detail?: string;
  hint?: string;
  position?: string;
  where?: string;
  schema?: string;
  table?: string;
  column?: string;
  dataType?: string;
  constraint?: string;
}

function message(type: string, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(body.byteLength + 5);
  out[0] = type.charCodeAt(0);
  new DataView(out.buffer).setInt32(1, body.byteLength + 4);
  out.set(body, 5);
  return out;
}

function cstrings(...parts: string[]): Uint8Array {
  const encoded = parts.map((p) => encoder.encode(p));
  const out = new Uint8Array(encoded.reduce((n, e) => n + e.byteLength + 1, 0));
  let offset = 0;
  for (const e of encoded) {
    out.set(e, offset);
    offset += e.byteLength + 1;
  }
  return out;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

const ERROR_FIELD_CODES: [keyof ErrorFields, string][] = [
  ["code", "C"],
  ["message", "M"],
  ["detail", "D"],
  ["hint", "H"],
  ["position", "P"],
  ["where", "W"],
  ["schema", "s"],
  ["table", "t"],
  ["column", "c"],
  ["dataType", "d"],
  ["constraint", "n"],
];

export function errorResponse(fields: ErrorFields): Uint8Array {
  const parts = [`S${fields.severity}`, `V${fields.severity}`];
  for (const [key, code] of ERROR_FIELD_CODES) {
    const value = fields[key];
    if (value !== undefined && value !== "") parts.push(`${code}${value}`);
  }
  parts.push("");
  return message("E", cstrings(...parts));
}

export function readyForQuery(status: TxStatus): Uint8Array {
  return message("Z", encoder.encode(status));
}

export function commandComplete(tag: string): Uint8Array {
  return message("C", cstrings(tag));
}

export function parameterStatus(name: string, value: string): Uint8Array {
  return message("S", cstrings(name, value));
}

/** CopyInResponse: overall format (0 text, 1 binary) and one format code per column. */
export function copyInResponse(binary: boolean, columns: number): Uint8Array {
  const body = new Uint8Array(3 + 2 * columns);
  const view = new DataView(body.buffer);
  body[0] = binary ? 1 : 0;
  view.setInt16(1, columns);
  for (let i = 0; i < columns; i++) view.setInt16(3 + 2 * i, binary ? 1 : 0);
  return message("G", body);
}

/** Frontend Query message, used to run the layer's own statements on the engine. */
export function queryMessage(sql: string): Uint8Array {
  return message("Q", cstrings(sql));
}

export function syncMessage(): Uint8Array {
  return message("S", new Uint8Array());
}

/** Frontend Close message for a prepared statement. */
export function closeStatementMessage(name: string): Uint8Array {
  return message("C", concat([encoder.encode("S"), cstrings(name)]));
}

/** The status of the ReadyForQuery that ends a response, if it ends with one. */
export function endingStatus(response: Uint8Array): TxStatus | undefined {
  const n = response.byteLength;
  if (n < 6) return undefined;
  const tail = response.subarray(n - 6);
  if (tail[0] !== 0x5a || tail[1] !== 0 || tail[2] !== 0 || tail[3] !== 0 || tail[4] !== 5) return undefined;
  const status = String.fromCharCode(tail[5] ?? 0);
  return status === "I" || status === "T" || status === "E" ? status : undefined;
}

/** One backend message split out of an engine response. */
export interface BackendMessage {
  type: string;
  body: Uint8Array;
}

export function* splitMessages(data: Uint8Array): Generator<BackendMessage> {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let offset = 0;
  while (offset + 5 <= data.byteLength) {
    const length = view.getInt32(offset + 1);
    yield { type: String.fromCharCode(data[offset] ?? 0), body: data.subarray(offset + 5, offset + 1 + length) };
    offset += 1 + length;
  }
}

/** Parses the fields of an ErrorResponse body. */
export function parseErrorFields(body: Uint8Array): ErrorFields {
  const fields: ErrorFields = { severity: "ERROR", code: "XX000", message: "" };
  const byCode = new Map(ERROR_FIELD_CODES.map(([key, code]) => [code, key]));
  let offset = 0;
  while (offset < body.byteLength && body[offset] !== 0) {
    const code = String.fromCharCode(body[offset] ?? 0);
    const end = body.indexOf(0, offset + 1);
    const value = decoder.decode(body.subarray(offset + 1, end));
    offset = end + 1;
    const key = byCode.get(code);
    if (code === "V") fields.severity = value === "FATAL" ? "FATAL" : "ERROR";
    else if (key) fields[key] = value as never;
  }
  return fields;
}

/** Text values of the DataRows in a response (NULL as null). */
export function dataRows(response: Uint8Array): (string | null)[][] {
  const rows: (string | null)[][] = [];
  for (const { type, body } of splitMessages(response)) {
    if (type !== "D") continue;
    const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    const count = view.getInt16(0);
    let offset = 2;
    const row: (string | null)[] = [];
    for (let i = 0; i < count; i++) {
      const length = view.getInt32(offset);
      offset += 4;
      if (length < 0) row.push(null);
      else {
        row.push(decoder.decode(body.subarray(offset, offset + length)));
        offset += length;
      }
    }
    rows.push(row);
  }
  return rows;
}

/** Text values of the DataRows of the first statement of a multi-statement response. */
export function firstResultRows(response: Uint8Array): (string | null)[][] {
  for (const { type, body } of splitMessages(response)) {
    if (type === "C") {
      const end = body.byteOffset - response.byteOffset + body.byteLength;
      return dataRows(response.subarray(0, end));
    }
  }
  return dataRows(response);
}

/** The first ErrorResponse of a response, if any. */
export function firstError(response: Uint8Array): ErrorFields | undefined {
  for (const { type, body } of splitMessages(response)) {
    if (type === "E") return parseErrorFields(body);
  }
  return undefined;
}

/** Reads a NUL-terminated string at offset; returns it and the offset after the NUL. */
export function readCString(data: Uint8Array, offset: number): [string, number] {
  const end = data.indexOf(0, offset);
  if (end < 0) throw new Error("unterminated string in protocol message");
  return [decoder.decode(data.subarray(offset, end)), end + 1];
}

/** The SQL text of a Query message or of a Parse message (after the statement name). */
export function queryText(msg: Uint8Array): string {
  if (msg[0] === 0x50) {
    const [, afterName] = readCString(msg, 5);
    return readCString(msg, afterName)[0];
  }
  return readCString(msg, 5)[0];
}

/** Body of a CopyFail message: the client's reason. */
export function copyFailReason(msg: Uint8Array): string {
  return readCString(msg, 5)[0];
}

export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export function quoteIdent(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}
