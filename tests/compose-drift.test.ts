// No drift between the production compose file and the code: the environment, ports, volumes and
// healthchecks of our services are fed through the code's own config parsers, and every
// entrypoint refuses a missing or placeholder secret with one line naming it.
import { accessSync, constants, existsSync } from "node:fs";
import { join } from "node:path";
import { collectorConfigFromEnv } from "@netflow/pmacct";
import { hotStoreConfigFromEnv } from "@netflow/timescale";
import { describe, expect, it } from "vitest";
import { archiverConfigFromEnv } from "../archiver/src/config.ts";
import { publishedPorts, serviceEnvironment } from "../deploy/src/compose.ts";
import { gatewayConfigFromEnv } from "../query-gateway/src/config.ts";
import { pgWireConfigFromEnv } from "../query-gateway/src/pgwire/config.ts";
import {
  dotEnv,
  entrypointOf,
  example,
  list,
  nativeCommand,
  nonCommentText,
  OURS,
  ROOT,
  repoPath,
  run,
  service,
  sourcesOf,
} from "./support/compose.ts";

describe("no drift between the compose file and the code", () => {
  it("passes our services only variables that their entrypoint or code reads", () => {
    for (const [name, { workspaces }] of Object.entries(OURS)) {
      const code = sourcesOf(workspaces);
      // Every entrypoint sources deploy/docker/lib.sh (NETFLOW_ENV_NAMES is read there).
      const script = [repoPath(entrypointOf(name)[0] as string), join(ROOT, "deploy/docker/lib.sh")]
        .map(nonCommentText)
        .join("\n");
      for (const variable of Object.keys(serviceEnvironment(service(name), dotEnv))) {
        const inCode = code.includes(`"${variable}"`) || new RegExp(`env\\.${variable}\\b`).test(code);
        const inScript = new RegExp(`\\b${variable}\\b`).test(script);
        expect(inCode || inScript, `${name}: ${variable} is read by nothing`).toBe(true);
      }
    }
  });

  it("runs entrypoints and programs that exist", () => {
    for (const name of Object.keys(OURS)) {
      const entry = repoPath(entrypointOf(name)[0] as string);
      accessSync(entry, constants.X_OK);
      const program = /exec node --import tsx (\S+)/.exec(nonCommentText(entry))?.[1];
      expect(program, name).toBeDefined();
      expect(existsSync(join(ROOT, program as string)), `${name}: ${program}`).toBe(true);
    }
    for (const name of ["timescaledb", "redis", "pgadmin", "jupyter"]) {
      accessSync(repoPath(entrypointOf(name)[0] as string), constants.X_OK);
    }
    accessSync(repoPath(list(service("collector").healthcheck?.test)[1] as string), constants.X_OK);
  });

  it("matches the collector's config: ports, state dir, login", () => {
    const s = service("collector");
    const config = collectorConfigFromEnv(serviceEnvironment(s, dotEnv));
    const udp = publishedPorts(s, dotEnv).filter((p) => p.protocol === "udp");
    expect(udp.map((p) => p.target).sort()).toEqual([config.netflowPort, config.sflowPort].sort());
    expect(udp.map((p) => p.published).sort()).toEqual([dotEnv.NETFLOW_PORT, dotEnv.SFLOW_PORT].sort());
    expect((s.volumes ?? []).map(String)).toContain(`collector-state:${config.stateDir}`);
    expect(config.database).toMatchObject({ host: "timescaledb", port: 5432, user: "netflow_collector" });
  });

  it("takes the collector role's password from POSTGRES_PMACCT_PW, the operator-facing name", () => {
    // Issue 8 names the setting POSTGRES_PMACCT_PW; the code reads NETFLOW_COLLECTOR_PASSWORD.
    expect(example.values.get("POSTGRES_PMACCT_PW")).toBe("change-me");
    expect(example.values.has("NETFLOW_COLLECTOR_PASSWORD")).toBe(false);
    const collector = collectorConfigFromEnv(serviceEnvironment(service("collector"), dotEnv));
    expect(collector.database.password).toBe(dotEnv.POSTGRES_PMACCT_PW);
    // The migrator sets the role's password from the same value the collector logs in with.
    const hot = hotStoreConfigFromEnv(serviceEnvironment(service("migrate"), dotEnv));
    expect(hot.rolePasswords.netflow_collector).toBe(dotEnv.POSTGRES_PMACCT_PW);
    const { POSTGRES_PMACCT_PW: _, ...without } = dotEnv;
    for (const name of ["collector", "migrate"]) {
      expect(() => serviceEnvironment(service(name), without), name).toThrow(/POSTGRES_PMACCT_PW/);
    }
  });

  it("matches the gateway's config: listen address, port, healthcheck, cache, read-only S3 identity", () => {
    const s = service("gateway");
    const config = gatewayConfigFromEnv(serviceEnvironment(s, dotEnv), "/tmp");
    expect(config.httpHost).toBe("0.0.0.0");
    const wire = pgWireConfigFromEnv(serviceEnvironment(s, dotEnv));
    expect(wire.host).toBe("0.0.0.0");
    expect(publishedPorts(s, dotEnv)).toEqual([
      { hostIp: null, published: dotEnv.GATEWAY_HTTP_PORT, target: config.httpPort, protocol: "tcp" },
      { hostIp: null, published: dotEnv.GATEWAY_PG_PORT, target: wire.port, protocol: "tcp" },
    ]);
    expect(list(s.healthcheck?.test).join(" ")).toContain(`http://127.0.0.1:${config.httpPort}/healthz`);
    expect((s.volumes ?? []).map(String)).toContain(`gateway-cache:${config.cacheDir}`);
    expect(config.s3?.accessKeyId).toBe(dotEnv.S3_READONLY_ACCESS_KEY_ID);
    expect(config.tokens).toEqual([dotEnv.GATEWAY_TOKENS]);
  });

  it("matches the archiver's and the migrator's config", () => {
    const archiver = archiverConfigFromEnv(serviceEnvironment(service("archiver"), dotEnv));
    expect(list(service("archiver").healthcheck?.test).join(" ")).toContain(
      `http://127.0.0.1:${archiver.metricsPort}/metrics`,
    );
    expect(archiver.warehouse).toBe(`s3://${dotEnv.S3_BUCKET}`);
    expect(archiver.s3?.accessKeyId).toBe(dotEnv.S3_ACCESS_KEY_ID);
    expect(archiver.archiveAfter).toBe(dotEnv.ARCHIVE_AFTER);
    const hot = hotStoreConfigFromEnv(serviceEnvironment(service("migrate"), dotEnv));
    expect(Object.keys(hot.rolePasswords).sort()).toEqual(["netflow_archiver", "netflow_collector", "netflow_reader"]);
    expect(hot.chunkInterval).toBe(dotEnv.HOT_CHUNK_INTERVAL);
  });
});
describe("entrypoints refuse missing and placeholder secrets", () => {
  // The wrapped third-party command is replaced by `true`: only the check runs.
  const cases: Array<{ name: string; secrets: string[]; command: string[] }> = [
    {
      name: "migrate",
      secrets: ["POSTGRES_PASSWORD", "NETFLOW_READER_PASSWORD", "POSTGRES_PMACCT_PW"],
      command: nativeCommand("migrate"),
    },
    { name: "collector", secrets: ["POSTGRES_PMACCT_PW"], command: nativeCommand("collector") },
    { name: "archiver", secrets: ["NETFLOW_ARCHIVER_PASSWORD", "REDIS_PASSWORD"], command: nativeCommand("archiver") },
    {
      name: "gateway",
      secrets: ["NETFLOW_READER_PASSWORD", "GATEWAY_TOKENS", "GATEWAY_PG_PASSWORD", "S3_READONLY_SECRET_ACCESS_KEY"],
      command: nativeCommand("gateway"),
    },
    { name: "redis", secrets: ["REDIS_PASSWORD"], command: nativeCommand("redis") },
    {
      name: "minio-bootstrap",
      secrets: ["MINIO_ROOT_PASSWORD", "S3_READONLY_SECRET_ACCESS_KEY"],
      command: [join(ROOT, "minio/bootstrap.sh")],
    },
    ...["timescaledb", "pgadmin", "jupyter"].map((name) => {
      const command = nativeCommand(name);
      const dash = command.indexOf("--");
      return { name, secrets: command.slice(1, dash), command: [...command.slice(0, dash + 1), "true"] };
    }),
  ];

  for (const c of cases) {
    it(`${c.name}: ${c.secrets.join(", ")}`, () => {
      expect(c.secrets.length).toBeGreaterThan(0);
      const env = serviceEnvironment(service(c.name), dotEnv);
      for (const variable of c.secrets) {
        // The compose env may carry a .env secret under the name the code reads (the collector's
        // POSTGRES_PMACCT_PW, the gateway's S3 key): then the message names both.
        const key =
          variable in env ? variable : (Object.keys(env).find((k) => env[k] === dotEnv[variable]) ?? variable);
        const source = Object.keys(dotEnv).find((k) => dotEnv[k] === env[key]) ?? key;
        const label = source === key ? key : `${key} (from ${source} in .env)`;
        const { [key]: _, ...missing } = env;
        const a = run(c.command[0] as string, c.command.slice(1), missing);
        expect(a.stderr).toBe(
          `netflow: refusing to start: ${label} is not set; set it in .env (see .env_example; generate one with: openssl rand -base64 24)\n`,
        );
        expect(a.code).toBe(78);
        const b = run(c.command[0] as string, c.command.slice(1), { ...env, [key]: "change-me" });
        expect(b.stderr).toContain(`${label} is still the example value "change-me"`);
        expect(b.code).toBe(78);
      }
      if (c.command.at(-1) === "true") expect(run(c.command[0] as string, c.command.slice(1), env).code).toBe(0);
    });
  }

  it("gateway: a token list that still holds change-me", () => {
    const env = { ...serviceEnvironment(service("gateway"), dotEnv), GATEWAY_TOKENS: "abc,change-me" };
    const r = run(nativeCommand("gateway")[0] as string, [], env);
    expect(r.stderr).toContain("GATEWAY_TOKENS still holds the example value");
    expect(r.code).toBe(78);
  });
});
