/**
 * Address text formatting. IPv6 uses the canonical RFC 5952 form (lowercase,
 * no leading zeros, the longest run of two or more zero groups as "::"), which
 * is what Postgres `inet` and tshark print, so logged values compare as text.
 */
export function formatIpv4(octets: readonly number[]): string {
  return octets.join(".");
}

export function formatIpv6(groups: readonly number[]): string {
  if (groups.length !== 8) throw new Error(`an IPv6 address has 8 groups, got ${groups.length}`);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

/** The 4 bytes of a dotted-quad IPv4 address. */
export function ipv4Bytes(address: string): Buffer {
  const parts = address.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`not an IPv4 address: ${address}`);
  }
  return Buffer.from(parts);
}

/** The 16 bytes of an IPv6 address in text form (with optional "::"). */
export function ipv6Bytes(address: string): Buffer {
  const [head, tail, extra] = address.split("::");
  if (extra !== undefined) throw new Error(`not an IPv6 address: ${address}`);
  const parse = (s: string | undefined): number[] => (s ? s.split(":").map((g) => Number.parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  const zeros = tail === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...new Array<number>(zeros).fill(0), ...right];
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) {
    throw new Error(`not an IPv6 address: ${address}`);
  }
  const out = Buffer.alloc(16);
  for (const [i, g] of groups.entries()) out.writeUInt16BE(g, i * 2);
  return out;
}
