/**
 * Real exporter captures replayed through the collector (real nfacctd and
 * sfacctd) into the embedded TimescaleDB: each file lands with the README's
 * 1-pass flow-record count, and every field matches tshark's decode of the
 * same packets. The clock-skew guard is off: these captures are years old.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPcapUdp } from "../pmacct/src/replay/pcap.ts";
import { replayPayloads } from "../pmacct/src/replay/send.ts";
import { type IngestStack, startIngestStack, waitForCount } from "../pmacct/src/testing/harness.ts";

// shared/ sits beside the repository (as in CI); NETFLOW_FIXTURES overrides it.
const FIXTURES =
  process.env.NETFLOW_FIXTURES ?? fileURLToPath(new URL("../../shared/fixtures/netflow-pcaps", import.meta.url));

/** From the fixtures' README: flow records a one-pass decoder sees (option records are not flows). */
const NETFLOW_FILES = [
  { file: "freebsd-ng_netflow-nfv5.pcap", flows: 120 },
  { file: "nprobe-nfv9-options.pcap", flows: 892 },
  { file: "nprobe-v5-and-v9-mixed.pcap", flows: 152 },
  { file: "softflowd-nfv9.pcap", flows: 18 },
  { file: "cisco-asr9k-nfv9-options.WRAPPED.pcap", flows: 21 },
  { file: "mikrotik-nfv5.WRAPPED.pcap", flows: 30 },
  { file: "h3c-netstream-nfv9-varstring.WRAPPED.pcap", flows: 1 },
] as const;
const SFLOW_FILE = { file: "sflow5-over-ipv6.pcap", samples: 13 };

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

/** A flow as both sides describe it; times in ms since the epoch. */
interface Row {
  ts: number;
  ts_end: number | null;
  src_addr: string;
  dst_addr: string;
  src_port: number;
  dst_port: number;
  proto: number;
  tos: number;
  tcp_flags: number;
  in_if: number;
  out_if: number;
  src_as: number;
  dst_as: number;
  packets: number;
  bytes: number;
}

function tsharkJson(path: string, port: number, dissector: string): Obj[] {
  const out = execFileSync(
    "tshark",
    ["-r", path, "-d", `udp.port==${port},${dissector}`, "-T", "json", "--no-duplicate-keys"],
    { maxBuffer: 1 << 30, stdio: ["ignore", "pipe", "ignore"] },
  ).toString("utf8");
  return JSON.parse(out) as Obj[];
}

function findAll(node: Json | undefined, predicate: (o: Obj) => boolean, found: Obj[] = []): Obj[] {
  if (Array.isArray(node)) for (const item of node) findAll(item, predicate, found);
  else if (node !== null && typeof node === "object") {
    if (predicate(node)) found.push(node);
    else for (const value of Object.values(node)) findAll(value, predicate, found);
  }
  return found;
}

const text = (v: Json | undefined): string => (typeof v === "string" ? v : "");
/** Absent fields are 0, as pmacct writes them. tshark prints decimal or 0x-hex. */
const num = (v: Json | undefined): number => {
  const t = text(v);
  if (t === "") return 0;
  return t.startsWith("0x") ? Number.parseInt(t, 16) : Number(t);
};
/** "172798.653000000" s -> ms, exactly. */
const ms = (t: string): number => {
  const [whole, frac = ""] = t.split(".");
  return Number(whole) * 1000 + Number(`${frac}000`.slice(0, 3));
};

/**
 * Flow records by tshark, one pass in file order, with the times pmacct 1.7.7
 * computes from sysUptime-relative fields: unix_secs - floor((sysUptime -
 * switched) / 1000) whole seconds (unsigned 32-bit difference) — pmacct
 * keeps no sub-second part of these times, a documented precision limit.
 */
