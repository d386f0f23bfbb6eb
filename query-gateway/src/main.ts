/**
 * Entry point: configuration from the environment, the gateway, the HTTP
 * server (HTTP API + Iceberg REST catalog under /iceberg) and the Postgres
 * wire server; SIGINT/SIGTERM stop them in reverse order.
 *   PG_URL=postgres://netflow_reader:…@host/db WAREHOUSE=s3://bucket/prefix \
 *   GATEWAY_TOKENS=secret GATEWAY_PG_PASSWORD=secret npx tsx query-gateway/src/main.ts
 */
import { readFileSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import { tmpdir } from "node:os";
import { serve } from "@hono/node-server";
import { FileObjectStore, S3ObjectStore } from "@netflow/iceberg";
import pino from "pino";
import { ConfigError, gatewayConfigFromEnv } from "./config.ts";
import { Gateway } from "./gateway.ts";
import { createApp } from "./http/app.ts";
import { pgWireConfigFromEnv } from "./pgwire/config.ts";
import { Introspection } from "./pgwire/introspection.ts";
import { PgWireServer } from "./pgwire/server.ts";
import { createRestCatalogApp, withRestCatalog } from "./rest-catalog/app.ts";
import { CatalogReader } from "./rest-catalog/catalog-reader.ts";
import { restCatalogConfigFromEnv } from "./rest-catalog/config.ts";

const log = pino({ level: process.env.LOG_LEVEL ?? "info" });

async function main(): Promise<void> {
  const config = gatewayConfigFromEnv(process.env, tmpdir());
  const wireConfig = pgWireConfigFromEnv(process.env);
  const restConfig = restCatalogConfigFromEnv(process.env, { catalogName: config.catalogName, tokens: config.tokens });
  if (config.tokens.length === 0) log.warn("GATEWAY_TOKENS is empty: every request except /healthz will be refused");
  const gateway = new Gateway(config, { log });
  await gateway.start();
  const introspection = new Introspection({ url: config.pgUrl, poolSize: 2 });
  await introspection.start();
  const wire = new PgWireServer(wireConfig, { gateway, introspection, lockdown: config.lockdown }, { log });
  await wire.start();
  const catalogReader = new CatalogReader({ url: config.pgUrl, catalogName: config.catalogName });
  await catalogReader.start();
  const store =
    config.s3 === undefined
      ? new FileObjectStore()
      : new S3ObjectStore({
          ...(config.s3.endpoint === undefined ? {} : { endpoint: config.s3.endpoint }),
          region: config.s3.region,
          accessKeyId: config.s3.accessKeyId,
          secretAccessKey: config.s3.secretAccessKey,
        });
  const app = withRestCatalog(
    createApp(gateway, { tokens: config.tokens, log }),
    createRestCatalogApp(catalogReader, store, restConfig, { log }),
  );
  // The same certificate as the wire server: HTTPS for the API and the REST catalog when configured.
  const tls = wireConfig.tls;
  const server = serve(
    {
      fetch: app.fetch,
      port: config.httpPort,
      hostname: config.httpHost,
      ...(tls === undefined
        ? {}
        : {
            createServer: createHttpsServer,
            serverOptions: { key: readFileSync(tls.keyFile), cert: readFileSync(tls.certFile) },
          }),
    },
    (info) => log.info({ port: info.port, host: config.httpHost, tls: tls !== undefined }, "http listening"),
  );
  const shutdown = (signal: string) => {
    log.info({ signal }, "stopping");
    server.close(() => {
      Promise.all([wire.stop(), catalogReader.stop(), introspection.stop()])
        .then(() => gateway.stop())
        .then(() => {
          if (store instanceof S3ObjectStore) store.close();
        })
        .then(
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
