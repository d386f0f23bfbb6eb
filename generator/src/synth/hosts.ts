import { formatIpv4, formatIpv6 } from "./address.ts";
import type { Prng } from "./prng.ts";

export interface Host {
  readonly address: string;
  readonly ipv6: boolean;
  readonly internal: boolean;
  /** Origin AS of the host's prefix. */
  readonly asn: number;
}

/** Our own network's AS (a 16-bit private ASN, as many enterprises use). */
export const LOCAL_ASN = 64512;

/**
 * Transit/content ASNs for external hosts, with realistic 4-byte ASNs
 * (> 65535) mixed in; NetFlow v5 cannot carry those and reports AS_TRANS.
 */
const EXTERNAL_ASNS = [
  13335, 15169, 16509, 32934, 8075, 20940, 2906, 3356, 1299, 174, 6939, 3320, 396982, 212238, 263692, 136907, 328608,
  398101, 206264, 4200000001,
];

/** First two octets of public-looking IPv4 /16s used for external hosts. */
const EXTERNAL_V4_PREFIXES: readonly (readonly [number, number])[] = [
  [104, 16],
  [142, 250],
  [151, 101],
  [185, 199],
  [31, 13],
  [52, 84],
  [93, 184],
  [198, 51],
  [203, 0],
  [91, 198],
];

/** First three groups of public-looking IPv6 /48s. */
const EXTERNAL_V6_PREFIXES: readonly (readonly [number, number, number])[] = [
  [0x2606, 0x4700, 0x10],
  [0x2a00, 0x1450, 0x4001],
  [0x2a03, 0x2880, 0xf12f],
  [0x2001, 0xdb8, 0x85a3],
  [0x2620, 0x1ec, 0xc11],
];

export interface HostPoolOptions {
  internalHosts: number;
  externalHosts: number;
  ipv6Share: number;
}

/**
 * A fixed pool of hosts built from the seed: internal hosts in 10.20.0.0/16
 * and fd00:20::/48, external hosts in public-looking prefixes. Hosts are
 * listed in popularity order (index 0 most popular) for Zipf draws.
 */
export class HostPool {
  readonly internalV4: Host[] = [];
  readonly internalV6: Host[] = [];
  readonly externalV4: Host[] = [];
  readonly externalV6: Host[] = [];

  constructor(rng: Prng, options: HostPoolOptions) {
    const seen = new Set<string>();
    const unique = (make: () => string): string => {
      for (;;) {
        const address = make();
        if (!seen.has(address)) {
          seen.add(address);
          return address;
        }
      }
    };
    for (let i = 0; i < options.internalHosts; i++) {
      this.internalV4.push({
        address: unique(() => formatIpv4([10, 20, rng.int(0, 255), rng.int(1, 254)])),
        ipv6: false,
        internal: true,
        asn: LOCAL_ASN,
      });
      this.internalV6.push({
        address: unique(() =>
          formatIpv6([0xfd00, 0x20, 0, rng.int(1, 16), 0, 0, rng.int(0, 0xffff), rng.int(1, 0xffff)]),
        ),
        ipv6: true,
        internal: true,
        asn: LOCAL_ASN,
      });
    }
    for (let i = 0; i < options.externalHosts; i++) {
      const [a, b] = rng.pick(EXTERNAL_V4_PREFIXES);
      this.externalV4.push({
        address: unique(() => formatIpv4([a, b, rng.int(0, 255), rng.int(1, 254)])),
        ipv6: false,
        internal: false,
        asn: rng.pick(EXTERNAL_ASNS),
      });
      const [g0, g1, g2] = rng.pick(EXTERNAL_V6_PREFIXES);
      this.externalV6.push({
        address: unique(() =>
          formatIpv6([
            g0,
            g1,
            g2,
            rng.int(0, 0xffff),
            rng.int(0, 0xffff),
            rng.int(0, 0xffff),
            rng.int(0, 0xffff),
            rng.int(1, 0xffff),
          ]),
        ),
        ipv6: true,
        internal: false,
        asn: rng.pick(EXTERNAL_ASNS),
      });
    }
  }
}
