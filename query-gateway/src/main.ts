/**
 * Entry point: configuration from the environment, the gateway, the HTTP
 * server; SIGINT/SIGTERM stop them in reverse order.
 *   PG_URL=postgres://netflow_reader:…@host/db WAREHOUSE=s3://bucket/prefix \
 *   GATEWAY_TOKENS=secret npx tsx query-gateway/src/main.ts
 */
import { tmpdir } from "node:os";
import { serve } from "@hono/node-server";
import pino from "pino";
import { ConfigError, gatewayConfigFromEnv } from "./config.ts";
import { Gateway } from "./gateway.ts";
import { createApp } from "./http/app.ts";

const log = pino({ level: process.env.LOG_LEVEL ?? "info" });

async function main(): Promise<void> {
  const config = gatewayConfigFromEnv(process.env, tmpdir());
  if (config.tokens.length === 0) log.warn("GATEWAY_TOKENS is empty: every request except /healthz will be refused");
  const gateway = new Gateway(config, { log });
  await gateway.start();
  const app = createApp(gateway, { tokens: config.tokens, log });
  const server = serve({ fetch: app.fetch, port: config.httpPort, hostname: config.httpHost }, (info) =>
    log.info({ port: info.port, host: config.httpHost }, "http listening"),
  );
  const shutdown = (signal: string) => {
    log.info({ signal }, "stopping");
    server.close(() => {
      gateway.stop().then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, "stop failed");
          process.exit(1);
        },
      );
    });
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) log.error({ problem: error.message }, "bad configuration");
  else log.error({ err: error }, "gateway failed to start");
  process.exit(1);
});
