import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pino, { type Logger } from "pino";
import { dataDirFromEnv, type S3Credentials, type StackConfig, stackConfigFromEnv } from "./config.ts";
import { type Binaries, resolveBinaries, SYSTEM_DIRS } from "./dependencies.ts";
import { type Env, layerEnv, readEnvFile } from "./env.ts";
import { acquireStackLock } from "./lock.ts";
import { MetricsEndpoint } from "./metrics.ts";
import type { SupervisedProcess } from "./process.ts";
import { SecretsFile } from "./secrets.ts";
import type { EndpointLine, Service, ServiceContext } from "./service.ts";
import { ArchiverWorker } from "./services/archiver.ts";
import { Bucket } from "./services/bucket.ts";
import { FlowCollector } from "./services/collector.ts";
import { FileWarehouse } from "./services/file-warehouse.ts";
import { QueryGateway } from "./services/gateway.ts";
import { Migrations } from "./services/migrations.ts";
import { ExternalRedis, LocalRedis } from "./services/redis.ts";
import { LocalSeaweedFs } from "./services/seaweedfs.ts";
import { EmbeddedTimescale, ExternalTimescale } from "./services/timescale.ts";
import type { S3Access } from "./services/warehouse-env.ts";
import { Supervisor } from "./supervisor.ts";

/** The repository root (this file is stack/src/stack.ts). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export interface StartStackOptions {
  /**
   * The whole environment the stack is configured from. Default: the process
   * environment over `<repo>/.env`. Tests pass their own (free ports, a temp
   * NETFLOW_DATA_DIR) so nothing of the developer's setup leaks in.
   */
  env?: Env;
  repoRoot?: string;
  logger?: Logger;
  /** Abandons a start in progress (Ctrl-C): what runs is stopped and startStack rejects with kind "aborted". */
  signal?: AbortSignal;
}

export interface PostgresEndpoint {
  /** Superuser (or PG_URL's user) URL: migrations, psql. */
  url: string;
  /** Login URLs of the service roles, for the collector, the gateway and the archiver. */
  roleUrls: { collector: string; reader: string; archiver: string };
}

export type ObjectStoreEndpoint =
  | {
      kind: "s3";
      endpoint: string;
      region: string;
      bucket: string;
      credentials: S3Credentials;
      /** The read-only identity: the local SeaweedFS's, or S3_READONLY_* of an external S3 when set. */
      readOnlyCredentials?: S3Credentials;
    }
  | { kind: "file"; path: string };

/** Where everything listens, with the credentials to use it (for the code that talks to it). */
export interface StackEndpoints {
  postgres: PostgresEndpoint;
  redis: { url: string };
  objectStore: ObjectStoreEndpoint;
  /** `s3://bucket` or `file:///path`: where the Iceberg warehouse lives. */
  warehouse: string;
  /** UDP ports flows are sent to; absent with COLLECTOR=off. */
  collector?: { host: string; netflowPort: number; sflowPort: number | null };
  /** The archiver worker's Prometheus endpoint; absent with ARCHIVER=off. */
  archiver?: { metricsUrl: string };
  /** The query gateway's HTTP API with its bearer tokens, and its Postgres wire login; absent with GATEWAY=off. */
  gateway?: { url: string; tokens: string[]; pgUrl: string };
}

export interface StackHandle {
  config: StackConfig;
  endpoints: StackEndpoints;
  /** Table rows for humans (secrets masked). */
  lines: EndpointLine[];
  /** A shell command that opens psql on the hot store. */
  psql: string;
  services: readonly Service[];
  /** The supervised child process of a service, if it runs one (tests kill it). */
  process(service: string): SupervisedProcess | undefined;
  /** Stops every service in reverse order and releases the lock; safe to call twice. */
  stop(): Promise<void>;
}

/** Environment of a CLI run: the process environment over `<repo>/.env`. */
export function cliEnv(repoRoot: string = REPO_ROOT): Env {
  return layerEnv(readEnvFile(join(repoRoot, ".env")), process.env);
}

export interface LoadedConfig {
  config: StackConfig;
  secrets: SecretsFile;
  env: Env;
}

