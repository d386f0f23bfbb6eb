import type { Flow } from "../flow.ts";
import { isIpv6 } from "../flow.ts";
import { type Encoder, type EncoderOptions, exportSeconds, MAX_DATAGRAM_BYTES, type Protocol } from "./encoder.ts";
import {
  absoluteMsField,
  ipv4,
  ipv6,
  makeTemplate,
  packByFit,
  u8,
  u16,
  u32,
  u64,
  writeFieldSpecs,
  writeRecord,
} from "./template.ts";

/** IANA IPFIX information elements used here (RFC 7012 / IANA registry). */
export const IE = {
  octetDeltaCount: 1,
  packetDeltaCount: 2,
  protocolIdentifier: 4,
  ipClassOfService: 5,
  tcpControlBits: 6,
  sourceTransportPort: 7,
  sourceIPv4Address: 8,
  ingressInterface: 10,
  destinationTransportPort: 11,
  destinationIPv4Address: 12,
  egressInterface: 14,
  bgpSourceAsNumber: 16,
  bgpDestinationAsNumber: 17,
  sourceIPv6Address: 27,
  destinationIPv6Address: 28,
  observationDomainId: 149,
  flowStartMilliseconds: 152,
  flowEndMilliseconds: 153,
  samplingPacketInterval: 305,
  samplingPacketSpace: 306,
} as const;

export const IPFIX_TEMPLATE_IPV4 = 256;
export const IPFIX_TEMPLATE_IPV6 = 257;
export const IPFIX_TEMPLATE_SAMPLING = 258;

const HEADER_BYTES = 16;
const SET_HEADER_BYTES = 4;
const TEMPLATE_SET_ID = 2;
const OPTIONS_TEMPLATE_SET_ID = 3;

function flowFields(family: 4 | 6) {
  const addr = family === 4 ? ipv4 : ipv6;
  return [
    u64(IE.octetDeltaCount, "bytes"),
    u64(IE.packetDeltaCount, "packets"),
    u8(IE.protocolIdentifier, "proto"),
    u8(IE.ipClassOfService, "tos"),
    // tcpControlBits is 2 octets since RFC 7125; 1 octet is its reduced-size encoding (RFC 7011 section 6.2).
    u8(IE.tcpControlBits, "tcp_flags"),
    u16(IE.sourceTransportPort, "src_port"),
    addr(family === 4 ? IE.sourceIPv4Address : IE.sourceIPv6Address, "src_addr"),
    u32(IE.ingressInterface, "in_if"),
    u16(IE.destinationTransportPort, "dst_port"),
    addr(family === 4 ? IE.destinationIPv4Address : IE.destinationIPv6Address, "dst_addr"),
    u32(IE.egressInterface, "out_if"),
    u32(IE.bgpSourceAsNumber, "src_as"),
    u32(IE.bgpDestinationAsNumber, "dst_as"),
    absoluteMsField(IE.flowStartMilliseconds, "start"),
    absoluteMsField(IE.flowEndMilliseconds, "end"),
  ];
}

export const IPFIX_IPV4 = makeTemplate(IPFIX_TEMPLATE_IPV4, flowFields(4));
export const IPFIX_IPV6 = makeTemplate(IPFIX_TEMPLATE_IPV6, flowFields(6));

/**
 * Sampling options (RFC 5476 style): scoped to the observation domain,
 * samplingPacketInterval = 1 and samplingPacketSpace = N - 1, i.e. 1 of
 * every N packets, which pmacct reads as rate (interval + space) / interval.
 */
const OPTION_SCOPE = [{ id: IE.observationDomainId, length: 4 }];
const OPTION_FIELDS = [
  { id: IE.samplingPacketInterval, length: 4 },
  { id: IE.samplingPacketSpace, length: 4 },
];
const OPTION_RECORD_BYTES = 12;

/**
 * IPFIX (RFC 7011): message header with export time and a sequence number
 * counting data records (options data included) sent before the message,
 * template set (id 2), options template set (id 3), data sets.
 */
export class IpfixEncoder implements Encoder {
  readonly protocol: Protocol = "ipfix";
  readonly flowsPerDatagram = 18;
  private messages = 0;
  private dataRecords = 0;

  constructor(private readonly options: EncoderOptions) {}

