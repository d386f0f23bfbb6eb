// Password authentication with SCRAM-SHA-256 against the verifiers the engine stores in
// pg_authid.rolpassword, so `CREATE ROLE x LOGIN PASSWORD '…'` in a migration is all it
// takes for a role to log in. Roles without LOGIN, without a password, with an expired
// password or with a non-SCRAM (md5) verifier cannot log in.

import { randomBytes } from "node:crypto";
import type { Engine } from "./engine.ts";
import type { EngineLock } from "./lock.ts";
import { quoteLiteral } from "./protocol.ts";
import type { SessionSwitch } from "./session-switch.ts";

/** The parts of a SCRAM-SHA-256 verifier, base64 like pg-gateway expects them. */
export interface ScramVerifier {
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
}

export interface LoginRole {
  name: string;
  superuser: boolean;
  verifier: ScramVerifier;
}

/** Parses `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`. */
export function parseScramVerifier(value: string): ScramVerifier | undefined {
  const match = /^SCRAM-SHA-256\$(\d+):([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+):([A-Za-z0-9+/=]+)$/.exec(value);
  if (!match) return undefined;
  const [, iterations, salt, storedKey, serverKey] = match;
  if (!iterations || !salt || !storedKey || !serverKey) return undefined;
  return { iterations: Number(iterations), salt, storedKey, serverKey };
}

/**
 * A made-up verifier for unknown users, so the exchange looks the same whether or not the
 * role exists; the proof is then rejected.
 */
export function decoyVerifier(): ScramVerifier {
  const random = () => randomBytes(32).toString("base64");
  return { iterations: 4096, salt: randomBytes(16).toString("base64"), storedKey: random(), serverKey: random() };
}

/** Looks up a role that may log in; undefined when it may not. */
export async function lookupLogin(
  engine: Engine,
  lock: EngineLock,
  sessions: SessionSwitch,
  username: string,
): Promise<LoginRole | undefined> {
  await lock.acquire();
  try {
    await sessions.enterInternal();
    const result = await engine.simple(
      `SELECT rolpassword, rolsuper, rolcanlogin AND (rolvaliduntil IS NULL OR rolvaliduntil > now())
         FROM pg_catalog.pg_authid WHERE rolname = ${quoteLiteral(username)}`,
    );
    const [password, superuser, canLogin] = result.rows[0] ?? [];
    if (result.error || canLogin !== "t" || !password) return undefined;
    const verifier = parseScramVerifier(password);
    if (!verifier) return undefined;
    return { name: username, superuser: superuser === "t", verifier };
  } finally {
    lock.release();
  }
}
