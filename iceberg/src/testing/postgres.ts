/**
 * Starts a throwaway real Postgres (the Debian postgresql-15 binaries) on a
 * free loopback port with data in a fresh temp dir, for catalog tests and for
 * PyIceberg/Java clients that need a wire-protocol database. Running as root,
 * the server runs as the `postgres` OS user (Postgres refuses root).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./free-port.ts";

export interface TestPostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  readonly url: string;
  readonly port: number;
  stop(): Promise<void>;
}

function binDir(): string {
  for (const v of ["17", "16", "15", "14"]) {
    const d = `/usr/lib/postgresql/${v}/bin`;
    if (existsSync(join(d, "postgres"))) return d;
  }
  throw new Error("no postgres binaries found under /usr/lib/postgresql");
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), "pg-"));
  const data = join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  const uid = asRoot ? Number(execFileSync("id", ["-u", "postgres"]).toString().trim()) : undefined;
  const gid = asRoot ? Number(execFileSync("id", ["-g", "postgres"]).toString().trim()) : undefined;
  if (uid !== undefined && gid !== undefined) {
    chmodSync(dir, 0o755);
    chownSync(dir, uid, gid);
  }
  const ids = uid !== undefined && gid !== undefined ? { uid, gid } : {};
  execFileSync(join(bin, "initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"], {
    ...ids,
    stdio: "ignore",
  });
  const port = await freePort();
  const proc: ChildProcess = spawn(
    join(bin, "postgres"),
    ["-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
    { ...ids, stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  proc.stderr?.on("data", (b: Buffer) => {
    log = (log + b.toString()).slice(-10_000);
  });
  let exited = false;
  proc.on("exit", () => {
    exited = true;
  });
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const stop = async (): Promise<void> => {
    if (!exited) {
      const gone = new Promise<void>((r) => proc.once("exit", () => r()));
      proc.kill("SIGINT"); // fast shutdown
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`postgres exited during startup:\n${log}`);
    }
    const c = new pg.Client({ connectionString: url });
    try {
      await c.connect();
      await c.query("SELECT 1");
      await c.end();
      break;
    } catch {
      await c.end().catch(() => undefined);
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`postgres did not become ready:\n${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url, port, stop };
}
