import { writeFileSync } from "node:fs";
import { ipv4Checksum } from "../encode/packet-header.ts";
import { ipv4Bytes } from "../synth/address.ts";

/** LINKTYPE_RAW: each packet starts with its IP header. */
const LINKTYPE_RAW = 101;

export interface CapturedDatagram {
  /** Capture time, ms since epoch. */
  timeMs: number;
  srcAddress: string;
  srcPort: number;
  dstAddress: string;
  dstPort: number;
  payload: Buffer;
}

/**
 * Writes UDP/IPv4 datagrams as a classic libpcap file (magic 0xa1b2c3d4,
 * microsecond timestamps, LINKTYPE_RAW), so tools such as tshark can decode
 * exactly the bytes the generator sends.
 */
export function pcapFile(datagrams: readonly CapturedDatagram[]): Buffer {
  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0);
  global.writeUInt16LE(2, 4);
  global.writeUInt16LE(4, 6);
  global.writeInt32LE(0, 8); // thiszone
  global.writeUInt32LE(0, 12); // sigfigs
  global.writeUInt32LE(65535, 16); // snaplen
  global.writeUInt32LE(LINKTYPE_RAW, 20);
  const parts: Buffer[] = [global];
  datagrams.forEach((d, i) => {
    const packet = udpIpv4Packet(d, i);
    const record = Buffer.alloc(16);
    record.writeUInt32LE(Math.floor(d.timeMs / 1000), 0);
    record.writeUInt32LE((d.timeMs % 1000) * 1000, 4);
    record.writeUInt32LE(packet.length, 8);
    record.writeUInt32LE(packet.length, 12);
    parts.push(record, packet);
  });
  return Buffer.concat(parts);
}

export function writePcap(path: string, datagrams: readonly CapturedDatagram[]): void {
  writeFileSync(path, pcapFile(datagrams));
}

function udpIpv4Packet(d: CapturedDatagram, id: number): Buffer {
  const packet = Buffer.alloc(20 + 8 + d.payload.length);
  packet.writeUInt8(0x45, 0);
  packet.writeUInt16BE(packet.length, 2);
  packet.writeUInt16BE(id & 0xffff, 4);
  packet.writeUInt8(64, 8); // ttl
  packet.writeUInt8(17, 9); // UDP
  ipv4Bytes(d.srcAddress).copy(packet, 12);
  ipv4Bytes(d.dstAddress).copy(packet, 16);
  packet.writeUInt16BE(ipv4Checksum(packet.subarray(0, 20)), 10);
  packet.writeUInt16BE(d.srcPort, 20);
  packet.writeUInt16BE(d.dstPort, 22);
  packet.writeUInt16BE(8 + d.payload.length, 24);
  packet.writeUInt16BE(0, 26); // no UDP checksum (allowed over IPv4)
  d.payload.copy(packet, 28);
  return packet;
}