  encode(flows: readonly Flow[], exportMs: number): Buffer[] {
    const first = this.messages;
    const refresh = this.options.templateRefreshPackets;
    const withTemplates = (index: number): boolean => (first + index) % refresh === 0;
    const parts = packByFit(
      flows,
      (index) => HEADER_BYTES + (withTemplates(index) ? templatesBytes() : 0),
      dataBytes,
      MAX_DATAGRAM_BYTES,
      "an IPFIX",
    );
    // encodeOne advances the datagram counter by one, in step with the indexes above.
    return parts.map((part) => this.encodeOne(part.flows, exportMs, withTemplates(part.index)));
  }

  private encodeOne(flows: readonly Flow[], exportMs: number, withTemplates: boolean): Buffer {
    const { bootMs, sourceId, samplingRate } = this.options;
    const v4 = flows.filter((f) => !isIpv6(f.src_addr));
    const v6 = flows.filter((f) => isIpv6(f.src_addr));
    const length = HEADER_BYTES + (withTemplates ? templatesBytes() : 0) + dataBytes(v4.length, v6.length);
    const buf = Buffer.alloc(length);
    buf.writeUInt16BE(10, 0);
    buf.writeUInt16BE(length, 2);
    buf.writeUInt32BE(exportSeconds(exportMs), 4);
    buf.writeUInt32BE(this.dataRecords >>> 0, 8);
    buf.writeUInt32BE(sourceId, 12);
    let off = HEADER_BYTES;
    if (withTemplates) {
      const start = off;
      buf.writeUInt16BE(TEMPLATE_SET_ID, off);
      off += SET_HEADER_BYTES;
      for (const template of [IPFIX_IPV4, IPFIX_IPV6]) {
        buf.writeUInt16BE(template.id, off);
        buf.writeUInt16BE(template.fields.length, off + 2);
        off = writeFieldSpecs(buf, off + 4, template.fields);
      }
      buf.writeUInt16BE(off - start, start + 2);

      const optStart = off;
      buf.writeUInt16BE(OPTIONS_TEMPLATE_SET_ID, off);
      buf.writeUInt16BE(IPFIX_TEMPLATE_SAMPLING, off + 4);
      buf.writeUInt16BE(OPTION_SCOPE.length + OPTION_FIELDS.length, off + 6);
      buf.writeUInt16BE(OPTION_SCOPE.length, off + 8);
      off = writeFieldSpecs(buf, off + 10, [...OPTION_SCOPE, ...OPTION_FIELDS]);
      buf.writeUInt16BE(off - optStart, optStart + 2);

      const dataStart = off;
      buf.writeUInt16BE(IPFIX_TEMPLATE_SAMPLING, off);
      off += SET_HEADER_BYTES;
      buf.writeUInt32BE(sourceId, off);
      buf.writeUInt32BE(1, off + 4);
      buf.writeUInt32BE(samplingRate - 1, off + 8);
      off += OPTION_RECORD_BYTES;
      buf.writeUInt16BE(off - dataStart, dataStart + 2);
      this.dataRecords++;
    }
    for (const [template, list] of [
      [IPFIX_IPV4, v4],
      [IPFIX_IPV6, v6],
    ] as const) {
      if (list.length === 0) continue;
      const start = off;
      buf.writeUInt16BE(template.id, off);
      off += SET_HEADER_BYTES;
      for (const flow of list) off = writeRecord(template, buf, off, flow, bootMs);
      buf.writeUInt16BE(off - start, start + 2);
    }
    this.dataRecords += flows.length;
    this.messages++;
    return buf;
  }
}

function dataBytes(n4: number, n6: number): number {
  return (
    (n4 > 0 ? SET_HEADER_BYTES + n4 * IPFIX_IPV4.recordLength : 0) +
    (n6 > 0 ? SET_HEADER_BYTES + n6 * IPFIX_IPV6.recordLength : 0)
  );
}

function templatesBytes(): number {
  const templates = SET_HEADER_BYTES + 4 + IPFIX_IPV4.fields.length * 4 + 4 + IPFIX_IPV6.fields.length * 4;
  const optionsTemplate = SET_HEADER_BYTES + 6 + (OPTION_SCOPE.length + OPTION_FIELDS.length) * 4;
  const optionsData = SET_HEADER_BYTES + OPTION_RECORD_BYTES;
  return templates + optionsTemplate + optionsData;
}
