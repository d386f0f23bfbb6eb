import pg from "pg";
import { HotStoreError } from "./errors.ts";

export interface ConnectOptions {
  /** Give up after this long; 0 means one attempt. */
  timeoutMs: number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

const RETRYABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND", "57P03"]);

/**
 * Connects, retrying with backoff while the server is unreachable or starting
 * up, so a stack that starts its services in parallel does not crash-loop.
 * Authentication failures and bad URLs are not retried.
 */
export async function connectWithRetry(url: string, options: ConnectOptions): Promise<pg.Client> {
  const deadline = Date.now() + options.timeoutMs;
  let delay = 250;
  for (let attempt = 1; ; attempt++) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      return client;
    } catch (error) {
      await client.end().catch(() => {});
      const code = (error as { code?: string }).code ?? "";
      const target = describeTarget(url);
      if (code === "28P01" || code === "28000") {
        throw new HotStoreError("auth", `authentication to ${target} failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
      if (!RETRYABLE_CODES.has(code) || Date.now() >= deadline) {
        throw new HotStoreError(
          "unreachable",
          `cannot connect to the database at ${target} (${code || (error as Error).message}) after ${attempt} attempt(s)`,
          { retryable: true, cause: error },
        );
      }
      options.log?.("waiting for database", { target, attempt, code });
      await new Promise((resolve) => setTimeout(resolve, Math.min(delay, Math.max(0, deadline - Date.now()))));
      delay = Math.min(delay * 2, 5000);
    }
  }
}

function describeTarget(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`;
  } catch {
    throw new HotStoreError("bad-config", "PG_URL is not a valid URL (expected postgres://user:password@host:port/db)");
  }
}
