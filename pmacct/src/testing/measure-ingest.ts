/**
 * Measures ingest through the real collector into the embedded TimescaleDB:
 *   npx tsx pmacct/src/testing/measure-ingest.ts [protocol=v9] [count=60000] [rate=20000]
 * Prints flows sent, flows landed (loss), kernel drops, and the end-to-end rate
 * (first datagram sent until the last row is committed).
 */
import { sendFlows } from "../../../generator/src/send/sender.ts";
import { startIngestStack, waitForCount } from "./harness.ts";

const [protocol = "v9", countArg = "60000", rateArg = "20000"] = process.argv.slice(2);
const count = Number(countArg);
const rate = Number(rateArg);
const stack = await startIngestStack({
  collector: { refreshSeconds: 5, targetFlowsPerSecond: Math.max(rate, 20_000) },
});
try {
  const exporter = "127.0.10.1";
  const sflow = protocol === "sflow";
  const started = Date.now();
  const summary = await sendFlows({
    target: { host: "127.0.0.1", port: sflow ? (stack.config.sflowPort ?? 0) : stack.config.netflowPort },
    protocol: protocol as "v5" | "v9" | "ipfix" | "sflow",
    count,
    rate,
    seed: 1,
    exporterBase: exporter,
  });
  const landed = await waitForCount(
    stack.pool,
    "SELECT count(*) AS n FROM flows WHERE exporter = $1",
    [exporter],
    count,
    120_000,
  );
  const elapsedS = (Date.now() - started) / 1000;
  const status = await stack.collector.refreshHealth();
  process.stdout.write(
    `${JSON.stringify({
      protocol,
      sent: summary.flows,
      send_rate: Math.round(summary.flows / summary.elapsed_s),
      landed,
      lost: summary.flows - landed,
      udp_drops: status.daemons.map((d) => `${d.daemon}:${d.udpDrops}`).join(","),
      end_to_end_s: elapsedS,
      end_to_end_flows_per_s: Math.round(landed / elapsedS),
    })}\n`,
  );
} finally {
  await stack.stop();
}
