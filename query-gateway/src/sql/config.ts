/**
 * Options of the SQL lockdown. The gateway's component config embeds this;
 * defaults are safe for a shared deployment.
 */

export interface LockdownConfig {
  /**
   * Highest `statement_timeout` a client may SET, in milliseconds. A client can
   * lower its own timeout but never raise it above the gateway's, and never
   * disable it (0). Default: 300000 (5 minutes).
   */
  readonly maxStatementTimeoutMs: number;
}

export const DEFAULT_LOCKDOWN_CONFIG: LockdownConfig = {
  maxStatementTimeoutMs: 300_000,
};

export function validateLockdownConfig(config: LockdownConfig): LockdownConfig {
  if (!Number.isInteger(config.maxStatementTimeoutMs) || config.maxStatementTimeoutMs <= 0) {
    throw new Error(`maxStatementTimeoutMs must be a positive integer, got ${config.maxStatementTimeoutMs}`);
  }
  return config;
}
