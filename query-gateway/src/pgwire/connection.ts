/**
 * One client connection as a state machine over frontend messages:
 * startup → SCRAM exchange → ready, then the simple (Query) and extended
 * (Parse/Bind/Describe/Execute/Close/Sync) query protocols. pg-gateway frames
 * the messages and does the TLS upgrade; everything after the StartupMessage
 * is answered here.
 */
import type { Logger } from "pino";
import { errorFields, WireError } from "./errors.ts";
import {
  authenticationOk,
  authenticationSasl,
  authenticationSaslContinue,
  authenticationSaslFinal,
  backendKeyData,
  bindComplete,
  closeComplete,
  commandComplete,
  dataRow,
  emptyQueryResponse,
  errorResponse,
  MessageReader,
  noData,
  parameterDescription,
  parseComplete,
  readBind,
  readParse,
  readyForQuery,
  rowDescription,
} from "./messages.ts";
import { ScramExchange, type ScramVerifier } from "./scram.ts";
import { type Executed, Session, type SessionBackend } from "./session.ts";

interface Prepared {
  readonly sql: string;
  readonly paramTypes: readonly number[];
  /** A result computed by Describe, handed to the next Bind (pgx describes before it binds). */
  pending?: Executed;
}

interface Portal {
  readonly sql: string;
  readonly params: readonly (string | null)[];
  /** Set once the portal ran (Describe runs it to learn its columns). */
  result?: Executed;
}

export interface ConnectionDeps {
  readonly backend: SessionBackend;
  readonly user: string;
  readonly verifier: ScramVerifier;
  readonly pid: number;
  readonly secret: number;
  readonly log: Logger;
  /** Ends the connection after what was written so far. */
  readonly end: () => void;
  readonly onAuthFailure: () => void;
}

type Phase = "sasl-initial" | "sasl-final" | "ready" | "closed";

export class WireConnection {
  private phase: Phase = "sasl-initial";
  private scram: ScramExchange | undefined;
  private session: Session | undefined;
  private readonly statements = new Map<string, Prepared>();
  private readonly portals = new Map<string, Portal>();
  /** After an error in an extended sequence, messages are dropped until Sync. */
  private skipping = false;
  private startupParams: Record<string, string> = {};

  constructor(private readonly deps: ConnectionDeps) {}

  /** The StartupMessage: asks for SCRAM-SHA-256 (the only method offered). */
  startup(params: Record<string, string>): Buffer {
    this.startupParams = params;
    const user = params.user ?? "";
    this.scram = new ScramExchange(user === this.deps.user ? this.deps.verifier : undefined);
    return authenticationSasl();
  }

  cancel(): void {
    this.session?.cancel();
  }

  close(): void {
    this.phase = "closed";
    this.session?.cancel();
  }

  async handle(data: Uint8Array): Promise<Buffer[]> {
    const r = new MessageReader(data);
    if (this.phase === "closed") return [];
    if (this.phase !== "ready") return this.authenticate(r);
    const session = this.session;
    if (session === undefined) return [];
    const type = r.type;
    if (type === "X") {
      this.close();
      setImmediate(() => this.deps.end());
      return [];
    }
    if (type === "Q") return this.simpleQuery(session, r.cstring());
    if (type === "S") {
      this.skipping = false;
      this.portals.delete("");
      return [readyForQuery(session.status)];
    }
    if (type === "H") return [];
    if (this.skipping) return [];
    try {
      return await this.extended(session, type, r);
    } catch (error) {
      this.skipping = true;
      if (session.status === "T") session.status = "E";
      return [errorResponse(errorFields(error))];
    }
  }

  private async authenticate(r: MessageReader): Promise<Buffer[]> {
    const scram = this.scram;
    if (r.type !== "p" || scram === undefined) return this.authFailed("expected a password message");
    if (this.phase === "sasl-initial") {
      const mechanism = r.cstring();
      const length = r.int32();
      const step = scram.first(mechanism, length < 0 ? "" : r.bytes(length).toString("utf8"));
      if (step.kind !== "continue") return this.authFailed(step.kind === "fail" ? step.reason : "unexpected");
      this.phase = "sasl-final";
      return [authenticationSaslContinue(step.data)];
    }
    const step = await scram.final(r.rest().toString("utf8"));
    if (step.kind !== "final") return this.authFailed(step.kind === "fail" ? step.reason : "unexpected");
    this.phase = "ready";
    const session = new Session(this.deps.backend, this.deps.user);
    session.applyStartup(this.startupParams);
    // options=-c name=value from the startup packet (psql PGOPTIONS, JDBC "options").
    const options = this.startupParams.options?.trim().split(/\s+/) ?? [];
    const fromOptions: Record<string, string> = {};
    for (let i = 0; i < options.length; i++) {
      const o = options[i] ?? "";
      const assignment = o === "-c" ? options[++i] : o.startsWith("--") ? o.slice(2) : undefined;
      const eq = assignment?.indexOf("=") ?? -1;
      if (assignment !== undefined && eq > 0) fromOptions[assignment.slice(0, eq)] = assignment.slice(eq + 1);
    }
    session.applyStartup(fromOptions);
    this.session = session;
    this.deps.log.debug({ application: session.get("application_name") }, "wire client authenticated");
    return [
      authenticationSaslFinal(step.data),
      authenticationOk(),
      ...session.startupParameters(),
      backendKeyData(this.deps.pid, this.deps.secret),
      readyForQuery("I"),
    ];
  }