function tsharkNetflow(path: string): Row[] {
  const rows: Row[] = [];
  for (const packet of tsharkJson(path, 2055, "cflow")) {
    for (const cflow of findAll(packet, (o) => "cflow.version" in o)) {
      const unixSecs = num((cflow["cflow.timestamp_tree"] as Obj | undefined)?.["cflow.unix_secs"]);
      const uptimeMs = ms(text(cflow["cflow.sysuptime"]));
      const pmacctTime = (switched: string): number =>
        (unixSecs - Math.floor(((((uptimeMs - ms(switched)) % 2 ** 32) + 2 ** 32) % 2 ** 32) / 1000)) * 1000;
      for (const r of findAll(cflow, (o) => "cflow.srcaddr" in o || "cflow.srcaddrv6" in o)) {
        const times = (r["cflow.timedelta_tree"] as Obj | undefined) ?? {};
        rows.push({
          ts: pmacctTime(text(times["cflow.timestart"])),
          ts_end: pmacctTime(text(times["cflow.timeend"])),
          src_addr: text(r["cflow.srcaddr"] ?? r["cflow.srcaddrv6"]),
          dst_addr: text(r["cflow.dstaddr"] ?? r["cflow.dstaddrv6"]),
          src_port: num(r["cflow.srcport"]),
          dst_port: num(r["cflow.dstport"]),
          proto: num(r["cflow.protocol"]),
          tos: num(r["cflow.tos"]),
          tcp_flags: num(r["cflow.tcpflags"]),
          in_if: num(r["cflow.inputint"]),
          out_if: num(r["cflow.outputint"]),
          src_as: num(r["cflow.srcas"]),
          dst_as: num(r["cflow.dstas"]),
          packets: num(r["cflow.packets"]),
          bytes: num(r["cflow.octets"]),
        });
      }
    }
  }
  return rows;
}

/**
 * pmacct merges records of one datagram that agree on every key column
 * (counters summed, TCP flags ORed: they are not part of its key) when it
 * stamps them with the same arrival microsecond. Seen once in nprobe's mixed
 * capture. So both sides are compared grouped by the key columns.
 */
function grouped(rows: Row[]): string[] {
  const groups = new Map<string, { packets: number; bytes: number; flags: number }>();
  for (const r of rows) {
    const key = [
      r.ts,
      r.ts_end,
      r.src_addr,
      r.dst_addr,
      r.src_port,
      r.dst_port,
      r.proto,
      r.tos,
      r.in_if,
      r.out_if,
      r.src_as,
      r.dst_as,
    ].join("|");
    const g = groups.get(key) ?? { packets: 0, bytes: 0, flags: 0 };
    g.packets += r.packets;
    g.bytes += r.bytes;
    g.flags |= r.tcp_flags;
    groups.set(key, g);
  }
  return [...groups].map(([key, g]) => `${key}|${g.packets}|${g.bytes}|${g.flags}`).sort();
}

