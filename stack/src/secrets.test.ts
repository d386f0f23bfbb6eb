import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { layerEnv, readEnvFile } from "./env.ts";
import { NOT_GENERATED, SecretsFile } from "./secrets.ts";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "stack-secrets-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("SecretsFile", () => {
  it("generates a secret once, persists it with mode 0600 and reuses it", () => {
    const path = join(tempDir(), "nested", "secrets.env");
    const first = new SecretsFile(path, {}).get("REDIS_PASSWORD");
    expect(first).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readEnvFile(path)).toEqual({ REDIS_PASSWORD: first });

    const again = new SecretsFile(path, {});
    expect(again.get("REDIS_PASSWORD")).toBe(first);
    expect(again.isGenerated("REDIS_PASSWORD")).toBe(true);
    const second = again.get("EMBEDDED_PG_PASSWORD");
    expect(second).not.toBe(first);
    expect(readEnvFile(path)).toEqual({ REDIS_PASSWORD: first, EMBEDDED_PG_PASSWORD: second });
  });

  it("prefers the environment and never writes its values", () => {
    const path = join(tempDir(), "secrets.env");
    const secrets = new SecretsFile(path, { REDIS_PASSWORD: "from-env" });
    expect(secrets.get("REDIS_PASSWORD")).toBe("from-env");
    expect(secrets.isGenerated("REDIS_PASSWORD")).toBe(false);
    expect(() => statSync(path)).toThrow();
  });

  it("generates nothing in read-only mode", () => {
    const path = join(tempDir(), "secrets.env");
    expect(new SecretsFile(path, {}, { generate: false }).get("REDIS_PASSWORD")).toBe(NOT_GENERATED);
    expect(() => statSync(path)).toThrow();
  });

  it("restores mode 0600 on an existing file it rewrites", () => {
    const path = join(tempDir(), "secrets.env");
    writeFileSync(path, "A=1\n", { mode: 0o644 });
    new SecretsFile(path, {}).get("B");
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, "utf8")).toMatch(/^# Generated.*\nA=1\nB=.+\n$/);
  });
});

describe("env files", () => {
  it("parses dotenv syntax and treats a missing file as empty", () => {
    const dir = tempDir();
    const path = join(dir, ".env");
    writeFileSync(
      path,
      [
        "# comment",
        "PG_URL=postgres://u:p@h:5432/db",
        'S3_BUCKET="quoted"',
        "export LOG_LEVEL=debug",
        "EMPTY=",
        "",
      ].join("\n"),
    );
    expect(readEnvFile(path)).toEqual({
      PG_URL: "postgres://u:p@h:5432/db",
      S3_BUCKET: "quoted",
      LOG_LEVEL: "debug",
      EMPTY: "",
    });
    expect(readEnvFile(join(dir, "missing.env"))).toEqual({});
  });

  it("layers later environments over earlier ones, ignoring unset values", () => {
    expect(
      layerEnv({ A: "secrets", B: "secrets" }, { B: "dotenv", C: "dotenv" }, { C: "process", D: undefined }),
    ).toEqual({ A: "secrets", B: "dotenv", C: "process" });
  });
});
