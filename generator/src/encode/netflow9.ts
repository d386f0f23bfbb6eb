import type { Flow } from "../flow.ts";
import { isIpv6 } from "../flow.ts";
import {
  type Encoder,
  type EncoderOptions,
  exportSeconds,
  MAX_DATAGRAM_BYTES,
  type Protocol,
  uptimeMs,
} from "./encoder.ts";
import {
  ipv4,
  ipv6,
  makeTemplate,
  packByFit,
  u8,
  u16,
  u32,
  u64,
  uptimeField,
  writeFieldSpecs,
  writeRecord,
} from "./template.ts";

/** NetFlow v9 field types (Cisco, RFC 3954 section 8). */
export const V9 = {
  IN_BYTES: 1,
  IN_PKTS: 2,
  PROTOCOL: 4,
  SRC_TOS: 5,
  TCP_FLAGS: 6,
  L4_SRC_PORT: 7,
  IPV4_SRC_ADDR: 8,
  INPUT_SNMP: 10,
  L4_DST_PORT: 11,
  IPV4_DST_ADDR: 12,
  OUTPUT_SNMP: 14,
  SRC_AS: 16,
  DST_AS: 17,
  LAST_SWITCHED: 21,
  FIRST_SWITCHED: 22,
  IPV6_SRC_ADDR: 27,
  IPV6_DST_ADDR: 28,
  SAMPLING_INTERVAL: 34,
  SAMPLING_ALGORITHM: 35,
} as const;

/** Options template scope type 1: System (RFC 3954 section 6.1). */
const SCOPE_SYSTEM = 1;

export const V9_TEMPLATE_IPV4 = 256;
export const V9_TEMPLATE_IPV6 = 257;
export const V9_TEMPLATE_SAMPLING = 258;

const HEADER_BYTES = 20;
const SET_HEADER_BYTES = 4;

function flowFields(family: 4 | 6) {
  const addr = family === 4 ? ipv4 : ipv6;
  return [
    u64(V9.IN_BYTES, "bytes"),
    u64(V9.IN_PKTS, "packets"),
    u8(V9.PROTOCOL, "proto"),
    u8(V9.SRC_TOS, "tos"),
    u8(V9.TCP_FLAGS, "tcp_flags"),
    u16(V9.L4_SRC_PORT, "src_port"),
    addr(family === 4 ? V9.IPV4_SRC_ADDR : V9.IPV6_SRC_ADDR, "src_addr"),
    u32(V9.INPUT_SNMP, "in_if"),
    u16(V9.L4_DST_PORT, "dst_port"),
    addr(family === 4 ? V9.IPV4_DST_ADDR : V9.IPV6_DST_ADDR, "dst_addr"),
    u32(V9.OUTPUT_SNMP, "out_if"),
    u32(V9.SRC_AS, "src_as"),
    u32(V9.DST_AS, "dst_as"),
    uptimeField(V9.LAST_SWITCHED, "end"),
    uptimeField(V9.FIRST_SWITCHED, "start"),
  ];
}

export const V9_IPV4 = makeTemplate(V9_TEMPLATE_IPV4, flowFields(4));
export const V9_IPV6 = makeTemplate(V9_TEMPLATE_IPV6, flowFields(6));

/** Sampling options: scope System (4 bytes), SAMPLING_INTERVAL (4), SAMPLING_ALGORITHM (1, 0x02 random). */
const OPTION_SCOPE = [{ id: SCOPE_SYSTEM, length: 4 }];
const OPTION_FIELDS = [
  { id: V9.SAMPLING_INTERVAL, length: 4 },
  { id: V9.SAMPLING_ALGORITHM, length: 1 },
];
const OPTION_RECORD_BYTES = 4 + 4 + 1;

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

/**
 * NetFlow v9 (RFC 3954): templates for IPv4 and IPv6 flows plus a
 * sampling-options template, (re)sent in the first datagram and every
 * templateRefreshPackets datagrams; data flowsets padded to 32 bits; the
 * header sequence counts datagrams.
 */
export class NetflowV9Encoder implements Encoder {
  readonly protocol: Protocol = "v9";
  readonly flowsPerDatagram = 20;
  private packetSequence = 0;

  constructor(private readonly options: EncoderOptions) {}