  private authFailed(reason: string): Buffer[] {
    const user = this.startupParams.user ?? "";
    this.deps.log.info({ user, reason }, "wire authentication failed");
    this.deps.onAuthFailure();
    this.phase = "closed";
    setImmediate(() => this.deps.end());
    return [
      errorResponse({ severity: "FATAL", code: "28P01", message: `password authentication failed for user "${user}"` }),
    ];
  }

  private async simpleQuery(session: Session, sql: string): Promise<Buffer[]> {
    const out: Buffer[] = [];
    try {
      if (sql.trim().replace(/;/g, "").trim() === "") {
        out.push(emptyQueryResponse());
      } else {
        for (const statement of Session.split(sql)) {
          const result = await session.execute(statement, []);
          out.push(...result.notices);
          if (result.fields !== null) out.push(rowDescription(result.fields));
          for (const row of result.rows) out.push(dataRow(row));
          out.push(commandComplete(result.tag));
        }
      }
    } catch (error) {
      if (session.status === "T") session.status = "E";
      out.push(errorResponse(errorFields(error)));
    }
    out.push(readyForQuery(session.status));
    return out;
  }

  private async extended(session: Session, type: string, r: MessageReader): Promise<Buffer[]> {
    switch (type) {
      case "P": {
        const parse = readParse(r);
        this.statements.set(parse.statement, { sql: parse.sql, paramTypes: parse.paramTypes });
        return [parseComplete()];
      }
      case "B": {
        const bind = readBind(r);
        const statement = this.statements.get(bind.statement);
        if (statement === undefined) {
          throw new WireError("26000", `prepared statement "${bind.statement}" does not exist`);
        }
        if (bind.paramFormats.some((f) => f !== 0) || bind.resultFormats.some((f) => f !== 0)) {
          throw new WireError(
            "0A000",
            "the query gateway speaks the text format only (no binary parameters or results)",
          );
        }
        const params = bind.params.map((p) => (p === null ? null : p.toString("utf8")));
        const pending = params.length === 0 ? statement.pending : undefined;
        statement.pending = undefined;
        this.portals.set(bind.portal, { sql: statement.sql, params, ...(pending ? { result: pending } : {}) });
        return [bindComplete()];
      }
      case "D": {
        const kind = r.byte();
        const name = r.cstring();
        if (kind === "S") {
          const statement = this.statements.get(name);
          if (statement === undefined) throw new WireError("26000", `prepared statement "${name}" does not exist`);
          const count = Math.max(statement.paramTypes.length, maxParam(statement.sql));
          const oids = Array.from({ length: count }, (_, i) => statement.paramTypes[i] || 25);
          // Columns are known only by running the query. Without parameters (Grafana's macros are
          // expanded to literals) it runs now and the next Bind takes the result; with parameters
          // the columns stay unknown until the portal is described.
          if (count > 0) return [parameterDescription(oids), noData()];
          statement.pending = await session.execute(statement.sql, []);
          const fields = statement.pending.fields;
          return [parameterDescription([]), fields === null ? noData() : rowDescription(fields)];
        }
        const portal = this.portal(name);
        portal.result ??= await session.execute(portal.sql, portal.params);
        return [portal.result.fields === null ? noData() : rowDescription(portal.result.fields)];
      }
      case "E": {
        const name = r.cstring();
        const portal = this.portal(name);
        const result = portal.result ?? (await session.execute(portal.sql, portal.params));
        this.portals.delete(name);
        if (portal.result === undefined && result.fields === null && result.rows.length === 0) {
          return [...result.notices, commandComplete(result.tag)];
        }
        return [...result.notices, ...result.rows.map((row) => dataRow(row)), commandComplete(result.tag)];
      }
      case "C": {
        const kind = r.byte();
        const name = r.cstring();
        if (kind === "S") this.statements.delete(name);
        else this.portals.delete(name);
        return [closeComplete()];
      }
      default:
        throw new WireError("08P01", `unsupported frontend message type "${type}"`);
    }
  }

  private portal(name: string): Portal {
    const portal = this.portals.get(name);
    if (portal === undefined) throw new WireError("34000", `portal "${name}" does not exist`);
    return portal;
  }
}

/** The highest $n in the text: the parameter count of a statement whose types the client left open. */
function maxParam(sql: string): number {
  let max = 0;
  for (const m of sql.matchAll(/\$(\d+)/g)) max = Math.max(max, Number(m[1]));
  return max;
}
