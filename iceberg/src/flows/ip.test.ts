// Address codec checked against Node's own IP parser/formatter (node:net BlockList and
// the URL parser's IPv6 canonicalization) as independent references.
import { BlockList } from "node:net";
import { describe, expect, it } from "vitest";
import { compareBytes } from "../spec/conversions.ts";
import { cidrRange, decodeAddress, encodeAddress, isMappedV4 } from "./ip.ts";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
/** WHATWG URL canonicalizes IPv6 literals per RFC 5952 — an independent formatter. */
const canonicalV6 = (s: string): string => new URL(`http://[${s}]/`).hostname.slice(1, -1);

describe("address codec", () => {
  it("stores IPv4 as IPv4-mapped 16 bytes, big-endian", () => {
    expect(hex(encodeAddress("192.0.2.1"))).toBe("00000000000000000000ffffc0000201");
    expect(hex(encodeAddress("::ffff:192.0.2.1"))).toBe("00000000000000000000ffffc0000201");
    expect(hex(encodeAddress("2001:db8::1"))).toBe("20010db8000000000000000000000001");
    expect(hex(encodeAddress("::"))).toBe("0".repeat(32));
    expect(hex(encodeAddress("64:ff9b::1.2.3.4"))).toBe("0064ff9b000000000000000001020304");
  });

  it.each([
    "0.0.0.0",
    "10.1.2.3",
    "255.255.255.255",
    "::1",
    "2001:db8::1",
    "2001:db8:0:0:1:0:0:1",
    "fe80::1:2:3:4",
    "1:2:3:4:5:6:7:8",
    "::ffff:0:1.2.3.4",
    "64:ff9b::1.2.3.4",
    "2001:0db8:0000:0000:0000:ff00:0042:8329",
  ])("round trip keeps family and value: %s", (a) => {
    const b = encodeAddress(a);
    expect(b.length).toBe(16);
    const back = decodeAddress(b);
    const v4 = /^\d+\.\d+\.\d+\.\d+$/.test(a);
    expect(isMappedV4(b)).toBe(v4);
    expect(back).toBe(v4 ? a : canonicalV6(a));
  });

  it("rejects malformed input", () => {
    for (const bad of ["1.2.3", "1.2.3.256", "1::2::3", "12345::", "g::1", "", "1:2:3:4:5:6:7:8:9"]) {
      expect(() => encodeAddress(bad), bad).toThrow();
    }
  });

  it("a CIDR is one byte range and membership agrees with node:net BlockList", () => {
    const cases = ["10.0.0.0/8", "192.168.1.0/24", "0.0.0.0/0", "203.0.113.7/32", "2001:db8::/32", "fe80::/10", "::/0"];
    const probes = [
      "10.0.0.0",
      "10.255.255.255",
      "11.0.0.0",
      "9.255.255.255",
      "192.168.1.77",
      "192.168.2.1",
      "203.0.113.7",
      "203.0.113.8",
      "2001:db8::",
      "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff",
      "2001:db9::",
      "fe80::1",
      "febf::1",
      "fec0::",
      "::1",
    ];
    for (const c of cases) {
      const { lo, hi } = cidrRange(c);
      const [net, len] = c.split("/");
      const bl = new BlockList();
      bl.addSubnet(net!, Number(len), net!.includes(":") ? "ipv6" : "ipv4");
      for (const p of probes) {
        const b = encodeAddress(p);
        const inRange = compareBytes(lo, b) <= 0 && compareBytes(b, hi) <= 0;
        // BlockList treats v4 and v6 as separate families, as our mapped encoding does.
        const want = bl.check(p, p.includes(":") ? "ipv6" : "ipv4");
        expect(inRange, `${p} in ${c}`).toBe(want);
      }
    }
  });

  it("byte order equals address order for mixed families", () => {
    const sorted = ["::1", "1.2.3.4", "9.9.9.9", "2001:db8::1", "fe80::1"];
    const enc = sorted.map(encodeAddress);
    for (let i = 1; i < enc.length; i++) expect(compareBytes(enc[i - 1]!, enc[i]!)).toBeLessThan(0);
  });
});
