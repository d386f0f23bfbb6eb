import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { StackError } from "./errors.ts";
import { acquireStackLock } from "./lock.ts";

const dir = mkdtempSync(join(tmpdir(), "stack-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("acquireStackLock", () => {
  it("writes our pid and removes the file on release", () => {
    const path = join(dir, "a", "stack.lock");
    const release = acquireStackLock(path);
    expect(readFileSync(path, "utf8").trim()).toBe(String(process.pid));
    release();
    expect(existsSync(path)).toBe(false);
  });

  it("refuses a second stack in the same process", () => {
    const path = join(dir, "same.lock");
    const release = acquireStackLock(path);
    expect(() => acquireStackLock(path)).toThrow(/already running in this process/);
    expect(readFileSync(path, "utf8").trim()).toBe(String(process.pid));
    release();
  });

  it("refuses while another live process holds it", async () => {
    const path = join(dir, "b.lock");
    const other = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    try {
      writeFileSync(path, `${other.pid}\n`);
      let error: unknown;
      try {
        acquireStackLock(path);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(StackError);
      expect((error as StackError).kind).toBe("locked");
      expect((error as StackError).message).toContain(`pid ${other.pid}`);
    } finally {
      other.kill("SIGKILL");
    }
  });

  it("takes over a lock whose launcher is gone", async () => {
    const path = join(dir, "c.lock");
    const gone = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    await new Promise((resolve) => gone.once("exit", resolve));
    writeFileSync(path, `${gone.pid}\n`);
    const release = acquireStackLock(path);
    expect(readFileSync(path, "utf8").trim()).toBe(String(process.pid));
    release();
  });
});
