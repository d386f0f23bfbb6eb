// The production compose file, checked without a docker engine (see deploy/README.md, CI):
// against the Compose Specification JSON schema (ajv, and check-jsonschema's own validator as a
// second implementation), and its structure: healthchecks, start order, volumes, pinned versions.
// Dockerfiles and scripts: compose-build.test.ts. Drift against the code: compose-drift.test.ts.
// Entrypoints run natively against the local stack: compose-native.test.ts.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { interpolate, publishedPorts, referencedVariables, serviceEnvironment } from "../deploy/src/compose.ts";
import {
  COMPOSE_PATH,
  COMPOSE_TEXT,
  compose,
  dotEnv,
  example,
  list,
  ROOT,
  run,
  SECRETS,
  service,
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

  it("pins every image in x-images, none of them `latest`, and the MinIO sources by module sum", () => {
    const pins = compose["x-images"] as Record<string, string>;
    const sourcePin: Array<[suffix: string, format: RegExp]> = [
      ["-release", /^RELEASE\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/],
      // A pseudo-version: v0.0.0-<commit time, UTC>-<first 12 hex digits of the commit>.
      ["-module", /^github\.com\/minio\/[a-z]+@v0\.0\.0-\d{14}-[0-9a-f]{12}$/],
      ["-sum", /^h1:[A-Za-z0-9+/]{43}=$/],
      ["-commit", /^[0-9a-f]{40}$/],
    ];
    for (const [key, ref] of Object.entries(pins)) {
      const source = sourcePin.find(([suffix]) => key.endsWith(suffix));
      if (source !== undefined) {
        expect(ref, key).toMatch(source[1]);
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
    // The MinIO images are tagged with the releases they are built from, and each module
    // version names its commit and the release's time (RELEASE tags are UTC commit times).
    expect(service("minio").image).toBe(`netflow-analyzer/minio:${pins["minio-release"]}`);
    expect(service("minio-bootstrap").image).toBe(`netflow-analyzer/minio-mc:${pins["mc-release"]}`);
    for (const tool of ["minio", "mc"]) {
      const module = pins[`${tool}-module`] ?? "";
      expect(module.startsWith(`github.com/minio/${tool}@`), module).toBe(true);
      expect(module.endsWith(`-${(pins[`${tool}-commit`] ?? "").slice(0, 12)}`), module).toBe(true);
      const releaseTime = (pins[`${tool}-release`] ?? "").replace(/\D/g, "");
      expect(module, `${tool}: release time`).toContain(`-${releaseTime}-`);
    }
  });

  it("publishes the unpatched MinIO's S3 API on loopback unless the operator opts out", () => {
    const s3 = publishedPorts(service("minio"), dotEnv).find((p) => p.target === 9000);
    expect(s3?.hostIp).toBe("127.0.0.1");
    const { MINIO_BIND: _, ...withoutBind } = dotEnv;
    expect(publishedPorts(service("minio"), withoutBind).find((p) => p.target === 9000)?.hostIp).toBe("127.0.0.1");
    expect(publishedPorts(service("minio"), { ...dotEnv, MINIO_BIND: "0.0.0.0" })[0]?.hostIp).toBe("0.0.0.0");
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
