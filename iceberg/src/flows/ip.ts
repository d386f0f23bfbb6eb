/**
 * IP address codec for the Iceberg `binary` address columns.
 *
 * Every address is 16 bytes, big-endian; IPv4 is stored IPv4-mapped
 * (::ffff:a.b.c.d). One length for every value keeps byte order equal to
 * address order, so a CIDR is one contiguous byte range [lo, hi] and min/max
 * column bounds prune it. Decoding maps ::ffff:0:0/96 back to IPv4, so the
 * family survives the round trip to Postgres `inet` (a real IPv6 address in
 * ::ffff:0:0/96 would come back as IPv4 — that range is not routed on the
 * wire, so flows never carry it).
 */

export class InvalidAddressError extends Error {
  constructor(input: string) {
    super(`invalid IP address or CIDR: ${JSON.stringify(input)}`);
    this.name = "InvalidAddressError";
  }
}

function parseV4(s: string): number[] | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

/** Parses a textual IPv4 or IPv6 address into its 16-byte storage form. */
export function encodeAddress(text: string): Uint8Array {
  const out = new Uint8Array(16);
  const v4 = parseV4(text);
  if (v4) {
    out[10] = 0xff;
    out[11] = 0xff;
    out.set(v4, 12);
    return out;
  }
  const s = text.toLowerCase();
  if (!/^[0-9a-f:.]+$/.test(s) || s.length < 2) throw new InvalidAddressError(text);
  // An embedded dotted IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) is rewritten as two hextets.
  let groupsText = s;
  if (s.includes(".")) {
    const lastColon = s.lastIndexOf(":");
    const t = parseV4(s.slice(lastColon + 1));
    if (!t) throw new InvalidAddressError(text);
    groupsText = `${s.slice(0, lastColon + 1)}${((t[0]! << 8) | t[1]!).toString(16)}:${((t[2]! << 8) | t[3]!).toString(16)}`;
  }
  const halves = groupsText.split("::");
  if (halves.length > 2) throw new InvalidAddressError(text);
  const parse = (h: string): number[] => {
    if (h === "") return [];
    return h.split(":").map((g) => {
      if (!/^[0-9a-f]{1,4}$/.test(g)) throw new InvalidAddressError(text);
      return Number.parseInt(g, 16);
    });
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  let groups: number[];
  if (halves.length === 2) {
    const fill = 8 - head.length - rest.length;
    if (fill < 1) throw new InvalidAddressError(text);
    groups = [...head, ...new Array<number>(fill).fill(0), ...rest];
  } else {
    if (head.length !== 8) throw new InvalidAddressError(text);
    groups = head;
  }
  for (let i = 0; i < 8; i++) {
    out[i * 2] = groups[i]! >> 8;
    out[i * 2 + 1] = groups[i]! & 0xff;
  }
  return out;
}

/** True when the 16 bytes are in ::ffff:0:0/96, i.e. an IPv4 address. */
export function isMappedV4(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** The canonical text (IPv4 dotted quad, or RFC 5952 IPv6). */
export function decodeAddress(b: Uint8Array): string {
  if (b.length !== 16) throw new InvalidAddressError(`<${b.length} bytes>`);
  if (isMappedV4(b)) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[i * 2]! << 8) | b[i * 2 + 1]!);
  // RFC 5952: compress the longest run (≥2) of zero groups, the first one on ties.
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(":");
  if (bestStart < 0) return hex(g);
  return `${hex(g.slice(0, bestStart))}::${hex(g.slice(bestStart + bestLen))}`;
}

/**
 * The inclusive byte range [lo, hi] of a CIDR ("10.0.0.0/8", "2001:db8::/32", or a
 * bare address). An IPv4 prefix /n becomes the mapped prefix /(96+n).
 */
export function cidrRange(cidr: string): { lo: Uint8Array; hi: Uint8Array } {
  const slash = cidr.indexOf("/");
  const addr = slash < 0 ? cidr : cidr.slice(0, slash);
  const lo = encodeAddress(addr);
  const v4 = parseV4(addr) !== undefined;
  const max = v4 ? 32 : 128;
  const lenText = slash < 0 ? String(max) : cidr.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) throw new InvalidAddressError(cidr);
  const bits = (v4 ? 96 : 0) + Number(lenText);
  const hi = lo.slice();
  for (let bit = bits; bit < 128; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    lo[byte]! &= ~mask;
    hi[byte]! |= mask;
  }
  return { lo, hi };
}
