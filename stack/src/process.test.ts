import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { StackError } from "./errors.ts";
import { processAlive } from "./lock.ts";
import { freeTcpPort } from "./ports.ts";
import { type ProcessSpec, SupervisedProcess } from "./process.ts";

const dir = mkdtempSync(join(tmpdir(), "stack-process-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = pino({ level: "silent" });

function nodeSpec(name: string, script: string, overrides: Partial<ProcessSpec> = {}): ProcessSpec {
  return {
    name,
    command: process.execPath,
    args: ["-e", script],
    logFile: join(dir, `${name}.log`),
    readiness: { kind: "line", match: (line) => line === "ready" },
    readyTimeoutMs: 10_000,
    stopTimeoutMs: 2_000,
    restart: { initialDelayMs: 50, maxDelayMs: 200, stableAfterMs: 60_000 },
    ...overrides,
  };
}

const SERVE = "console.log('ready'); setInterval(() => {}, 1000);";

describe("SupervisedProcess", () => {
  it("respawns a process killed with SIGKILL and stops it on request", async () => {
    const supervised = new SupervisedProcess(nodeSpec("crashy", SERVE), log);
    await supervised.start();
    const first = supervised.pid;
    expect(first).toBeGreaterThan(0);
    const restarted = supervised.nextRestart();
    process.kill(first!, "SIGKILL");
    await restarted;
    const second = supervised.pid;
    expect(second).toBeGreaterThan(0);
    expect(second).not.toBe(first);
    expect(supervised.restarts).toBe(1);
    await supervised.stop();
    expect(supervised.pid).toBeUndefined();
    expect(processAlive(second!)).toBe(false);
    expect(readFileSync(join(dir, "crashy.log"), "utf8")).toBe("ready\nready\n");
  });

  it("reports a process that dies during startup with the end of its output", async () => {
    const supervised = new SupervisedProcess(
      nodeSpec("dies", "console.error('bind: address already in use'); process.exit(3);"),
      log,
    );
    const error = await supervised.start().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackError);
    expect((error as StackError).kind).toBe("start-failed");
    expect((error as StackError).message).toMatch(/dies exited during startup \(code 3\)/);
    expect((error as StackError).message).toContain("bind: address already in use");
    await supervised.stop();
  });

  it("kills a process that is not ready in time", async () => {
    const supervised = new SupervisedProcess(
      nodeSpec("slow", "setInterval(() => {}, 1000);", { readyTimeoutMs: 300 }),
      log,
    );
    const error = await supervised.start().catch((e: unknown) => e);
    expect((error as StackError).message).toMatch(/slow was not ready after 300 ms/);
    expect(supervised.pid).toBeUndefined();
    await supervised.stop();
  });

  it("sends SIGKILL when SIGTERM is ignored past the stop timeout", async () => {
    const supervised = new SupervisedProcess(
      nodeSpec("stubborn", `process.on('SIGTERM', () => {}); ${SERVE}`, { stopTimeoutMs: 300 }),
      log,
    );
    await supervised.start();
    const pid = supervised.pid!;
    const begin = Date.now();
    await supervised.stop();
    expect(Date.now() - begin).toBeGreaterThanOrEqual(300);
    expect(processAlive(pid)).toBe(false);
  });

  it("waits for a probe, and leaves a process down when restarts are off", async () => {
    const port = await freeTcpPort();
    const probe = (): Promise<boolean> =>
      new Promise((resolve) => {
        const socket = connect({ host: "127.0.0.1", port }, () => {
          socket.destroy();
          resolve(true);
        });
        socket.once("error", () => resolve(false));
      });
    const supervised = new SupervisedProcess(
      nodeSpec("server", `setTimeout(() => require('node:net').createServer().listen(${port}, '127.0.0.1'), 300);`, {
        readiness: { kind: "probe", probe, intervalMs: 50 },
        restart: false,
      }),
      log,
    );
    await supervised.start();
    expect(await probe()).toBe(true);
    process.kill(supervised.pid!, "SIGKILL");
    for (let waited = 0; supervised.pid !== undefined && waited < 5000; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // Past the first restart delay (50 ms): a respawn would have happened by now.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(supervised.pid).toBeUndefined();
    expect(supervised.restarts).toBe(0);
    await supervised.stop();
  });

  it("stops a leftover of a killed launcher found by its pid file, and only that program", async () => {
    const pidFile = join(dir, "pids", "leftover.pid");
    const supervised = new SupervisedProcess(nodeSpec("leftover", SERVE, { pidFile }), log);
    await supervised.start();
    const first = supervised.pid!;
    expect(readFileSync(pidFile, "utf8").trim()).toBe(String(first));
    await supervised.stop();
    expect(existsSync(pidFile)).toBe(false);

    // What a launcher killed with SIGKILL leaves: a detached child and its pid file.
    const orphan = spawn(process.execPath, ["-e", SERVE], { detached: true, stdio: "ignore" });
    writeFileSync(pidFile, `${orphan.pid}\n`);
    await supervised.reapLeftover();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(processAlive(orphan.pid!)).toBe(false);
    expect(existsSync(pidFile)).toBe(false);

    // A pid that now belongs to another program is left alone.
    const stranger = spawn("sleep", ["30"], { stdio: "ignore" });
    writeFileSync(pidFile, `${stranger.pid}\n`);
    await supervised.reapLeftover();
    expect(processAlive(stranger.pid!)).toBe(true);
    stranger.kill("SIGKILL");
  });
});
