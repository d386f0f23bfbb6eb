// The production compose stack: each of our containers' entrypoints, with the compose file's
// environment (hosts and listening ports rewritten to the local stack), runs natively until
// the compose healthcheck passes. Static checks of the same files: compose-spec, compose-build and compose-drift.test.ts.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeTcpPort, freeUdpPort, type StackHandle, startStack, testStackEnv } from "@netflow/stack";
import pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { interpolate, serviceEnvironment } from "../deploy/src/compose.ts";
import { readDockerfile } from "../deploy/src/dockerfile.ts";
import { buildStages, layOutImage } from "../deploy/src/image-layout.ts";

import { dotEnv, list, nativeCommand, ROOT, repoPath, run, secret, service } from "./support/compose.ts";

/** Image trees laid out from our Dockerfiles (see beforeAll below), by service. */
const imageDirs: Record<string, string> = {};
function imageCommand(name: string): string[] {
  const dir = imageDirs[name];
  if (dir === undefined) throw new Error(`no image tree for ${name}`);
  return nativeCommand(name, dir);
}

const dataDir = mkdtempSync(join(tmpdir(), "compose-it-"));
const log = pino({ level: process.env.STACK_TEST_LOG ?? "warn" });
let stack: StackHandle | undefined;
const children: ChildProcess[] = [];

/** Compose env of a service with the compose network's hosts replaced by the local stack's. */
function localEnv(name: string, overrides: Record<string, string>): Record<string, string> {
  const s = stack as StackHandle;
  const pgBase = new URL(s.endpoints.postgres.url);
  pgBase.username = "";
  pgBase.password = "";
  const redisBase = new URL(s.endpoints.redis.url);
  redisBase.username = "";
  redisBase.password = "";
  const store = s.endpoints.objectStore;
  if (store.kind !== "s3") throw new Error("the local stack runs SeaweedFS here");
  const env = serviceEnvironment(service(name), dotEnv);
  for (const [k, v] of Object.entries(env)) {
    env[k] = v
      .replace(/^postgres:\/\/timescaledb:5432\/\S*$/, pgBase.href)
      .replace(/^redis:\/\/redis:6379(\/\d+)?$/, redisBase.href)
      .replace(/^http:\/\/minio:9000$/, store.endpoint);
  }
  return { ...env, HOME: dataDir, ...overrides };
}

function start(command: string[], env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const child = spawn(command[0] as string, command.slice(1), {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  children.push(child);
  let output = "";
  child.stdout?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    output += d.toString();
  });
  return { child, output: () => output };
}

