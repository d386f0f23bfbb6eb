// Process entry of the embedded TimescaleDB server. Configuration comes from EMBEDDED_PG_*
// variables (see config.ts). Prints one JSON line {"msg":"listening","host","port"} on
// stdout when it serves; logs go to stderr. SIGTERM/SIGINT close the engine cleanly.

import pino from "pino";
import { embeddedConfigFromEnv } from "./config.ts";
import { EmbeddedError } from "./errors.ts";
import { EmbeddedServer } from "./server.ts";

const logger = pino({ name: "embedded-timescale", level: process.env.LOG_LEVEL ?? "info" }, pino.destination(2));

function fail(err: unknown): never {
  const kind = err instanceof EmbeddedError ? err.kind : "internal";
  const message = err instanceof Error ? err.message : String(err);
  logger.fatal({ kind, err }, "embedded server failed");
  process.stderr.write(`embedded timescale: ${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let server: EmbeddedServer;
  try {
    server = new EmbeddedServer(embeddedConfigFromEnv(), {
      logger,
      // A broken engine cannot be repaired in-process: exit, the supervisor restarts us and
      // WAL recovery on the same data directory brings back every committed transaction.
      onEngineFailure: (err) => fail(err),
    });
  } catch (err) {
    fail(err);
  }
  let stopping: Promise<void> | undefined;
  const shutdown = (signal: string) => {
    if (stopping) return;
    logger.info({ signal }, "shutting down");
    stopping = server.stop().then(
      () => process.exit(0),
      (err: unknown) => fail(err),
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  try {
    const started = Date.now();
    const { host, port } = await server.start();
    process.stdout.write(`${JSON.stringify({ msg: "listening", host, port, startMs: Date.now() - started })}\n`);
  } catch (err) {
    fail(err);
  }
}

await main();
