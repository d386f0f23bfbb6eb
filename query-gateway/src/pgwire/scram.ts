/**
 * The server side of SCRAM-SHA-256 (RFC 5802/7677, as Postgres speaks it).
 * The wire server runs the exchange itself rather than through pg-gateway's
 * auth flow so that a failed login answers SQLSTATE 28P01 like Postgres, and
 * an unknown user goes through the same exchange (with a decoy verifier) as a
 * wrong password, so the two cannot be told apart.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createScramSha256Data, verifyScramSha256Password } from "pg-gateway";

export interface ScramVerifier {
  readonly salt: string;
  readonly iterations: number;
  readonly storedKey: string;
  readonly serverKey: string;
}

export function scramVerifier(password: string, iterations = 4096): Promise<ScramVerifier> {
  return createScramSha256Data(password, iterations);
}

function decoy(): ScramVerifier {
  const key = () => randomBytes(32).toString("base64");
  return { salt: randomBytes(16).toString("base64"), iterations: 4096, storedKey: key(), serverKey: key() };
}

export type ScramStep =
  | { readonly kind: "continue"; readonly data: string }
  | { readonly kind: "final"; readonly data: string }
  | { readonly kind: "fail"; readonly reason: string };

/** One login attempt: client-first → server-first, client-final → server-final or failure. */
export class ScramExchange {
  private readonly verifier: ScramVerifier;
  private readonly known: boolean;
  private clientFirstBare = "";
  private serverFirst = "";
  private nonce = "";

  constructor(verifier: ScramVerifier | undefined) {
    this.known = verifier !== undefined;
    this.verifier = verifier ?? decoy();
  }

  /** SASLInitialResponse: mechanism and client-first-message. */
  first(mechanism: string, clientFirst: string): ScramStep {
    if (mechanism !== "SCRAM-SHA-256") return { kind: "fail", reason: `unsupported SASL mechanism ${mechanism}` };
    // gs2 header "n,," / "y,,", then the bare message "n=user,r=nonce".
    const parts = clientFirst.split(",");
    if (parts[0] === "p") return { kind: "fail", reason: "channel binding is not supported" };
    this.clientFirstBare = parts.slice(2).join(",");
    const clientNonce = parts.find((p) => p.startsWith("r="))?.slice(2);
    if (!clientNonce) return { kind: "fail", reason: "malformed SCRAM client-first-message" };
    this.nonce = clientNonce + randomBytes(18).toString("base64");
    this.serverFirst = `r=${this.nonce},s=${this.verifier.salt},i=${this.verifier.iterations}`;
    return { kind: "continue", data: this.serverFirst };
  }

  /** SASLResponse: client-final-message with the proof. */
  async final(clientFinal: string): Promise<ScramStep> {
    const parts = clientFinal.split(",");
    const channel = parts.find((p) => p.startsWith("c="))?.slice(2);
    const nonce = parts.find((p) => p.startsWith("r="))?.slice(2);
    const proof = parts.find((p) => p.startsWith("p="))?.slice(2);
    if (!channel || !nonce || !proof) return { kind: "fail", reason: "malformed SCRAM client-final-message" };
    const expected = Buffer.from(this.nonce);
    const given = Buffer.from(nonce);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      return { kind: "fail", reason: "SCRAM nonce mismatch" };
    }
    const authMessage = `${this.clientFirstBare},${this.serverFirst},c=${channel},r=${nonce}`;
    const ok = await verifyScramSha256Password({ authMessage, clientProof: proof, storedKey: this.verifier.storedKey });
    if (!ok || !this.known) return { kind: "fail", reason: "wrong password or unknown user" };
    const signature = createHmac("sha256", Buffer.from(this.verifier.serverKey, "base64"))
      .update(authMessage)
      .digest("base64");
    return { kind: "final", data: `v=${signature}` };
  }
}
