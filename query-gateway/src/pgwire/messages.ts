/**
 * Postgres wire protocol (v3) messages: the backend messages the wire server
 * writes and readers for the frontend messages it handles itself.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

export type TxStatus = "I" | "T" | "E";

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}

function cstring(s: string): Buffer {
  return Buffer.concat([Buffer.from(s, "utf8"), Buffer.from([0])]);
}

function message(type: string, ...body: Buffer[]): Buffer {
  const payload = Buffer.concat(body);
  const head = Buffer.alloc(5);
  head.write(type, 0, "latin1");
  head.writeInt32BE(payload.length + 4, 1);
  return Buffer.concat([head, payload]);
}

export const authenticationOk = (): Buffer => message("R", int32(0));
/** AuthenticationSASL offering SCRAM-SHA-256 only (no channel binding). */
export const authenticationSasl = (): Buffer => message("R", int32(10), cstring("SCRAM-SHA-256"), Buffer.from([0]));
export const authenticationSaslContinue = (data: string): Buffer => message("R", int32(11), Buffer.from(data));
export const authenticationSaslFinal = (data: string): Buffer => message("R", int32(12), Buffer.from(data));
export const parameterStatus = (name: string, value: string): Buffer => message("S", cstring(name), cstring(value));
export const backendKeyData = (pid: number, secret: number): Buffer => message("K", int32(pid), int32(secret));
export const readyForQuery = (status: TxStatus): Buffer => message("Z", Buffer.from(status));
export const commandComplete = (tag: string): Buffer => message("C", cstring(tag));
export const emptyQueryResponse = (): Buffer => message("I");
export const parseComplete = (): Buffer => message("1");
export const bindComplete = (): Buffer => message("2");
export const closeComplete = (): Buffer => message("3");
export const noData = (): Buffer => message("n");
export const parameterDescription = (oids: readonly number[]): Buffer =>
  message("t", int16(oids.length), ...oids.map(int32));

export interface FieldDescription {
  readonly name: string;
  readonly typeOid: number;
  readonly typeSize: number;
  readonly typeModifier?: number;
  readonly tableOid?: number;
  readonly columnId?: number;
}

export function rowDescription(fields: readonly FieldDescription[]): Buffer {
  const parts = fields.map((f) =>
    Buffer.concat([
      cstring(f.name),
      int32(f.tableOid ?? 0),
      int16(f.columnId ?? 0),
      int32(f.typeOid),
      int16(f.typeSize),
      int32(f.typeModifier ?? -1),
      int16(0),
    ]),
  );
  return message("T", int16(fields.length), ...parts);
}

export function dataRow(values: readonly (string | null)[]): Buffer {
  const parts: Buffer[] = [int16(values.length)];
  for (const v of values) {
    if (v === null) parts.push(int32(-1));
    else {
      const bytes = Buffer.from(v, "utf8");
      parts.push(int32(bytes.length), bytes);
    }
  }
  return message("D", ...parts);
}

export interface ErrorFields {
  readonly severity: "ERROR" | "FATAL";
  /** SQLSTATE. */
  readonly code: string;
  readonly message: string;
  readonly detail?: string;
  readonly hint?: string;
  /** 1-based character position in the statement. */
  readonly position?: number;
}

export function errorResponse(e: ErrorFields): Buffer {
  const fields = [`S${e.severity}`, `V${e.severity}`, `C${e.code}`, `M${e.message}`];
  if (e.detail) fields.push(`D${e.detail}`);
  if (e.hint) fields.push(`H${e.hint}`);
  if (e.position !== undefined) fields.push(`P${e.position}`);
  return message("E", ...fields.map(cstring), Buffer.from([0]));
}

/** Sequential reader over one frontend message (type byte and length included). */
export class MessageReader {
  private offset: number;
  private readonly buf: Buffer;

  constructor(data: Uint8Array, offset = 5) {
    this.buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.offset = offset;
  }

  get type(): string {
    return String.fromCharCode(this.buf[0] ?? 0);
  }

  int16(): number {
    const v = this.buf.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    const v = this.buf.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  byte(): string {
    return String.fromCharCode(this.buf[this.offset++] ?? 0);
  }

  cstring(): string {
    const end = this.buf.indexOf(0, this.offset);
    if (end < 0) throw new Error("unterminated string in protocol message");
    const s = this.buf.toString("utf8", this.offset, end);
    this.offset = end + 1;
    return s;
  }

  bytes(n: number): Buffer {
    const b = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }

  rest(): Buffer {
    return this.buf.subarray(this.offset);
  }
}

export interface ParseMessage {
  readonly statement: string;
  readonly sql: string;
  readonly paramTypes: readonly number[];
}

export function readParse(r: MessageReader): ParseMessage {
  const statement = r.cstring();
  const sql = r.cstring();
  const n = r.int16();
  const paramTypes: number[] = [];
  for (let i = 0; i < n; i++) paramTypes.push(r.int32());
  return { statement, sql, paramTypes };
}

export interface BindMessage {
  readonly portal: string;
  readonly statement: string;
  readonly paramFormats: readonly number[];
  readonly params: readonly (Buffer | null)[];
  readonly resultFormats: readonly number[];
}

export function readBind(r: MessageReader): BindMessage {
  const portal = r.cstring();
  const statement = r.cstring();
  const paramFormats: number[] = [];
  for (let i = 0, n = r.int16(); i < n; i++) paramFormats.push(r.int16());
  const params: (Buffer | null)[] = [];
  for (let i = 0, n = r.int16(); i < n; i++) {
    const len = r.int32();
    params.push(len < 0 ? null : r.bytes(len));
  }
  const resultFormats: number[] = [];
  for (let i = 0, n = r.int16(); i < n; i++) resultFormats.push(r.int16());
  return { portal, statement, paramFormats, params, resultFormats };
}

/** A startup-phase request code (SSLRequest, CancelRequest, GSSENCRequest) or the protocol version. */
export function startupCode(data: Uint8Array): number | undefined {
  if (data.byteLength < 8) return undefined;
  return new DataView(data.buffer, data.byteOffset, data.byteLength).getInt32(4);
}

export const PROTOCOL_3 = 196608;
export const CANCEL_REQUEST = 80877102;
export const GSSENC_REQUEST = 80877104;

/** Parameters of a StartupMessage. */
export function readStartup(data: Uint8Array): Record<string, string> {
  const r = new MessageReader(data, 8);
  const params: Record<string, string> = {};
  for (;;) {
    const key = r.cstring();
    if (key === "") break;
    params[key] = r.cstring();
  }
  return params;
}
