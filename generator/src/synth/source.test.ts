import { describe, expect, it } from "vitest";
import type { Flow } from "../flow.ts";
import { defaultSynthConfig, type SynthConfig } from "./config.ts";
import { AS_TRANS, FlowSource, minPacketSize, PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP } from "./source.ts";

function flows(overrides: Partial<SynthConfig>, n: number): Flow[] {
  const source = new FlowSource({ ...defaultSynthConfig(), startMs: Date.UTC(2026, 0, 1), ...overrides });
  return Array.from({ length: n }, () => source.next());
}

const N = 20_000;

describe("FlowSource", () => {
  it("is deterministic by seed", () => {
    expect(flows({ seed: 7 }, 500)).toEqual(flows({ seed: 7 }, 500));
    expect(flows({ seed: 7 }, 500)).not.toEqual(flows({ seed: 8 }, 500));
  });

  it("keeps every flow within physical bounds", () => {
    // Collect violations and assert once: 20k flows x 20 expect() calls is slow.
    const problems: string[] = [];
    const check = (ok: boolean, what: string, f: Flow): void => {
      if (!ok && problems.length < 20) problems.push(`${what}: ${JSON.stringify(f)}`);
    };
    for (const f of flows({ seed: 1, exporters: ["127.0.0.1", "127.0.0.2"] }, N)) {
      const v6 = f.src_addr.includes(":");
      check(f.dst_addr.includes(":") === v6, "one address family", f);
      check(Number.isInteger(f.packets) && f.packets >= 1, "packets >= 1", f);
      check(f.bytes >= f.packets * Math.max(40, minPacketSize(v6, f.proto)), "bytes >= packets * min size", f);
      check(f.bytes <= f.packets * 1500 && f.bytes < 2 ** 32, "bytes <= packets * 1500", f);
      check(f.ts_end !== null && f.ts_end - f.ts >= 0 && f.ts_end - f.ts <= 120_000, "0 <= duration <= 120 s", f);
      check(f.packets > 1 || f.ts_end === f.ts, "one packet, no duration", f);
      check(f.proto === PROTO_TCP ? f.tcp_flags > 0 : f.tcp_flags === 0, "TCP flags on TCP only", f);
      if (f.proto === PROTO_ICMP || f.proto === PROTO_ICMPV6) {
        check(f.src_port === 0 && f.dst_port === 0, "ICMP has no ports", f);
        check(f.proto === (v6 ? PROTO_ICMPV6 : PROTO_ICMP), "ICMP matches the family", f);
      } else {
        check(f.src_port > 0 && f.dst_port > 0, "TCP/UDP have ports", f);
      }
      check(f.tos >= 0 && f.tos <= 255, "tos is a byte", f);
      check(f.in_if !== f.out_if, "in_if != out_if", f);
      check(f.exporter === "127.0.0.1" || f.exporter === "127.0.0.2", "exporter from the list", f);
      check(f.sampling_rate === 1, "sampling rate as configured", f);
    }
    expect(problems).toEqual([]);
  });

  it("has a realistic mix", () => {
    const all = flows({ seed: 3, ipv6Share: 0.3 }, N);
    const share = (p: (f: Flow) => boolean): number => all.filter(p).length / all.length;
    expect(share((f) => f.proto === PROTO_TCP)).toBeCloseTo(0.8, 1);
    expect(share((f) => f.proto === PROTO_UDP)).toBeCloseTo(0.18, 1);
    expect(share((f) => f.proto === PROTO_ICMP || f.proto === PROTO_ICMPV6)).toBeGreaterThan(0.01);
    expect(share((f) => f.src_addr.includes(":"))).toBeCloseTo(0.3, 1);
    expect(share((f) => f.tos === 0)).toBeGreaterThan(0.75);
    expect(share((f) => f.tos !== 0)).toBeGreaterThan(0.05);
    // Zipf-like ports: 443 leads, then 80; ephemeral source ports are common.
    const ports = new Map<number, number>();
    for (const f of all) for (const p of [f.src_port, f.dst_port]) ports.set(p, (ports.get(p) ?? 0) + 1);
    const top = [...ports.entries()].sort((a, b) => b[1] - a[1]).map(([p]) => p);
    expect(top[0]).toBe(443);
    expect(top.slice(0, 4)).toContain(80);
    expect(share((f) => f.src_port >= 32768 || f.dst_port >= 32768)).toBeGreaterThan(0.9 * 0.98);
    // Zipf-like hosts: the most popular address is in far more flows than the median one.
    const hosts = new Map<string, number>();
    for (const f of all) hosts.set(f.src_addr, (hosts.get(f.src_addr) ?? 0) + 1);
    const counts = [...hosts.values()].sort((a, b) => b - a);
    expect(counts[0]!).toBeGreaterThan(20 * counts[Math.floor(counts.length / 2)]!);
    // Heavy-tailed sizes: most flows are small, a few are huge.
    const packets = all.map((f) => f.packets).sort((a, b) => a - b);
    expect(packets[Math.floor(N / 2)]!).toBeLessThanOrEqual(3);
    expect(packets[N - 1]!).toBeGreaterThan(1000);
    // 4-byte AS numbers appear (v9/IPFIX carry them).
    expect(all.some((f) => f.src_as > 65535 || f.dst_as > 65535)).toBe(true);
  });

  it("fits NetFlow v5 in legacy mode", () => {
    const legacy = flows({ seed: 4, ipv6Share: 0, legacy16bit: true, timeResolutionMs: 1000 }, N);
    const bad = legacy.filter(
      (f) =>
        f.src_addr.includes(":") ||
        f.src_as > 65535 ||
        f.dst_as > 65535 ||
        f.in_if > 65535 ||
        f.out_if > 65535 ||
        f.ts % 1000 !== 0 ||
        f.ts_end! % 1000 !== 0,
    );
    expect(bad).toEqual([]);
    expect(flows({ seed: 4, ipv6Share: 0, legacy16bit: true }, N).some((f) => f.dst_as === AS_TRANS)).toBe(true);
    expect(() => flows({ ipv6Share: 0.1, legacy16bit: true }, 1)).toThrow(/IPv6/);
  });

  it("makes sFlow-shaped single packets", () => {
    const bad = flows({ seed: 5, singlePacket: true, samplingRate: 512 }, 5000).filter(
      (f) =>
        f.packets !== 1 ||
        f.ts_end !== null ||
        f.src_as !== 0 ||
        f.dst_as !== 0 ||
        f.bytes < 14 + minPacketSize(f.src_addr.includes(":"), f.proto) ||
        f.bytes > 1500 ||
        f.sampling_rate !== 512 ||
        (f.src_addr.includes(":") && f.tos !== 0),
    );
    expect(bad).toEqual([]);
  });

  it("spreads flows over the schedule; start-anchored flows come in time order", () => {
    const start = Date.UTC(2025, 5, 1);
    const all = flows({ seed: 6, startMs: start, flowsPerSecond: 10, timeAnchor: "start" }, 1000);
    for (let i = 1; i < all.length; i++) expect(all[i]!.ts).toBeGreaterThanOrEqual(all[i - 1]!.ts);
    expect(all[0]!.ts).toBe(start);
    expect(all[999]!.ts).toBe(start + 99_900);
    const ended = flows({ seed: 6, startMs: start, flowsPerSecond: 10, timeAnchor: "end" }, 1000);
    ended.forEach((f, i) => {
      expect(f.ts_end!).toBeLessThanOrEqual(start + i * 100);
      expect(f.ts_end!).toBeGreaterThan(start + i * 100 - 1000);
    });
  });
});
