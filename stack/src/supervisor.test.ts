import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { StackError } from "./errors.ts";
import { processAlive } from "./lock.ts";
import { SupervisedProcess } from "./process.ts";
import type { EndpointLine, Health, Service } from "./service.ts";
import { Supervisor } from "./supervisor.ts";

const dir = mkdtempSync(join(tmpdir(), "stack-supervisor-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const log = pino({ level: "silent" });

/** A service that is one real child process, printing "ready" after `readyAfterMs` (or exiting with `exitCode`). */
class ChildService implements Service {
  readonly name: string;
  readonly process: SupervisedProcess;
  readonly #events: string[];

  constructor(name: string, events: string[], options: { readyAfterMs?: number; exitCode?: number } = {}) {
    this.name = name;
    this.#events = events;
    const script =
      options.exitCode === undefined
        ? `setTimeout(() => console.log('ready'), ${options.readyAfterMs ?? 0}); setInterval(() => {}, 1000);`
        : `process.exit(${options.exitCode});`;
    this.process = new SupervisedProcess(
      {
        name,
        command: process.execPath,
        args: ["-e", script],
        logFile: join(dir, `${name}.log`),
        readiness: { kind: "line", match: (line) => line === "ready" },
        readyTimeoutMs: 30_000,
        stopTimeoutMs: 2_000,
        restart: false,
      },
      log,
    );
  }

  async preflight(): Promise<void> {
    this.#events.push(`preflight ${this.name}`);
  }

  async start(): Promise<void> {
    this.#events.push(`start ${this.name}`);
    await this.process.start();
  }

  async stop(): Promise<void> {
    this.#events.push(`stop ${this.name}`);
    await this.process.stop();
  }

  endpoints(): EndpointLine[] {
    return [];
  }

  async check(): Promise<Health> {
    return { service: this.name, ok: this.process.pid !== undefined, detail: "" };
  }
}

describe("Supervisor", () => {
  it("runs every preflight first, starts in order and stops in reverse", async () => {
    const events: string[] = [];
    const services = ["a", "b", "c"].map((name) => new ChildService(name, events));
    const supervisor = new Supervisor(services, log);
    await supervisor.start();
    const pids = services.map((s) => s.process.pid!);
    await supervisor.stop();
    expect(events).toEqual([
      "preflight a",
      "preflight b",
      "preflight c",
      "start a",
      "start b",
      "start c",
      "stop c",
      "stop b",
      "stop a",
    ]);
    for (const pid of pids) expect(processAlive(pid)).toBe(false);
  });

  it("stops what started when a later service fails, and rethrows", async () => {
    const events: string[] = [];
    const a = new ChildService("a", events);
    const supervisor = new Supervisor([a, new ChildService("b", events, { exitCode: 4 })], log);
    const error = await supervisor.start().catch((e: unknown) => e);
    expect((error as StackError).kind).toBe("start-failed");
    expect(events.slice(-2)).toEqual(["stop b", "stop a"]);
    expect(a.process.pid).toBeUndefined();
  });

  it("abandons a slow start on abort, leaving no process behind", async () => {
    const events: string[] = [];
    const a = new ChildService("a", events);
    const slow = new ChildService("slow", events, { readyAfterMs: 20_000 });
    const abort = new AbortController();
    const supervisor = new Supervisor([a, slow, new ChildService("never", events)], log);
    const starting = supervisor.start(abort.signal);
    while (slow.process.pid === undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    const pids = [a.process.pid!, slow.process.pid];
    const begin = Date.now();
    abort.abort();
    const error = await starting.catch((e: unknown) => e);
    expect(Date.now() - begin).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(StackError);
    expect((error as StackError).kind).toBe("aborted");
    expect(events).not.toContain("start never");
    expect(events.slice(-2)).toEqual(["stop slow", "stop a"]);
    for (const pid of pids) expect(processAlive(pid)).toBe(false);
  });
});
