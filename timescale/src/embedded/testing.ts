// Test helper: runs the embedded server as a child process (exactly like production, so
// kill -9 and restarts are real) on a free port with a temporary data directory.

import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface StartEmbeddedOptions {
  /** Data directory to use; default a fresh temp dir, removed by stop(). */
  dataDir?: string;
  /** Superuser password; default random. */
  password?: string;
  /** Extra EMBEDDED_PG_* (or LOG_LEVEL) variables for the child, e.g. a short idle timeout. */
  env?: Record<string, string>;
}

export interface EmbeddedTestServer {
  /** Superuser URL: postgres://postgres:<password>@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  password: string;
  dataDir: string;
  /** SIGTERM, wait for a clean exit; removes the data dir if this helper created it. Final. */
  stop(): Promise<void>;
  /** SIGKILL, wait for the process to be gone. The data dir stays. */
  kill9(): Promise<void>;
  /** Stops (SIGTERM) if running and starts again on the same data dir and port. */
  restart(): Promise<void>;
  /** Everything the child wrote to stderr (its logs). */
  stderr(): string;
}

const MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), "main.ts");
const START_TIMEOUT_MS = 90_000;

/** Waits for the child to exit (SIGKILL after timeoutMs); resolves with its exit code or signal. */
function waitForExit(child: ChildProcess, timeoutMs: number): Promise<number | string> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  if (child.signalCode !== null) return Promise.resolve(child.signalCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal ?? "unknown");
    });
  });
}

export async function startEmbeddedForTest(opts: StartEmbeddedOptions = {}): Promise<EmbeddedTestServer> {
  const ownsDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "embedded-pg-"));
  const password = opts.password ?? randomBytes(12).toString("hex");
  let port = 0;
  let child: ChildProcess | undefined;
  let log = "";
  const killOnExit = () => child?.kill("SIGKILL");
  process.once("exit", killOnExit);

  const launch = async (): Promise<void> => {
    // Resolved here, not at import: production code importing the package has no tsx.
    const tsxLoader = createRequire(import.meta.url).resolve("tsx");
    const proc = spawn(process.execPath, ["--import", tsxLoader, MAIN], {
      env: {
        ...process.env,
        EMBEDDED_PG_DATA_DIR: dataDir,
        EMBEDDED_PG_HOST: "127.0.0.1",
        EMBEDDED_PG_PORT: String(port),
        EMBEDDED_PG_PASSWORD: password,
        ...opts.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child = proc;
    proc.stderr?.on("data", (chunk: Buffer) => {
      log += chunk.toString();
    });
    port = await new Promise<number>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => {
        proc.kill("SIGKILL");
        reject(new Error(`embedded server did not start within ${START_TIMEOUT_MS} ms:\n${log.slice(-4000)}`));
      }, START_TIMEOUT_MS);
      proc.stdout?.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        for (const line of out.split("\n")) {
          try {
            const parsed = JSON.parse(line) as { msg?: string; port?: number };
            if (parsed.msg === "listening" && typeof parsed.port === "number") {
              clearTimeout(timer);
              resolve(parsed.port);
              return;
            }
          } catch {
            // Not a complete JSON line yet.
          }
        }
      });
      proc.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`embedded server exited (${code ?? signal}) before listening:\n${log.slice(-4000)}`));
      });
    });
  };

  const terminate = async (): Promise<void> => {
    const proc = child;
    if (!proc) return;
    proc.kill("SIGTERM");
    const exit = await waitForExit(proc, 30_000);
    child = undefined;
    // A clean close of the engine is part of the contract: SIGTERM must end with exit code 0.
    if (exit !== 0) throw new Error(`embedded server did not stop cleanly (${exit}):\n${log.slice(-4000)}`);
  };

  await launch();
  const server: EmbeddedTestServer = {
    url: "",
    port,
    password,
    dataDir,
    stderr: () => log,
    async stop() {
      await terminate();
      process.removeListener("exit", killOnExit);
      if (ownsDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
    async kill9() {
      const proc = child;
      if (!proc) return;
      proc.kill("SIGKILL");
      await waitForExit(proc, 10_000);
      child = undefined;
    },
    async restart() {
      await terminate();
      await launch();
    },
  };
  server.url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  return server;
}