/** Configuration plus the secrets file it drew generated passwords from. */
export function loadStackConfig(
  env: Env,
  repoRoot: string = REPO_ROOT,
  options: { generate?: boolean } = {},
): LoadedConfig {
  const secrets = new SecretsFile(join(dataDirFromEnv(env, repoRoot), "secrets.env"), env, options);
  return { config: stackConfigFromEnv(env, { repoRoot, secrets }), secrets, env };
}

export interface BuiltStack {
  services: Service[];
  endpoints: StackEndpoints;
  processes: Map<string, SupervisedProcess>;
}

/**
 * The services of the configured stack in start order, built without I/O:
 * hot store, migrations, Redis, object store (SeaweedFS, then the bucket; or a
 * file warehouse), archiver, gateway, collector, metrics. Later components go
 * here, after what they depend on.
 */
export function buildStack(
  config: StackConfig,
  binaries: Binaries,
  childEnv: NodeJS.ProcessEnv,
  log: Logger,
): BuiltStack {
  const context: ServiceContext = {
    repoRoot: config.repoRoot,
    logDir: join(config.dataDir, "logs"),
    pidDir: join(config.dataDir, "pids"),
    stopTimeoutMs: config.stopTimeoutMs,
    childEnv,
  };
  const services: Service[] = [];
  const processes = new Map<string, SupervisedProcess>();

  const hot =
    config.hotStore.kind === "embedded"
      ? new EmbeddedTimescale(config.hotStore, context, log)
      : new ExternalTimescale(config.hotStore.url, config.hotStoreSettings.connectTimeoutMs, log);
  if (hot instanceof EmbeddedTimescale) processes.set(hot.name, hot.process);
  services.push(hot, new Migrations(() => hot.url, config.hotStoreSettings, log));

  const redis =
    config.redis.kind === "local"
      ? new LocalRedis(config.redis, binaries.redisServer ?? "redis-server", context, log)
      : new ExternalRedis(config.redis.url);
  if (redis instanceof LocalRedis) processes.set(redis.name, redis.process);
  services.push(redis);

  let objectStore: ObjectStoreEndpoint;
  const store = config.objectStore;
  if (store.kind === "file") {
    services.push(new FileWarehouse(store.path));
    objectStore = { kind: "file", path: store.path };
  } else if (store.kind === "s3") {
    services.push(new Bucket({ ...store, variable: "S3_ENDPOINT" }, log));
    objectStore = {
      kind: "s3",
      endpoint: store.endpoint,
      region: store.region,
      bucket: store.bucket,
      credentials: store.credentials,
      ...(store.readOnlyCredentials === undefined ? {} : { readOnlyCredentials: store.readOnlyCredentials }),
    };
  } else {
    const weed = new LocalSeaweedFs(store, binaries.weed ?? "weed", context, log);
    processes.set(weed.name, weed.process);
    services.push(weed, new Bucket({ ...store, endpoint: weed.endpoint, variable: undefined }, log));
    objectStore = {
      kind: "s3",
      endpoint: weed.endpoint,
      region: store.region,
      bucket: store.bucket,
      credentials: store.credentials,
      readOnlyCredentials: store.readOnlyCredentials,
    };
  }

  const roleUrl = (role: string, password: string): string => {
    const url = new URL(hot.url);
    url.username = role;
    url.password = encodeURIComponent(password);
    return url.toString();
  };
  const postgres: PostgresEndpoint = {
    url: hot.url,
    roleUrls: {
      collector: roleUrl("netflow_collector", config.rolePasswords.collector),
      reader: roleUrl("netflow_reader", config.rolePasswords.reader),
      archiver: roleUrl("netflow_archiver", config.rolePasswords.archiver),
    },
  };
  const warehouse = objectStore.kind === "file" ? `file://${objectStore.path}` : `s3://${objectStore.bucket}`;
  const s3 = (readOnly: boolean): S3Access | undefined =>
    objectStore.kind === "file"
      ? undefined
      : {
          endpoint: objectStore.endpoint,
          region: objectStore.region,
          credentials: (readOnly ? objectStore.readOnlyCredentials : undefined) ?? objectStore.credentials,
        };

  // The archiver and the gateway need the migrated hot store (and its catalog
  // tables), the bucket, and for the archiver Redis.
  let archiver: ArchiverWorker | undefined;
  if (config.archiver !== undefined) {
    archiver = new ArchiverWorker(
      config.archiver,
      {
        pgUrl: postgres.roleUrls.archiver,
        redisUrl: redis.url,
        warehouse,
        s3: s3(false),
        compressAfter: config.hotStoreSettings.compressAfter,
      },
      context,
      log,
    );
    processes.set(archiver.name, archiver.process);
    services.push(archiver);
  }
  let gateway: QueryGateway | undefined;
  if (config.gateway !== undefined) {
    // It only reads the warehouse: the read-only identity where there is one.
    const readOnly = objectStore.kind === "file" ? undefined : objectStore.readOnlyCredentials;
    gateway = new QueryGateway(
      config.gateway,
      {
        pgUrl: postgres.roleUrls.reader,
        warehouse,
        s3: s3(true),
        vendedS3: readOnly,
        secretsFile: displayPath(join(config.dataDir, "secrets.env")),
      },
      context,
      log,
    );
    processes.set(gateway.name, gateway.process);
    services.push(gateway);
  }

  // The collector after them: it writes into the migrated hypertable.
  if (config.collector !== undefined) {
    // Debian installs the daemons in /usr/sbin, which a normal user's PATH lacks.
    const { nfacctdPath, sfacctdPath } = config.collector;
    const paths = { nfacctdPath: binaries.nfacctd ?? nfacctdPath, sfacctdPath: binaries.sfacctd ?? sfacctdPath };
    const collector = new FlowCollector({ ...config.collector, ...paths }, log);
    services.push(collector);
  }
  if (config.metricsPort !== undefined) {
    const sources = services.flatMap((service) => (service instanceof FlowCollector ? [service.collector] : []));
    services.push(new MetricsEndpoint(config.metricsPort, processes, sources));
  }

  const endpoints: StackEndpoints = {
    postgres,
    redis: { url: redis.url },
    objectStore,
    warehouse,
  };
  if (archiver !== undefined) endpoints.archiver = { metricsUrl: archiver.metricsUrl };
  if (gateway !== undefined)
    endpoints.gateway = { url: gateway.url, tokens: gateway.target.tokens, pgUrl: gateway.pgUrl };
  if (config.collector !== undefined) {
    const { listenIp, netflowPort, sflowPort } = config.collector;
    endpoints.collector = { host: listenIp, netflowPort, sflowPort };
  }
  return { services, endpoints, processes };
}

