/**
 * Postgres inet/cidr text → the cold tier's 16-byte address encoding.
 *
 * The cold tier stores addresses as 16-byte big-endian values, IPv4 mapped
 * into ::ffff:0:0/96, so a network is a contiguous byte range and CIDR
 * containment becomes two byte comparisons that Parquet statistics can prune.
 */

export interface Network {
  /** 16 bytes, IPv4 mapped into ::ffff:0:0/96. */
  readonly bytes: Uint8Array;
  /** Prefix length over the 16 bytes (an IPv4 /8 is 104). */
  readonly prefix: number;
  readonly family: 4 | 6;
}

/** Parses '10.0.0.0/8', '10.1.2.3', '2001:db8::/32', '::ffff:1.2.3.4'; null if not an address. */
export function parseInet(text: string): Network | null {
  const [addr, mask, extra] = text.trim().split("/");
  if (addr === undefined || extra !== undefined) return null;
  const v4 = parseIpv4(addr);
  const family = v4 !== null ? 4 : 6;
  const bytes = v4 !== null ? mapV4(v4) : parseIpv6(addr);
  if (bytes === null) return null;
  const max = family === 4 ? 32 : 128;
  if (mask !== undefined && !/^\d{1,3}$/.test(mask)) return null;
  const bits = mask === undefined ? max : Number(mask);
  if (bits > max) return null;
  return { bytes, prefix: bits + (family === 4 ? 96 : 0), family };
}

/** First and last 16-byte values of the network (host bits cleared / set). */
export function networkRange(net: Network): { readonly low: Uint8Array; readonly high: Uint8Array } {
  const low = new Uint8Array(16);
  const high = new Uint8Array(16);
  for (let i = 0; i < 16; i++) {
    const bitsHere = Math.max(0, Math.min(8, net.prefix - i * 8));
    const keep = bitsHere === 0 ? 0 : (0xff << (8 - bitsHere)) & 0xff;
    const byte = net.bytes[i] ?? 0;
    low[i] = byte & keep;
    high[i] = (byte & keep) | (~keep & 0xff);
  }
  return { low, high };
}

/** The `\xAB\xCD…` text DuckDB reads as a BLOB literal. */
export function blobLiteralText(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => `\\x${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
}

function parseIpv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    out.push(Number(p));
  }
  return out;
}

function mapV4(v4: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(16);
  bytes[10] = 0xff;
  bytes[11] = 0xff;
  bytes.set(v4, 12);
  return bytes;
}

function parseIpv6(text: string): Uint8Array | null {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (half: string | undefined): number[] | null => {
    if (half === undefined || half === "") return [];
    const out: number[] = [];
    const parts = half.split(":");
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] ?? "";
      if (i === parts.length - 1 && part.includes(".")) {
        const v4 = parseIpv4(part);
        if (v4 === null) return null;
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return null;
        out.push(Number.parseInt(part, 16));
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  if (head === null || tail === null) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...new Array<number>(halves.length === 1 ? 0 : missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return bytes;
}

/**
 * A 16-byte cold-tier address as Postgres prints the inet host (the same
 * rules as engine/inet-macros.sql): ::ffff:0:0/96 is IPv4, dotted; IPv6 in
 * lowercase groups with the first longest run of 2+ zero groups as '::',
 * and dotted last 32 bits when only they are set beyond a zero /96
 * (::1.2.3.4; but ::1 when the seventh group is zero too).
 */
export function formatInet(bytes: Uint8Array): string {
  const b = (i: number) => bytes[i] ?? 0;
  const dotted = `${b(12)}.${b(13)}.${b(14)}.${b(15)}`;
  const zeroTo = (n: number) => bytes.subarray(0, n).every((x) => x === 0);
  if (zeroTo(10) && b(10) === 0xff && b(11) === 0xff) return dotted;
  if (zeroTo(12) && (b(12) !== 0 || b(13) !== 0)) return `::${dotted}`;
  const groups = Array.from({ length: 8 }, (_, i) => (b(2 * i) << 8) | b(2 * i + 1));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLength))}`;
}
