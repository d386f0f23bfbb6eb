import type { Flow } from "../flow.ts";
import { isIpv6 } from "../flow.ts";
import { ipv4Bytes } from "../synth/address.ts";
import {
  type Encoder,
  type EncoderOptions,
  exportSeconds,
  MAX_DATAGRAM_BYTES,
  type Protocol,
  uptimeMs,
} from "./encoder.ts";

const HEADER_BYTES = 24;
const RECORD_BYTES = 48;
/** Cisco allows 30 records; 28 keeps the datagram under MAX_DATAGRAM_BYTES (24 + 28 * 48 = 1368). */
export const V5_MAX_RECORDS = Math.min(30, Math.floor((MAX_DATAGRAM_BYTES - HEADER_BYTES) / RECORD_BYTES));

/**
 * NetFlow v5 (Cisco): a 24-byte header and fixed 48-byte IPv4 records. Flow
 * times are sysUptime milliseconds; the header's sampling field holds the
 * mode in its top two bits (01 = packet interval) and the interval below.
 */
export class NetflowV5Encoder implements Encoder {
  readonly protocol: Protocol = "v5";
  readonly flowsPerDatagram = V5_MAX_RECORDS;
  private flowSequence = 0;

  constructor(private readonly options: EncoderOptions) {
    if (options.samplingRate > 0x3fff)
      throw new Error(`NetFlow v5 sampling interval is 14 bits, got ${options.samplingRate}`);
  }

  encode(flows: readonly Flow[], exportMs: number): Buffer[] {
    const out: Buffer[] = [];
    for (let i = 0; i < flows.length; i += V5_MAX_RECORDS) {
      out.push(this.encodeOne(flows.slice(i, i + V5_MAX_RECORDS), exportMs));
    }
    return out;
  }

  private encodeOne(flows: readonly Flow[], exportMs: number): Buffer {
    const { bootMs, samplingRate, sourceId } = this.options;
    const buf = Buffer.alloc(HEADER_BYTES + flows.length * RECORD_BYTES);
    const secs = exportSeconds(exportMs);
    buf.writeUInt16BE(5, 0);
    buf.writeUInt16BE(flows.length, 2);
    buf.writeUInt32BE(uptimeMs(secs * 1000, bootMs), 4);
    buf.writeUInt32BE(secs, 8);
    buf.writeUInt32BE(0, 12); // unix_nsecs: export time is whole seconds
    buf.writeUInt32BE(this.flowSequence >>> 0, 16);
    buf.writeUInt8(0, 20); // engine_type
    buf.writeUInt8(sourceId & 0xff, 21); // engine_id
    buf.writeUInt16BE(samplingRate > 1 ? (1 << 14) | samplingRate : 0, 22);
    let off = HEADER_BYTES;
    for (const flow of flows) {
      if (isIpv6(flow.src_addr) || isIpv6(flow.dst_addr)) throw new Error("NetFlow v5 cannot carry IPv6 flows");
      if (flow.ts_end === null) throw new Error("NetFlow v5 needs a flow end time");
      ipv4Bytes(flow.src_addr).copy(buf, off);
      ipv4Bytes(flow.dst_addr).copy(buf, off + 4);
      buf.writeUInt32BE(0, off + 8); // nexthop
      buf.writeUInt16BE(flow.in_if, off + 12);
      buf.writeUInt16BE(flow.out_if, off + 14);
      buf.writeUInt32BE(flow.packets, off + 16);
      buf.writeUInt32BE(flow.bytes, off + 20);
      buf.writeUInt32BE(uptimeMs(flow.ts, bootMs), off + 24);
      buf.writeUInt32BE(uptimeMs(flow.ts_end, bootMs), off + 28);
      buf.writeUInt16BE(flow.src_port, off + 32);
      buf.writeUInt16BE(flow.dst_port, off + 34);
      buf.writeUInt8(0, off + 36); // pad1
      buf.writeUInt8(flow.tcp_flags, off + 37);
      buf.writeUInt8(flow.proto, off + 38);
      buf.writeUInt8(flow.tos, off + 39);
      buf.writeUInt16BE(flow.src_as, off + 40);
      buf.writeUInt16BE(flow.dst_as, off + 42);
      buf.writeUInt8(0, off + 44); // src_mask
      buf.writeUInt8(0, off + 45); // dst_mask
      off += RECORD_BYTES;
    }
    this.flowSequence += flows.length;
    return buf;
  }
}
