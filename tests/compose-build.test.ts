// The images of the production stack, checked without a docker engine: our Dockerfiles (hadolint
// and structured checks: bases from the compose pins, non-root, lockfile installs, what they copy
// exists), the entrypoint scripts (shellcheck), and the MinIO bootstrap script's own logic.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { serviceEnvironment } from "../deploy/src/compose.ts";
import { contextCopySources, readDockerfile, resolveFrom } from "../deploy/src/dockerfile.ts";
import { compose, dotEnv, ROOT, run, service } from "./support/compose.ts";

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

describe("minio/Dockerfile build script", () => {
  // No Go module proxy here: a stand-in `go` answers `go mod download -json` the way the real one
  // prints it (the sum it "downloaded" comes from the test) and records the builds. This checks the
  // script's own guards (module sum, commit, version stamps), not Go or MinIO.
  const df = readDockerfile(join(ROOT, "minio/Dockerfile"));
  const runs = df.stages.find((s) => s.name === "build")?.instructions.filter((i) => i.keyword === "RUN") ?? [];
  const pins = Object.fromEntries(df.globalArgs);

  // The stand-in `go`: `version`, `mod download -json MODULE@VERSION` (the sum in served-<tool>),
  // `mod verify`, and `build` (records its directory and arguments, writes the -o file).
  const goStub = `#!/bin/bash
set -eu
case "$1" in
  version) echo "go version go1.24.13 linux/amd64" ;;
  mod)
    if [ "$2" = verify ]; then echo "all modules verified"; exit 0; fi
    module="$4"; path="\${module%@*}"; moddir="$STUB_DIR/mod/$module"
    mkdir -p "$moddir"; echo "license of $path" > "$moddir/LICENSE"
    printf '{\\n\\t"Path": "%s",\\n\\t"Version": "%s",\\n\\t"Dir": "%s",\\n\\t"Sum": "%s",\\n\\t"GoModSum": "h1:gomod="\\n}\\n' \\
      "$path" "\${module#*@}" "$moddir" "$(cat "$STUB_DIR/served-\${path##*/}")" ;;
  build)
    out=""; prev=""
    for a in "$@"; do [ "$prev" = "-o" ] && out="$a"; prev="$a"; done
    echo "$PWD $*" >> "$STUB_DIR/builds"; echo binary > "$out" ;;
esac
`;

  function build(served: Record<string, string>, env: Record<string, string> = {}) {
    const dir = mkdtempSync(join(tmpdir(), "go-stub-"));
    try {
      for (const sub of ["bin", "out", "src"]) mkdirSync(join(dir, sub));
      writeFileSync(join(dir, "bin", "go"), goStub, { mode: 0o755 });
      for (const [tool, sum] of Object.entries(served)) writeFileSync(join(dir, `served-${tool}`), sum);
      const script = (runs.at(-1)?.args ?? "")
        .replaceAll("/out/", `${dir}/out/`)
        .replaceAll("cd /src", `cd ${dir}/src`);
      // --norc and HOME: no ~/.bashrc may put the real go before the stand-in.
      const r = run("bash", ["--norc", "-o", "pipefail", "-c", script], {
        ...pins,
        ...env,
        PATH: `${join(dir, "bin")}:${process.env.PATH ?? ""}`,
        STUB_DIR: dir,
        HOME: dir,
      });
      const read = (name: string): string => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), "utf8") : "");
      return {
        ...r,
        builds: read("builds"),
        minio: existsSync(join(dir, "out/minio")),
        license: read("out/mc.LICENSE"),
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const pinned = { minio: pins.MINIO_SUM ?? "", mc: pins.MC_SUM ?? "" };

  it("builds both pinned modules with MinIO's version stamps", () => {
    expect(runs.length).toBe(1);
    const r = build(pinned);
    expect(r.code, r.stderr).toBe(0);
    const [minio, mc] = r.builds.trim().split("\n");
    expect(minio).toContain(`/mod/${pins.MINIO_MODULE} build -trimpath -tags kqueue`);
    expect(minio).toContain(`github.com/minio/minio/cmd.CommitID=${pins.MINIO_COMMIT}`);
    expect(minio).toContain("github.com/minio/minio/cmd.Version=2025-10-15T17:29:55Z");
    expect(minio).toContain(`github.com/minio/minio/cmd.ReleaseTag=${pins.MINIO_RELEASE}`);
    expect(mc).toContain(`github.com/minio/mc/cmd.ShortCommitID=${pins.MC_COMMIT?.slice(0, 12)}`);
    expect(r.license).toBe("license of github.com/minio/mc\n");
  });

  it("stops when the downloaded module's sum is not the pinned one", () => {
    const r = build({ ...pinned, minio: "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${pins.MINIO_MODULE}: module sum h1:AAAA`);
    expect(r.minio).toBe(false);
  });

  it("stops when the module version does not name the pinned commit", () => {
    const r = build(pinned, { MC_COMMIT: "0123456789abcdef0123456789abcdef01234567" });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("does not name commit 0123456789abcdef0123456789abcdef01234567");
  });
});
