import { spawnSync } from "node:child_process";
import { createSocket } from "node:dgram";
import pg from "pg";
import type { DatabaseTarget } from "./config.ts";
import { CollectorError } from "./errors.ts";

/**
 * Fails when something already holds the UDP port. nfacctd binds with
 * SO_REUSEPORT, so a second nfacctd on the same port would start "fine" and
 * silently receive a share of the datagrams; hence this check before spawning.
 * Our probe socket binds without SO_REUSEPORT and is closed again at once.
 */
export async function checkUdpPortFree(ip: string, port: number, option: string): Promise<void> {
  const socket = createSocket({ type: ip.includes(":") ? "udp6" : "udp4" });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind({ address: ip, port, exclusive: true }, () => resolve());
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") {
      throw new CollectorError(
        "port-in-use",
        `UDP port ${ip}:${port} (${option}) is already in use by another process; stop it (see: ss -ulpn 'sport = :${port}') or choose another port`,
      );
    }
    throw new CollectorError("port-in-use", `cannot bind UDP ${ip}:${port} (${option}): ${code ?? String(error)}`);
  } finally {
    await new Promise<void>((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

/** Fails with the package to install when a pmacct binary cannot be run. */
export function checkBinary(path: string): void {
  const result = spawnSync(path, ["-V"], { stdio: "ignore", timeout: 10_000 });
  if (result.error !== undefined) {
    throw new CollectorError(
      "missing-binary",
      `cannot run ${path} (${(result.error as NodeJS.ErrnoException).code ?? result.error.message}); install pmacct 1.7.7+ (Debian/Ubuntu: apt-get install -y pmacct) or set NFACCTD_PATH/SFACCTD_PATH`,
    );
  }
}

const RETRYABLE = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "57P03",
]);

/**
 * Connects as the collector role and checks it may insert into the ingest
 * view: the checks pmacct itself would only fail at its first purge, losing
 * that purge's flows.
 */
export async function checkDatabase(db: DatabaseTarget, table: string): Promise<void> {
  const where = `${db.user}@${db.host}:${db.port}/${db.database}`;
  const client = new pg.Client({ ...db, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => {});
    const code = (error as { code?: string }).code ?? "";
    const message = (error as Error).message;
    if (code === "28P01" || code === "28000") {
      throw new CollectorError("db-auth", `database login ${where} refused: ${message}`, { cause: error });
    }
    throw new CollectorError("db-unreachable", `database ${where} unreachable: ${code || message}`, {
      retryable: RETRYABLE.has(code) || code === "" || code === "3D000",
      cause: error,
    });
  }
  try {
    const { rows } = await client.query<{ present: boolean; can_insert: boolean | null }>(
      "SELECT to_regclass($1) IS NOT NULL AS present, CASE WHEN to_regclass($1) IS NOT NULL THEN has_table_privilege(to_regclass($1), 'INSERT') END AS can_insert",
      [table],
    );
    const row = rows[0];
    if (row === undefined || !row.present) {
      throw new CollectorError(
        "db-not-migrated",
        `database ${where} has no ${table} table yet; run the migrations (timescale migrate)`,
        { retryable: true },
      );
    }
    if (row.can_insert !== true) {
      throw new CollectorError("db-auth", `role ${db.user} may not INSERT into ${table} on ${where}`);
    }
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Retries checkDatabase with backoff while the failure is retryable, logging
 * one line per attempt (no stack traces), until waitSeconds pass (0 = forever)
 * or the signal aborts.
 */
export async function waitForDatabase(
  db: DatabaseTarget,
  table: string,
  options: {
    waitSeconds: number;
    signal?: AbortSignal;
    log: (message: string, fields: Record<string, unknown>) => void;
  },
): Promise<void> {
  const deadline = options.waitSeconds === 0 ? Number.POSITIVE_INFINITY : Date.now() + options.waitSeconds * 1000;
  let delayMs = 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      await checkDatabase(db, table);
      return;
    } catch (error) {
      if (!(error instanceof CollectorError) || !error.retryable) throw error;
      if (options.signal?.aborted) throw error;
      if (Date.now() >= deadline) {
        throw new CollectorError(
          error.kind,
          `${error.message} (gave up after ${attempt} attempts in ${options.waitSeconds} s; the collector is not started)`,
          { retryable: true },
        );
      }
      const waitMs = Math.min(delayMs, deadline - Date.now());
      options.log("database not ready, retrying", { reason: error.message, attempt, retryInS: waitMs / 1000 });
      await sleep(waitMs, options.signal);
      delayMs = Math.min(delayMs * 2, 15_000);
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
