/**
 * Collector command line.
 *   render --out <dir>        write nfacctd.conf and sfacctd.conf for the environment's settings
 *   status [--state-dir <d>]  print the running collector's health (from <state dir>/status.json)
 *          [--json|--prometheus]
 *   run                       run the collector in the foreground until Ctrl-C
 * Settings come from the environment: see CollectorConfig in config.ts (PG_URL +
 * NETFLOW_COLLECTOR_PASSWORD or COLLECTOR_PG_URL, NETFLOW_PORT, SFLOW_PORT, COLLECTOR_STATE_DIR, ...).
 */
import { mkdir, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { Collector } from "./collector.ts";
import { collectorConfigFromEnv, DEFAULT_COLLECTOR_CONFIG } from "./config.ts";
import { CollectorError } from "./errors.ts";
import { renderPrometheus } from "./metrics.ts";
import { collectorPaths, renderDaemonConfig } from "./render.ts";
import { readStatusFile, renderStatusTable } from "./status.ts";

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      out: { type: "string" },
      "state-dir": { type: "string" },
      json: { type: "boolean", default: false },
      prometheus: { type: "boolean", default: false },
    },
  });
  switch (command) {
    case "render": {
      if (values.out === undefined) throw new CollectorError("bad-config", "render needs --out <dir>");
      const out = resolve(values.out);
      const config = collectorConfigFromEnv({ ...process.env, COLLECTOR_STATE_DIR: out });
      await mkdir(out, { recursive: true });
      const paths = collectorPaths(out);
      await writeFile(paths.nfacctdConf, renderDaemonConfig(config, "nfacctd"), { mode: 0o600 });
      const written = [paths.nfacctdConf];
      if (config.sflowPort !== null) {
        await writeFile(paths.sfacctdConf, renderDaemonConfig(config, "sfacctd"), { mode: 0o600 });
        written.push(paths.sfacctdConf);
      }
      process.stdout.write(`${written.join("\n")}\n`);
      return 0;
    }
    case "status": {
      const stateDir = resolve(
        values["state-dir"] ?? process.env.COLLECTOR_STATE_DIR ?? DEFAULT_COLLECTOR_CONFIG.stateDir,
      );
      const status = await readStatusFile(collectorPaths(stateDir).statusFile);
      if (status === null) {
        process.stderr.write(`no collector status in ${stateDir} (is the collector running? set --state-dir)\n`);
        return 1;
      }
      if (values.json) process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      else if (values.prometheus) process.stdout.write(renderPrometheus(status));
      else process.stdout.write(`${renderStatusTable(status)}\n`);
      return 0;
    }
    case "run": {
      const collector = new Collector(collectorConfigFromEnv());
      await collector.start();
      await new Promise<void>((resolveStop) => {
        const stop = (): void => {
          collector.stop().then(resolveStop, resolveStop);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      return 0;
    }
    default:
      process.stderr.write(
        "usage: cli.ts render --out <dir> | status [--state-dir <dir>] [--json|--prometheus] | run\n",
      );
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Expected failures print one clear line; anything else keeps its stack.
    if (error instanceof CollectorError) process.stderr.write(`error: ${error.message}\n`);
    else process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
