import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedForTest } from "./embedded/testing.ts";
import { loadMigrations } from "./migrations.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", "timescale/src/cli.ts", ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

let server: Awaited<ReturnType<typeof startEmbeddedForTest>>;
beforeAll(async () => {
  server = await startEmbeddedForTest();
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

describe("timescale cli migrate", () => {
  it("applies the migrations, reports progress, and a second run applies nothing", async () => {
    const env = { PG_URL: server.url, NETFLOW_READER_PASSWORD: "reader-pw-cli" };
    const first = await runCli(["migrate"], env);
    expect(first.stderr).toContain("migration applied");
    expect(first.code).toBe(0);
    const versions = loadMigrations().map((m) => m.version);
    expect(JSON.parse(first.stdout)).toEqual({ applied: versions, alreadyApplied: [], loginRoles: ["netflow_reader"] });
    const second = await runCli(["migrate"], env);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout).applied).toEqual([]);
    // The password set by the migrator logs in (independent check through pg).
    const url = new URL(server.url);
    url.username = "netflow_reader";
    url.password = "reader-pw-cli";
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    const { rows } = await client.query<{ u: string }>("SELECT current_user AS u");
    await client.end();
    expect(rows[0]?.u).toBe("netflow_reader");
  }, 120_000);

  it("fails with one clear line without PG_URL or with a bad setting", async () => {
    const missing = await runCli(["migrate"], {});
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("error: PG_URL is not set (postgres://user:password@host:port/db)\n");
    const bad = await runCli(["migrate"], { PG_URL: server.url, HOT_CHUNK_INTERVAL: "often" });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('HOT_CHUNK_INTERVAL="often"');
    const usage = await runCli([], {});
    expect(usage.code).toBe(2);
  }, 60_000);
});
