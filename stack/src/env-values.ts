import { isAbsolute, resolve } from "node:path";
import type { Env } from "./env.ts";
import { StackError } from "./errors.ts";

// Reading one typed value from the environment; every failure is a "config"
// StackError that names the variable to fix.

export const configError = (variable: string, message: string): StackError =>
  new StackError("config", `${variable}: ${message}`, { variable });

/** The trimmed value, or undefined when unset or empty. */
export function nonEmpty(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

/** A URL with one of `protocols` (`postgres:`, …) and a host (file: URLs excepted). */
export function url(env: Env, name: string, protocols: readonly string[]): string | undefined {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw configError(name, `is not a valid URL (expected ${protocols.map((p) => `${p}//…`).join(" or ")})`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw configError(
      name,
      `has scheme "${parsed.protocol.replace(/:$/, "")}", expected ${protocols.map((p) => p.replace(/:$/, "")).join(" or ")}`,
    );
  }
  if (parsed.protocol !== "file:" && parsed.hostname === "") throw configError(name, "has no host");
  return raw;
}

/** A decimal integer from min to max. */
export function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw configError(name, `must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

/** A TCP/UDP port, 1-65535. */
export function port(env: Env, name: string, fallback: number): number {
  return integer(env, name, fallback, 1, 65535);
}

/** One of `allowed`, case-insensitive. */
export function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return fallback;
  const match = allowed.find((value) => value === raw.toLowerCase());
  if (match === undefined) throw configError(name, `must be one of ${allowed.join(", ")}, got "${raw}"`);
  return match;
}

/** A path, resolved against the repository root when relative. */
export function pathFrom(env: Env, name: string, repoRoot: string): string | undefined {
  const raw = nonEmpty(env, name);
  if (raw === undefined) return undefined;
  return isAbsolute(raw) ? raw : resolve(repoRoot, raw);
}