describe("fixture captures through the collector", () => {
  let stack: IngestStack;

  beforeAll(async () => {
    stack = await startIngestStack({ clockSkewGuard: false });
    // One loopback source address per file: it becomes that file's exporter.
    for (const [i, f] of NETFLOW_FILES.entries()) {
      const datagrams = await readPcapUdp(join(FIXTURES, f.file));
      await replayPayloads(
        datagrams.map((d) => d.payload),
        { host: "127.0.0.1", port: stack.config.netflowPort, sourceAddress: `127.0.0.${10 + i}` },
      );
    }
    const sflow = await readPcapUdp(join(FIXTURES, SFLOW_FILE.file));
    await replayPayloads(
      sflow.map((d) => d.payload),
      { host: "127.0.0.1", port: stack.config.sflowPort ?? 0 },
    );
    const total = NETFLOW_FILES.reduce((n, f) => n + f.flows, 0);
    await waitForCount(stack.pool, "SELECT count(*) AS n FROM flows WHERE exporter <<= '127.0.0.0/8'", [], total);
    await waitForCount(
      stack.pool,
      "SELECT coalesce(sum(packets), 0) AS n FROM flows WHERE exporter = '30::1:1:1'",
      [],
      SFLOW_FILE.samples,
    );
  });

  afterAll(async () => {
    await stack?.stop();
  });

  for (const [i, f] of NETFLOW_FILES.entries()) {
    it(`${f.file}: ${f.flows} flows, every field as tshark decodes it`, async () => {
      const expected = tsharkNetflow(join(FIXTURES, f.file));
      expect(expected.length, "tshark's one-pass count agrees with the README").toBe(f.flows);
      const { rows } = await stack.pool.query(
        `SELECT (extract(epoch FROM ts) * 1000)::bigint AS ts, (extract(epoch FROM ts_end) * 1000)::bigint AS ts_end,
                host(src_addr) AS src_addr, host(dst_addr) AS dst_addr, src_port, dst_port, proto, tos, tcp_flags,
                in_if, out_if, src_as, dst_as, packets, bytes, sampling_rate, ts_clamped
           FROM flows WHERE exporter = $1`,
        [`127.0.0.${10 + i}`],
      );
      const actual: Row[] = rows.map((r) => ({
        ts: Number(r.ts),
        ts_end: r.ts_end === null ? null : Number(r.ts_end),
        src_addr: r.src_addr,
        dst_addr: r.dst_addr,
        src_port: r.src_port,
        dst_port: r.dst_port,
        proto: r.proto,
        tos: r.tos,
        tcp_flags: r.tcp_flags,
        in_if: Number(r.in_if),
        out_if: Number(r.out_if),
        src_as: Number(r.src_as),
        dst_as: Number(r.dst_as),
        packets: Number(r.packets),
        bytes: Number(r.bytes),
      }));
      expect(grouped(actual)).toEqual(grouped(expected));
      expect(actual.length).toBeLessThanOrEqual(expected.length);
      for (const r of rows) {
        expect(r.ts_clamped).toBe(false);
        expect(Number(r.sampling_rate)).toBeGreaterThanOrEqual(1);
      }
    });
  }

  it(`${SFLOW_FILE.file}: ${SFLOW_FILE.samples} flow samples with tshark's field values, timed at arrival`, async () => {
    const samples = tsharkJson(join(FIXTURES, SFLOW_FILE.file), 6343, "sflow").flatMap((p) =>
      findAll(p, (o) => "sflow.flow_sample.sampling_rate" in o),
    );
    expect(samples.length).toBe(SFLOW_FILE.samples);
    const { rows } = await stack.pool.query(
      `SELECT host(src_addr) AS src, host(dst_addr) AS dst, proto, in_if, out_if, sampling_rate, ts_end,
              ts, ts_clamped, packets, bytes FROM flows WHERE exporter = '30::1:1:1'`,
    );
    // pmacct stamps each sample with its own arrival time and merges samples
    // that agree on every column, so compare sums and the distinct values.
    expect(rows.reduce((n, r) => n + Number(r.packets), 0)).toBe(samples.length);
    const frameBytes = samples.reduce(
      (n, s) => n + num((s["Raw packet header"] as Obj | undefined)?.["sflow_245.header.frame_length"]),
      0,
    );
    expect(rows.reduce((n, r) => n + Number(r.bytes), 0)).toBe(frameBytes);
    const distinct = (values: unknown[]): string[] => [...new Set(values.map(String))].sort();
    expect(distinct(rows.map((r) => r.in_if))).toEqual(
      distinct(samples.map((s) => num(s["sflow.flow_sample.input_interface"]))),
    );
    // out_if is sFlow's raw 32-bit field (format in the top two bits), as pmacct reports it.
    expect(distinct(rows.map((r) => r.out_if))).toEqual(
      distinct(samples.map((s) => num(s["sflow.flow_sample.output_interface"]))),
    );
    expect(distinct(rows.map((r) => r.sampling_rate))).toEqual(
      distinct(samples.map((s) => num(s["sflow.flow_sample.sampling_rate"]))),
    );
    const headers = samples.map((s) => ((s["Raw packet header"] as Obj)["sflow_245.header_tree"] as Obj).ip as Obj);
    expect(distinct(rows.map((r) => `${r.src}>${r.dst}/${r.proto}`))).toEqual(
      distinct(headers.map((h) => `${text(h["ip.src"])}>${text(h["ip.dst"])}/${num(h["ip.proto"])}`)),
    );
    for (const r of rows) {
      expect(r.ts_end).toBeNull();
      expect(r.ts_clamped).toBe(false);
      // sFlow has no flow times: ts is the arrival time, i.e. during this test run.
      expect(Math.abs(Date.now() - (r.ts as Date).getTime())).toBeLessThan(120_000);
    }
  });

  it("health counts flows per exporter and no kernel drops", async () => {
    const status = await stack.collector.refreshHealth();
    for (const [i, f] of NETFLOW_FILES.entries()) {
      const flows = status.exporters.filter((e) => e.exporter === `127.0.0.${10 + i}`).reduce((n, e) => n + e.flows, 0);
      expect(flows, f.file).toBe(f.flows);
    }
    // freebsd v5: four datagrams of 30 flows with consecutive sequence numbers.
    const freebsd = status.exporters.find((e) => e.exporter === "127.0.0.10");
    expect(freebsd).toMatchObject({ protocols: "netflow-v5", datagrams: 4, gap: 0 });
    // The sFlow capture's 25 datagrams are numbered without holes, 20 of them
    // carry only counter samples: no gap (the daemon's check sees them all).
    const sflow = status.exporters.filter((e) => e.exporter === "30::1:1:1");
    expect(sflow.reduce((n, e) => n + e.gap, 0)).toBe(0);
    expect(sflow.reduce((n, e) => n + e.flows, 0)).toBe(SFLOW_FILE.samples);
    for (const d of status.daemons) {
      expect(d.running).toBe(true);
      expect(d.udpDrops).toBe(0);
    }
  });
});
