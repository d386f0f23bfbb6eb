import type { Flow } from "../flow.ts";
import { isIpv6 } from "../flow.ts";
import { ipv4Bytes, ipv6Bytes } from "../synth/address.ts";

/** One field of a NetFlow v9 / IPFIX template: element id, length and how to write it. */
export interface TemplateField {
  readonly id: number;
  readonly length: number;
  write(buf: Buffer, off: number, flow: Flow, bootMs: number): void;
}

/** A template: its id, its fields and the fixed record length they add up to. */
export interface Template {
  readonly id: number;
  readonly fields: readonly TemplateField[];
  readonly recordLength: number;
}

export function makeTemplate(id: number, fields: readonly TemplateField[]): Template {
  return { id, fields, recordLength: fields.reduce((n, f) => n + f.length, 0) };
}

export function writeRecord(template: Template, buf: Buffer, off: number, flow: Flow, bootMs: number): number {
  let at = off;
  for (const field of template.fields) {
    field.write(buf, at, flow, bootMs);
    at += field.length;
  }
  return at;
}

/** Writes the (id, length) pairs of a template's fields; returns the next offset. */
export function writeFieldSpecs(buf: Buffer, off: number, fields: readonly { id: number; length: number }[]): number {
  let at = off;
  for (const field of fields) {
    buf.writeUInt16BE(field.id, at);
    buf.writeUInt16BE(field.length, at + 2);
    at += 4;
  }
  return at;
}

type NumericKey = "packets" | "bytes" | "proto" | "tos" | "tcp_flags" | "src_port" | "dst_port";

export const u8 = (id: number, key: NumericKey): TemplateField => ({
  id,
  length: 1,
  write: (buf, off, flow) => buf.writeUInt8(flow[key], off),
});
export const u16 = (id: number, key: NumericKey): TemplateField => ({
  id,
  length: 2,
  write: (buf, off, flow) => buf.writeUInt16BE(flow[key], off),
});
export const u32 = (id: number, key: "in_if" | "out_if" | "src_as" | "dst_as"): TemplateField => ({
  id,
  length: 4,
  write: (buf, off, flow) => buf.writeUInt32BE(flow[key], off),
});
export const u64 = (id: number, key: "packets" | "bytes"): TemplateField => ({
  id,
  length: 8,
  write: (buf, off, flow) => buf.writeBigUInt64BE(BigInt(flow[key]), off),
});
export const ipv4 = (id: number, key: "src_addr" | "dst_addr"): TemplateField => ({
  id,
  length: 4,
  write: (buf, off, flow) => ipv4Bytes(flow[key]).copy(buf, off),
});
export const ipv6 = (id: number, key: "src_addr" | "dst_addr"): TemplateField => ({
  id,
  length: 16,
  write: (buf, off, flow) => ipv6Bytes(flow[key]).copy(buf, off),
});

function endMs(flow: Flow): number {
  if (flow.ts_end === null) throw new Error("NetFlow v9/IPFIX records need a flow end time");
  return flow.ts_end;
}

/** v9 FIRST_SWITCHED / LAST_SWITCHED: sysUptime milliseconds. */
export const uptimeField = (id: number, which: "start" | "end"): TemplateField => ({
  id,
  length: 4,
  write: (buf, off, flow, bootMs) => buf.writeUInt32BE((which === "start" ? flow.ts : endMs(flow)) - bootMs, off),
});
/** IPFIX flowStartMilliseconds / flowEndMilliseconds: absolute milliseconds (dateTimeMilliseconds). */
export const absoluteMsField = (id: number, which: "start" | "end"): TemplateField => ({
  id,
  length: 8,
  write: (buf, off, flow) => buf.writeBigUInt64BE(BigInt(which === "start" ? flow.ts : endMs(flow)), off),
});

/**
 * Splits flows into template-based datagrams (v9 and IPFIX alike): each takes
 * as many consecutive flows as fit under MAX_DATAGRAM_BYTES, counting the IPv4
 * and IPv6 data sets separately because their records differ in size.
 */
export function packByFit(
  flows: readonly Flow[],
  fixedBytes: (datagramIndex: number) => number,
  dataBytes: (n4: number, n6: number) => number,
  maxBytes: number,
  what: string,
): Array<{ flows: readonly Flow[]; index: number }> {
  const out: Array<{ flows: readonly Flow[]; index: number }> = [];
  let start = 0;
  for (let index = 0; start < flows.length; index++) {
    const base = fixedBytes(index);
    let n4 = 0;
    let n6 = 0;
    let end = start;
    while (end < flows.length) {
      const v6 = isIpv6(flows[end]!.src_addr);
      if (base + dataBytes(n4 + (v6 ? 0 : 1), n6 + (v6 ? 1 : 0)) > maxBytes) break;
      if (v6) n6++;
      else n4++;
      end++;
    }
    if (end === start) throw new Error(`${what} record does not fit one datagram`);
    out.push({ flows: flows.slice(start, end), index });
    start = end;
  }
  return out;
}
