import { createHash, createHmac, pbkdf2Sync, randomBytes } from "node:crypto";

/**
 * Builds a SCRAM-SHA-256 verifier in the format Postgres stores in
 * pg_authid.rolpassword. Sending the verifier instead of the password (as
 * psql's \password does) keeps the clear password out of server logs and
 * statement statistics.
 */
export function scramVerifier(password: string, iterations = 4096, salt: Buffer = randomBytes(16)): string {
  const salted = pbkdf2Sync(password.normalize("NFKC"), salt, iterations, 32, "sha256");
  const clientKey = createHmac("sha256", salted).update("Client Key").digest();
  const storedKey = createHash("sha256").update(clientKey).digest();
  const serverKey = createHmac("sha256", salted).update("Server Key").digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}