/** How to open psql on the hot store, without printing the password. */
export function psqlHint(config: StackConfig, secrets: SecretsFile): string {
  const hot = config.hotStore;
  if (hot.kind === "external") return `psql "$PG_URL"`;
  const connect = `psql -h ${hot.host} -p ${hot.port} -U postgres postgres`;
  if (!secrets.isGenerated("EMBEDDED_PG_PASSWORD")) return `PGPASSWORD="$EMBEDDED_PG_PASSWORD" ${connect}`;
  return `PGPASSWORD="$(sed -n 's/^EMBEDDED_PG_PASSWORD=//p' ${displayPath(secrets.path)})" ${connect}`;
}

/** A path as short as it can be shown: relative to the working directory when below it. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === "" || rel.startsWith("..") ? path : rel;
}

/**
 * Starts the whole local stack and returns where everything listens. Takes
 * the data directory's lock first; a failure stops whatever had started.
 */
export async function startStack(options: StartStackOptions = {}): Promise<StackHandle> {
  const repoRoot = options.repoRoot ?? REPO_ROOT;
  const env = options.env ?? cliEnv(repoRoot);
  const { config, secrets } = loadStackConfig(env, repoRoot);
  const log = options.logger ?? pino({ level: config.logLevel });
  const binaries = resolveBinaries(config, { env, systemDirs: SYSTEM_DIRS });
  const release = acquireStackLock(join(config.dataDir, "stack.lock"));
  const built = buildStack(config, binaries, { ...process.env, ...env }, log);
  const supervisor = new Supervisor(built.services, log);
  try {
    await supervisor.start(options.signal);
  } catch (error) {
    release();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    config,
    endpoints: built.endpoints,
    lines: built.services.flatMap((service) => service.endpoints()),
    psql: psqlHint(config, secrets),
    services: built.services,
    process: (service) => built.processes.get(service),
    stop: () => {
      stopping ??= supervisor.stop().finally(release);
      return stopping;
    },
  };
}