  encode(flows: readonly Flow[], exportMs: number): Buffer[] {
    const first = this.packetSequence;
    const refresh = this.options.templateRefreshPackets;
    const withTemplates = (index: number): boolean => (first + index) % refresh === 0;
    const parts = packByFit(
      flows,
      (index) => HEADER_BYTES + (withTemplates(index) ? templatesBytes() : 0),
      dataBytes,
      MAX_DATAGRAM_BYTES,
      "a NetFlow v9",
    );
    // encodeOne advances the datagram counter by one, in step with the indexes above.
    return parts.map((part) => this.encodeOne(part.flows, exportMs, withTemplates(part.index)));
  }

  private encodeOne(flows: readonly Flow[], exportMs: number, withTemplates: boolean): Buffer {
    const { bootMs, sourceId, samplingRate } = this.options;
    const v4 = flows.filter((f) => !isIpv6(f.src_addr));
    const v6 = flows.filter((f) => isIpv6(f.src_addr));
    const buf = Buffer.alloc(HEADER_BYTES + (withTemplates ? templatesBytes() : 0) + dataBytes(v4.length, v6.length));
    const secs = exportSeconds(exportMs);
    let records = 0;
    let off = HEADER_BYTES;
    if (withTemplates) {
      // Template flowset (id 0) with both flow templates.
      const start = off;
      buf.writeUInt16BE(0, off);
      off += SET_HEADER_BYTES;
      for (const template of [V9_IPV4, V9_IPV6]) {
        buf.writeUInt16BE(template.id, off);
        buf.writeUInt16BE(template.fields.length, off + 2);
        off = writeFieldSpecs(buf, off + 4, template.fields);
        records++;
      }
      buf.writeUInt16BE(off - start, start + 2);
      // Options template flowset (id 1), padded to 32 bits.
      const optStart = off;
      buf.writeUInt16BE(1, off);
      buf.writeUInt16BE(V9_TEMPLATE_SAMPLING, off + 4);
      buf.writeUInt16BE(OPTION_SCOPE.length * 4, off + 6);
      buf.writeUInt16BE(OPTION_FIELDS.length * 4, off + 8);
      off = writeFieldSpecs(buf, off + 10, [...OPTION_SCOPE, ...OPTION_FIELDS]);
      off += pad4(off - optStart);
      buf.writeUInt16BE(off - optStart, optStart + 2);
      records++;
      // Options data flowset: the sampling interval of the whole system.
      const dataStart = off;
      buf.writeUInt16BE(V9_TEMPLATE_SAMPLING, off);
      off += SET_HEADER_BYTES;
      buf.writeUInt32BE(0, off); // scope value: the system itself
      buf.writeUInt32BE(samplingRate, off + 4);
      buf.writeUInt8(2, off + 8); // random 1-in-N sampling
      off += OPTION_RECORD_BYTES;
      off += pad4(off - dataStart);
      buf.writeUInt16BE(off - dataStart, dataStart + 2);
      records++;
    }
    for (const [template, list] of [
      [V9_IPV4, v4],
      [V9_IPV6, v6],
    ] as const) {
      if (list.length === 0) continue;
      const start = off;
      buf.writeUInt16BE(template.id, off);
      off += SET_HEADER_BYTES;
      for (const flow of list) off = writeRecord(template, buf, off, flow, bootMs);
      off += pad4(off - start);
      buf.writeUInt16BE(off - start, start + 2);
      records += list.length;
    }
    buf.writeUInt16BE(9, 0);
    buf.writeUInt16BE(records, 2);
    buf.writeUInt32BE(uptimeMs(secs * 1000, bootMs), 4);
    buf.writeUInt32BE(secs, 8);
    buf.writeUInt32BE(this.packetSequence >>> 0, 12);
    buf.writeUInt32BE(sourceId, 16);
    this.packetSequence++;
    return buf;
  }
}

function setBytes(records: number, recordLength: number): number {
  if (records === 0) return 0;
  const body = SET_HEADER_BYTES + records * recordLength;
  return body + pad4(body);
}

function dataBytes(n4: number, n6: number): number {
  return setBytes(n4, V9_IPV4.recordLength) + setBytes(n6, V9_IPV6.recordLength);
}

function templatesBytes(): number {
  const templates = SET_HEADER_BYTES + 4 + V9_IPV4.fields.length * 4 + 4 + V9_IPV6.fields.length * 4;
  const optionsTemplate = 10 + (OPTION_SCOPE.length + OPTION_FIELDS.length) * 4;
  const optionsData = SET_HEADER_BYTES + OPTION_RECORD_BYTES;
  return templates + optionsTemplate + pad4(optionsTemplate) + optionsData + pad4(optionsData);
}
