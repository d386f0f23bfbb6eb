// The production compose stack, checked without a docker engine:
//  1. docker-compose.yml against the Compose Specification JSON schema (ajv, and
//     check-jsonschema's own validator as a second implementation);
//  2. Dockerfiles (hadolint + structured checks) and entrypoint scripts (shellcheck);
//  3. no drift between the compose file and the code (env names, ports, commands, images);
// (Native runs of the entrypoints: compose-native.test.ts.)
import { execFileSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectorConfigFromEnv } from "@netflow/pmacct";
import { hotStoreConfigFromEnv } from "@netflow/timescale";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { archiverConfigFromEnv } from "../archiver/src/config.ts";
import { interpolate, publishedPorts, referencedVariables, serviceEnvironment } from "../deploy/src/compose.ts";
import { contextCopySources, readDockerfile, resolveFrom } from "../deploy/src/dockerfile.ts";
import { gatewayConfigFromEnv } from "../query-gateway/src/config.ts";
import { pgWireConfigFromEnv } from "../query-gateway/src/pgwire/config.ts";

import {
  COMPOSE_PATH,
  COMPOSE_TEXT,
  compose,
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
  SECRETS,
  service,
  sourcesOf,
} from "./support/compose.ts";

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