/** Runs the compose healthcheck (CMD form; CMD-SHELL through sh) until it passes. */
async function untilHealthy(
  test: string[],
  env: Record<string, string>,
  child: ChildProcess,
  output: () => string,
  timeoutMs = 90_000,
): Promise<string> {
  const [kind, ...rest] = test;
  const command = kind === "CMD-SHELL" ? ["sh", "-c", interpolate(rest.join(" "), {})] : rest;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before healthy:\n${output()}`);
    const r = run(command[0] as string, command.slice(1), env);
    if (r.code === 0) return r.stdout;
    if (Date.now() > deadline) throw new Error(`not healthy in time: ${r.stderr}\n${output()}`);
    await new Promise((r2) => setTimeout(r2, 1000));
  }
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
  if (child.exitCode !== null || child.pid === undefined) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  process.kill(-child.pid, signal);
  const timer = setTimeout(() => child.pid && process.kill(-child.pid, "SIGKILL"), 30_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

describe("our entrypoints, natively against the local stack", () => {
  beforeAll(async () => {
    const env = await testStackEnv(dataDir, {
      COLLECTOR: "off",
      ARCHIVER: "off",
      GATEWAY: "off",
      STACK_METRICS_PORT: "off",
      EMBEDDED_PG_PASSWORD: secret("POSTGRES_PASSWORD"),
      NETFLOW_COLLECTOR_PASSWORD: dotEnv.POSTGRES_PMACCT_PW as string,
      NETFLOW_READER_PASSWORD: dotEnv.NETFLOW_READER_PASSWORD as string,
      NETFLOW_ARCHIVER_PASSWORD: dotEnv.NETFLOW_ARCHIVER_PASSWORD as string,
      REDIS_PASSWORD: dotEnv.REDIS_PASSWORD as string,
      S3_ACCESS_KEY_ID: dotEnv.S3_ACCESS_KEY_ID as string,
      S3_SECRET_ACCESS_KEY: dotEnv.S3_SECRET_ACCESS_KEY as string,
      S3_READONLY_ACCESS_KEY_ID: dotEnv.S3_READONLY_ACCESS_KEY_ID as string,
      S3_READONLY_SECRET_ACCESS_KEY: dotEnv.S3_READONLY_SECRET_ACCESS_KEY as string,
      S3_BUCKET: dotEnv.S3_BUCKET as string,
    });
    stack = await startStack({ env, logger: log });
    // The /app trees of our images: production dependencies from the lockfile, tsx from its
    // stage, and only the files each Dockerfile copies. The entrypoints below run from there.
    const dockerfiles = ["archiver/Dockerfile", "query-gateway/Dockerfile", "pmacct/docker/Dockerfile"];
    const stagesText = dockerfiles.map((d) => {
      const df = readDockerfile(join(ROOT, d));
      return JSON.stringify(
        df.stages
          .filter((st) => st.name === "deps" || st.name === "tsx")
          .map((st) => st.instructions.map((i) => `${i.keyword} ${i.args}`)),
      );
    });
    expect(new Set(stagesText).size, "deps and tsx stages are the same in every Node image").toBe(1);
    const stages = buildStages(ROOT, join(ROOT, dockerfiles[0] as string), join(dataDir, "stages"));
    const byService: Record<string, string> = {
      migrate: "archiver/Dockerfile",
      archiver: "archiver/Dockerfile",
      gateway: "query-gateway/Dockerfile",
      collector: "pmacct/docker/Dockerfile",
    };
    for (const [name, dockerfile] of Object.entries(byService)) {
      const dir = join(dataDir, "images", dockerfile.split("/")[0] as string);
      if (!existsSync(dir)) layOutImage(ROOT, join(ROOT, dockerfile), stages, dir);
      imageDirs[name] = dir;
    }
  }, 300_000);

  afterAll(async () => {
    for (const child of children) await stopChild(child, "SIGKILL").catch(() => {});
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 120_000);

  it("image trees hold only what the Dockerfiles copy", () => {
    const gateway = imageDirs.gateway as string;
    expect(existsSync(join(gateway, "query-gateway/src/main.ts"))).toBe(true);
    expect(existsSync(join(gateway, "archiver"))).toBe(false);
    expect(existsSync(join(gateway, "node_modules/vitest"))).toBe(false); // no dev dependencies
    expect(existsSync(join(imageDirs.collector as string, "pmacct/docker/healthcheck.sh"))).toBe(true);
  });

  it("migrate: applies the schema as the superuser and exits 0 (a re-run is a no-op)", () => {
    const url = new URL((stack as StackHandle).endpoints.postgres.url);
    const env = localEnv("migrate", { POSTGRES_PASSWORD: decodeURIComponent(url.password) });
    const r = run(imageCommand("migrate")[0] as string, [], env);
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ applied: [], loginRoles: expect.any(Array) });
  }, 60_000);

  it("redis: starts with the compose settings and answers the compose healthcheck", async () => {
    const redisDir = join(dataDir, "redis-compose");
    execFileSync("mkdir", ["-p", redisDir]);
    const port = String(await freeTcpPort());
    const env = localEnv("redis", { REDIS_DATA_DIR: redisDir, REDIS_PORT: port, REDIS_BIND: "127.0.0.1" });
    const { child, output } = start(nativeCommand("redis"), env);
    // The compose healthcheck, pointed at this port.
    const test = list(service("redis").healthcheck?.test).map((t) =>
      t.replace("redis-cli ping", `redis-cli -p ${port} ping`),
    );
    await untilHealthy(test, env, child, output, 30_000);
    const config = run("redis-cli", ["-p", port, "config", "get", "*"], {
      REDISCLI_AUTH: env.REDIS_PASSWORD as string,
    });
    const values = config.stdout.split("\n");
    const get = (key: string): string | undefined => values[values.indexOf(key) + 1];
    expect(get("appendonly")).toBe("yes");
    expect(get("maxmemory-policy")).toBe("noeviction");
    expect(run("redis-cli", ["-p", port, "ping"], {}).stdout).toContain("NOAUTH");
    expect(await stopChild(child)).toBe(0);
  }, 60_000);

  it("collector: renders its config from the schema, starts nfacctd and sfacctd, and turns healthy", async () => {
    const stateDir = join(dataDir, "collector-state");
    const env = localEnv("collector", {
      COLLECTOR_STATE_DIR: stateDir,
      COLLECTOR_LISTEN_IP: "127.0.0.1",
      NETFLOW_PORT: String(await freeUdpPort()),
      SFLOW_PORT: String(await freeUdpPort()),
    });
    const { child, output } = start(imageCommand("collector"), env);
    const healthy = await untilHealthy(
      ["CMD", repoPath(list(service("collector").healthcheck?.test)[1] as string, imageDirs.collector)],
      env,
      child,
      output,
    );
    expect(healthy).toContain("nfacctd:");
    expect(healthy).toContain("sfacctd:");
    const conf = readFileSync(join(stateDir, "nfacctd.conf"), "utf8");
    expect(conf).toContain("sql_user[flows]: netflow_collector");
    expect(conf).toContain(`sql_passwd[flows]: ${dotEnv.POSTGRES_PMACCT_PW}`);
    expect(await stopChild(child)).toBe(0);
  }, 150_000);

  it("archiver: logs in with the percent-encoded secrets and serves its metrics", async () => {
    const metricsPort = String(await freeTcpPort());
    const env = localEnv("archiver", { ARCHIVER_METRICS_PORT: metricsPort });
    const { child, output } = start(imageCommand("archiver"), env);
    const test = list(service("archiver").healthcheck?.test).map((t) => t.replace(":9465/", `:${metricsPort}/`));
    await untilHealthy(test, env, child, output);
    // The check runs synchronously, so the log line may still sit in the pipe when it passes.
    const deadline = Date.now() + 10_000;
    while (!output().includes("archiver started") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(output()).toContain("archiver started");
    expect(await stopChild(child)).toBe(0);
  }, 150_000);

  it("gateway: serves /healthz and the Postgres wire with the read-only login and S3 identity", async () => {
    const port = String(await freeTcpPort());
    const pgPort = await freeTcpPort();
    const cacheDir = join(dataDir, "gateway-cache");
    const env = localEnv("gateway", {
      GATEWAY_HTTP_PORT: port,
      GATEWAY_HTTP_HOST: "127.0.0.1",
      GATEWAY_PG_PORT: String(pgPort),
      GATEWAY_PG_HOST: "127.0.0.1",
      GATEWAY_CACHE_DIR: cacheDir,
    });
    const { child, output } = start(imageCommand("gateway"), env);
    const test = list(service("gateway").healthcheck?.test).map((t) => t.replace(":8080/", `:${port}/`));
    await untilHealthy(test, env, child, output);
    const tiers = await fetch(`http://127.0.0.1:${port}/api/tiers`, {
      headers: { authorization: `Bearer ${dotEnv.GATEWAY_TOKENS}` },
    });
    expect(tiers.status).toBe(200);
    const refused = await fetch(`http://127.0.0.1:${port}/api/tiers`);
    expect(refused.status).toBe(401);
    const client = new pg.Client({
      host: "127.0.0.1",
      port: pgPort,
      user: env.GATEWAY_PG_USER,
      password: env.GATEWAY_PG_PASSWORD,
      database: "netflow",
    });
    await client.connect();
    const { rows } = await client.query<{ one: number }>("SELECT 1 AS one");
    await client.end();
    expect(rows).toEqual([{ one: 1 }]);
    expect(await stopChild(child)).toBe(0);
  }, 150_000);
});
