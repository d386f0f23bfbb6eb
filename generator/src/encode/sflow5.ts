import type { Flow } from "../flow.ts";
import { isIpv6 } from "../flow.ts";
import { ipv4Bytes, ipv6Bytes } from "../synth/address.ts";
import { type Encoder, type EncoderOptions, MAX_DATAGRAM_BYTES, type Protocol, uptimeMs } from "./encoder.ts";
import { frameLength, packetHeaders } from "./packet-header.ts";

/** sFlow v5 structure numbers (sflow_version_5.txt, enterprise 0). */
const FLOW_SAMPLE = 1;
const RAW_PACKET_HEADER = 1;
const HEADER_PROTOCOL_ETHERNET = 1;

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

/**
 * sFlow v5: one datagram carries several flow samples, each with exactly one
 * sampled packet as a raw packet header record (Ethernet + IP + L4 header).
 * Per-source sequence numbers and the sample pool grow as a 1-in-N sampler
 * would make them grow.
 */
export class SflowV5Encoder implements Encoder {
  readonly protocol: Protocol = "sflow";
  readonly flowsPerDatagram = 9;
  private datagramSequence = 0;
  private readonly sampleSequence = new Map<number, number>();
  private readonly agent: Buffer;
  private readonly agentV6: boolean;

  constructor(private readonly options: EncoderOptions) {
    this.agentV6 = isIpv6(options.exporter);
    this.agent = this.agentV6 ? ipv6Bytes(options.exporter) : ipv4Bytes(options.exporter);
  }

  encode(flows: readonly Flow[], sentMs: number): Buffer[] {
    const samples = flows.map((flow) => this.sample(flow));
    const out: Buffer[] = [];
    const headerBytes = 4 + 4 + this.agent.length + 4 + 4 + 4 + 4;
    let batch: Buffer[] = [];
    let size = headerBytes;
    const flush = (): void => {
      if (batch.length === 0) return;
      out.push(this.datagram(batch, sentMs, headerBytes));
      batch = [];
      size = headerBytes;
    };
    for (const sample of samples) {
      if (size + sample.length > MAX_DATAGRAM_BYTES) flush();
      batch.push(sample);
      size += sample.length;
    }
    flush();
    return out;
  }

  private datagram(samples: readonly Buffer[], sentMs: number, headerBytes: number): Buffer {
    const head = Buffer.alloc(headerBytes);
    let off = 0;
    head.writeUInt32BE(5, off);
    head.writeUInt32BE(this.agentV6 ? 2 : 1, off + 4);
    off += 8;
    this.agent.copy(head, off);
    off += this.agent.length;
    head.writeUInt32BE(this.options.sourceId, off); // sub_agent_id
    head.writeUInt32BE(++this.datagramSequence >>> 0, off + 4);
    head.writeUInt32BE(uptimeMs(sentMs, this.options.bootMs) >>> 0, off + 8);
    head.writeUInt32BE(samples.length, off + 12);
    return Buffer.concat([head, ...samples]);
  }

  private sample(flow: Flow): Buffer {
    const headers = packetHeaders(flow);
    const recordBody = 16 + headers.length + pad4(headers.length);
    const sampleBody = 32 + 8 + recordBody;
    const buf = Buffer.alloc(8 + sampleBody);
    const sequence = (this.sampleSequence.get(flow.in_if) ?? 0) + 1;
    this.sampleSequence.set(flow.in_if, sequence);
    let off = 0;
    buf.writeUInt32BE(FLOW_SAMPLE, off);
    buf.writeUInt32BE(sampleBody, off + 4);
    off += 8;
    buf.writeUInt32BE(sequence, off);
    buf.writeUInt32BE(flow.in_if & 0xffffff, off + 4); // source id: type 0 (ifIndex) << 24 | index
    buf.writeUInt32BE(flow.sampling_rate, off + 8);
    buf.writeUInt32BE((sequence * flow.sampling_rate) >>> 0, off + 12); // sample pool
    buf.writeUInt32BE(0, off + 16); // drops
    buf.writeUInt32BE(flow.in_if, off + 20);
    buf.writeUInt32BE(flow.out_if, off + 24);
    buf.writeUInt32BE(1, off + 28); // one flow record
    off += 32;
    buf.writeUInt32BE(RAW_PACKET_HEADER, off);
    buf.writeUInt32BE(recordBody, off + 4);
    off += 8;
    buf.writeUInt32BE(HEADER_PROTOCOL_ETHERNET, off);
    buf.writeUInt32BE(frameLength(flow), off + 4);
    buf.writeUInt32BE(0, off + 8); // stripped: no FCS in the frame length
    buf.writeUInt32BE(headers.length, off + 12);
    headers.copy(buf, off + 16);
    return buf;
  }
}
