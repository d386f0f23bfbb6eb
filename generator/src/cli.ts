import { parseArgs } from "node:util";
import { backfillWithProgress } from "./backfill/backfill.ts";
import { defaultBackfillConfig } from "./backfill/config.ts";
import type { Protocol } from "./encode/encoder.ts";
import { defaultSendConfig, parseTarget } from "./send/config.ts";
import { sendFlows } from "./send/sender.ts";

const USAGE = `usage:
  tsx generator/src/cli.ts send --target HOST:PORT --protocol v5|v9|ipfix|sflow --count N --rate FLOWS_PER_S
      --seed S [--ipv6-share 0.3] [--log flows.jsonl] [--exporters 1] [--exporter-base 127.0.0.1]
      [--sampling-rate 1] [--start ISO_TIME] [--template-refresh 20]
  tsx generator/src/cli.ts backfill --pg-url URL --from ISO_TIME --to ISO_TIME --flows-per-day N --seed S
      [--batch 50000] [--exporters 1] [--ipv6-share 0.3] [--sampling-rate 1]`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function num(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) fail(`--${name} must be a number, got "${value}"`);
  return n;
}

function time(value: string | undefined, name: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) fail(`--${name} is required`);
    return fallback;
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) fail(`--${name} must be an ISO time, got "${value}"`);
  return ms;
}

async function send(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      target: { type: "string" },
      protocol: { type: "string" },
      count: { type: "string" },
      rate: { type: "string" },
      seed: { type: "string" },
      "ipv6-share": { type: "string" },
      log: { type: "string" },
      exporters: { type: "string" },
      "exporter-base": { type: "string" },
      "sampling-rate": { type: "string" },
      start: { type: "string" },
      "template-refresh": { type: "string" },
    },
    strict: true,
  });
  const defaults = defaultSendConfig();
  if (values.target === undefined) fail("--target is required");
  const protocol = (values.protocol ?? defaults.protocol) as Protocol;
  const summary = await sendFlows({
    target: parseTarget(values.target),
    protocol,
    count: num(values.count, "count", defaults.count),
    rate: num(values.rate, "rate", defaults.rate),
    seed: num(values.seed, "seed", defaults.seed),
    ipv6Share: num(values["ipv6-share"], "ipv6-share", protocol === "v5" ? 0 : defaults.ipv6Share),
    logPath: values.log ?? null,
    exporters: num(values.exporters, "exporters", defaults.exporters),
    exporterBase: values["exporter-base"] ?? defaults.exporterBase,
    samplingRate: num(values["sampling-rate"], "sampling-rate", defaults.samplingRate),
    startMs: time(values.start, "start", Date.now()),
    templateRefreshPackets: num(values["template-refresh"], "template-refresh", defaults.templateRefreshPackets),
  });
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

async function backfillCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      "pg-url": { type: "string" },
      from: { type: "string" },
      to: { type: "string" },
      "flows-per-day": { type: "string" },
      seed: { type: "string" },
      batch: { type: "string" },
      exporters: { type: "string" },
      "exporter-base": { type: "string" },
      "ipv6-share": { type: "string" },
      "sampling-rate": { type: "string" },
    },
    strict: true,
  });
  const defaults = defaultBackfillConfig();
  const pgUrl = values["pg-url"] ?? process.env.PG_URL;
  if (pgUrl === undefined) fail("--pg-url (or PG_URL) is required");
  const summary = await backfillWithProgress({
    pgUrl,
    fromMs: time(values.from, "from"),
    toMs: time(values.to, "to"),
    flowsPerDay: num(values["flows-per-day"], "flows-per-day", defaults.flowsPerDay),
    seed: num(values.seed, "seed", defaults.seed),
    batchRows: num(values.batch, "batch", defaults.batchRows),
    exporters: num(values.exporters, "exporters", defaults.exporters),
    exporterBase: values["exporter-base"] ?? defaults.exporterBase,
    ipv6Share: num(values["ipv6-share"], "ipv6-share", defaults.ipv6Share),
    samplingRate: num(values["sampling-rate"], "sampling-rate", defaults.samplingRate),
  });
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === "send") await send(rest);
  else if (command === "backfill") await backfillCommand(rest);
  else fail(`unknown command "${command ?? ""}"`);
}

main().catch((error: unknown) => {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
