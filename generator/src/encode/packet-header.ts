import type { Flow } from "../flow.ts";
import { isIpv6 } from "../flow.ts";
import { ipv4Bytes, ipv6Bytes } from "../synth/address.ts";
import { ETHERNET_HEADER_BYTES, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP } from "../synth/source.ts";

const ETH_BYTES = ETHERNET_HEADER_BYTES;
/** Locally administered MACs: the router's and a host's. */
const ROUTER_MAC = Buffer.from([0x02, 0x00, 0x5e, 0x10, 0x00, 0x01]);
const HOST_MAC = Buffer.from([0x02, 0x00, 0x5e, 0x10, 0x00, 0x02]);

/**
 * The headers of one sampled packet of the flow: Ethernet, IPv4 or IPv6 and
 * the TCP/UDP/ICMP header, no payload. The flow's bytes are the frame length
 * (what sFlow collectors count); the IP length fields carry that minus the
 * 14-byte Ethernet header.
 */
export function packetHeaders(flow: Flow): Buffer {
  const v6 = isIpv6(flow.src_addr);
  const ipLength = flow.bytes - ETH_BYTES;
  const ipBytes = v6 ? 40 : 20;
  const l4Bytes = flow.proto === PROTO_TCP ? 20 : flow.proto === PROTO_UDP ? 8 : 8;
  const buf = Buffer.alloc(ETH_BYTES + ipBytes + l4Bytes);
  ROUTER_MAC.copy(buf, 0);
  HOST_MAC.copy(buf, 6);
  buf.writeUInt16BE(v6 ? 0x86dd : 0x0800, 12);
  const ip = ETH_BYTES;
  if (v6) {
    buf.writeUInt32BE(((6 << 28) | (flow.tos << 20)) >>> 0, ip);
    buf.writeUInt16BE(ipLength - 40, ip + 4);
    buf.writeUInt8(flow.proto, ip + 6);
    buf.writeUInt8(64, ip + 7);
    ipv6Bytes(flow.src_addr).copy(buf, ip + 8);
    ipv6Bytes(flow.dst_addr).copy(buf, ip + 24);
  } else {
    buf.writeUInt8(0x45, ip);
    buf.writeUInt8(flow.tos, ip + 1);
    buf.writeUInt16BE(ipLength, ip + 2);
    buf.writeUInt16BE(flow.src_port ^ flow.dst_port, ip + 4); // identification
    buf.writeUInt16BE(0x4000, ip + 6); // DF
    buf.writeUInt8(64, ip + 8);
    buf.writeUInt8(flow.proto, ip + 9);
    ipv4Bytes(flow.src_addr).copy(buf, ip + 12);
    ipv4Bytes(flow.dst_addr).copy(buf, ip + 16);
    buf.writeUInt16BE(ipv4Checksum(buf.subarray(ip, ip + 20)), ip + 10);
  }
  const l4 = ip + ipBytes;
  if (flow.proto === PROTO_TCP) {
    buf.writeUInt16BE(flow.src_port, l4);
    buf.writeUInt16BE(flow.dst_port, l4 + 2);
    buf.writeUInt32BE(1, l4 + 4); // sequence
    buf.writeUInt32BE(flow.tcp_flags & 0x10 ? 1 : 0, l4 + 8); // acknowledgment
    buf.writeUInt8(5 << 4, l4 + 12); // data offset: 20 bytes
    buf.writeUInt8(flow.tcp_flags, l4 + 13);
    buf.writeUInt16BE(65535, l4 + 14); // window
  } else if (flow.proto === PROTO_UDP) {
    buf.writeUInt16BE(flow.src_port, l4);
    buf.writeUInt16BE(flow.dst_port, l4 + 2);
    buf.writeUInt16BE(ipLength - ipBytes, l4 + 4);
  } else if (flow.proto === PROTO_ICMP || flow.proto === PROTO_ICMPV6) {
    buf.writeUInt8(flow.proto === PROTO_ICMP ? 8 : 128, l4); // echo request
  }
  return buf;
}

/** The Ethernet frame length of the sampled packet (without FCS): the flow's bytes. */
export function frameLength(flow: Flow): number {
  return flow.bytes;
}

export function ipv4Checksum(header: Buffer): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += header.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
