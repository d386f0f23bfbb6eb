import { readFile } from "node:fs/promises";

/** One UDP datagram from a capture. */
export interface CapturedDatagram {
  /** Capture time, ms since the epoch. */
  tsMs: number;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_RAW = 101;
const LINKTYPE_LINUX_SLL = 113;

/**
 * Reads the UDP datagrams of a classic libpcap file (either byte order,
 * micro- or nanosecond timestamps; Ethernet with optional VLAN tags, Linux
 * cooked or raw IP), in file order. IP fragments and non-UDP packets are
 * skipped. Enough for replaying exporter captures; pcapng is not supported.
 */
export async function readPcapUdp(path: string): Promise<CapturedDatagram[]> {
  const buf = await readFile(path);
  const magic = buf.readUInt32LE(0);
  let le: boolean;
  let nanos: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) {
    le = true;
    nanos = magic === 0xa1b23c4d;
  } else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) {
    le = false;
    nanos = magic === 0x4d3cb2a1;
  } else {
    throw new Error(
      `${path} is not a classic pcap file (magic ${magic.toString(16)}); convert pcapng with editcap -F pcap`,
    );
  }
  const u32 = (off: number): number => (le ? buf.readUInt32LE(off) : buf.readUInt32BE(off));
  const linkType = u32(20) & 0x0fffffff;
  const out: CapturedDatagram[] = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const capLen = u32(off + 8);
    const frame = buf.subarray(off + 16, off + 16 + capLen);
    off += 16 + capLen;
    const tsMs = sec * 1000 + (nanos ? frac / 1e6 : frac / 1e3);
    const ip = ipPayload(frame, linkType);
    if (ip === null) continue;
    const datagram = udpFromIp(ip);
    if (datagram !== null) out.push({ tsMs, ...datagram });
  }
  return out;
}

function ipPayload(frame: Buffer, linkType: number): Buffer | null {
  if (linkType === LINKTYPE_RAW) return frame;
  let off: number;
  let etherType: number;
  if (linkType === LINKTYPE_ETHERNET) {
    off = 14;
    etherType = frame.readUInt16BE(12);
  } else if (linkType === LINKTYPE_LINUX_SLL) {
    off = 16;
    etherType = frame.readUInt16BE(14);
  } else {
    throw new Error(`unsupported pcap link type ${linkType}`);
  }
  while (etherType === 0x8100 || etherType === 0x88a8) {
    etherType = frame.readUInt16BE(off + 2);
    off += 4;
  }
  return etherType === 0x0800 || etherType === 0x86dd ? frame.subarray(off) : null;
}

function udpFromIp(ip: Buffer): Omit<CapturedDatagram, "tsMs"> | null {
  const version = ip[0]! >> 4;
  let proto: number;
  let headerLen: number;
  let src: string;
  let dst: string;
  if (version === 4) {
    headerLen = (ip[0]! & 0x0f) * 4;
    const fragment = ip.readUInt16BE(6) & 0x3fff;
    if (fragment !== 0) return null;
    proto = ip[9]!;
    src = [...ip.subarray(12, 16)].join(".");
    dst = [...ip.subarray(16, 20)].join(".");
  } else if (version === 6) {
    headerLen = 40;
    proto = ip[6]!;
    src = ipv6(ip.subarray(8, 24));
    dst = ipv6(ip.subarray(24, 40));
  } else {
    return null;
  }
  if (proto !== 17) return null;
  const udp = ip.subarray(headerLen);
  const length = udp.readUInt16BE(4);
  return {
    src,
    dst,
    srcPort: udp.readUInt16BE(0),
    dstPort: udp.readUInt16BE(2),
    payload: Buffer.from(udp.subarray(8, Math.min(length, udp.length))),
  };
}

function ipv6(bytes: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(":");
}
