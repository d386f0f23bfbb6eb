import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readPcapUdp } from "./pcap.ts";

// shared/ sits beside the repository (as in CI); NETFLOW_FIXTURES overrides it.
const FIXTURES =
  process.env.NETFLOW_FIXTURES ?? fileURLToPath(new URL("../../../../shared/fixtures/netflow-pcaps", import.meta.url));

/** tshark's view of the same file: source, destination port and payload of every UDP datagram. */
function tsharkUdp(path: string): Array<{ src: string; dstPort: number; payload: string }> {
  const out = execFileSync(
    "tshark",
    [
      "-r",
      path,
      "--disable-protocol",
      "sflow",
      "-T",
      "fields",
      "-E",
      "separator=/t",
      "-e",
      "ip.src",
      "-e",
      "ipv6.src",
      "-e",
      "udp.dstport",
      "-e",
      "udp.payload",
    ],
    { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 28 },
  ).toString("utf8");
  return out
    .trimEnd()
    .split("\n")
    .map((line) => {
      const [v4 = "", v6 = "", port = "", payload = ""] = line.split("\t");
      return { src: v4 || v6, dstPort: Number(port), payload: payload.replace(/:/g, "") };
    });
}

describe("pcap reader", () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".pcap"));
  it("finds the fixtures", () => expect(files.length).toBeGreaterThanOrEqual(8));
  for (const file of files) {
    it(`reads the same UDP datagrams as tshark: ${file}`, async () => {
      const ours = await readPcapUdp(join(FIXTURES, file));
      const theirs = tsharkUdp(join(FIXTURES, file));
      expect(ours.length).toBe(theirs.length);
      ours.forEach((d, i) => {
        const t = theirs[i];
        expect(d.payload.toString("hex")).toBe(t?.payload);
        expect(d.dstPort).toBe(t?.dstPort);
        // tshark compresses IPv6 addresses; compare through a canonical form.
        expect(new URL(`http://[${d.src.includes(":") ? d.src : `::ffff:${d.src}`}]`).hostname).toBe(
          new URL(`http://[${t?.src.includes(":") ? t.src : `::ffff:${t?.src}`}]`).hostname,
        );
      });
    });
  }
});
