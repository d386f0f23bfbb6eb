// COPY FROM STDIN, emulated: CopyData must never reach the engine over the protocol (it
// crashes it), so the layer buffers the data and then runs the same COPY in-process with
// the data as a blob (`COPY … FROM '/dev/blob'`). Reading a server file needs superuser
// rights, so the connection's INSERT privilege is checked first, under its own role.

import type { CopyIn } from "./classify.ts";
import { ENGINE_SUPERUSER, type Engine } from "./engine.ts";
import {
  commandComplete,
  concat,
  type ErrorFields,
  endingStatus,
  errorResponse,
  queryMessage,
  quoteIdent,
  quoteLiteral,
  readyForQuery,
  syncMessage,
} from "./protocol.ts";
import { raiseSql } from "./raise.ts";

/** CopyData of one COPY, kept in memory up to a limit. */
export class CopyInBuffer {
  readonly statement: CopyIn;
  readonly #limit: number;
  #chunks: Uint8Array<ArrayBuffer>[] = [];
  #bytes = 0;

  constructor(statement: CopyIn, limit: number) {
    this.statement = statement;
    this.#limit = limit;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Adds the payload of a CopyData message; false once the limit is exceeded. */
  add(copyData: Uint8Array): boolean {
    const payload = copyData.subarray(5);
    this.#bytes += payload.byteLength;
    if (this.#bytes > this.#limit) {
      this.#chunks = [];
      return false;
    }
    // The message buffer is reused by the protocol reader: keep a copy.
    this.#chunks.push(payload.slice());
    return true;
  }

  blob(): Blob {
    const blob = new Blob(this.#chunks);
    this.#chunks = [];
    return blob;
  }
}

export interface CopyOutcome {
  response: Uint8Array;
  status: "I" | "T" | "E";
  rows: number;
}

function databaseErrorFields(err: unknown): ErrorFields {
  const e = err as Partial<Record<string, string>> & { message?: string };
  const fields: ErrorFields = {
    severity: "ERROR",
    code: typeof e.code === "string" ? e.code : "XX000",
    message: e.message ?? "COPY failed",
  };
  for (const key of ["detail", "hint", "where", "schema", "table", "column", "dataType", "constraint"] as const) {
    const value = e[key];
    if (typeof value === "string") fields[key] = value;
  }
  return fields;
}

/** Forwards an engine response that ends with ReadyForQuery. */
function engineOutcome(raw: Uint8Array): CopyOutcome {
  return { response: raw, status: endingStatus(raw) ?? "I", rows: 0 };
}

/**
 * Runs a buffered COPY. Call with the engine lock held and the session entered as `role`.
 * The answer ends with ReadyForQuery, like the engine's own answers.
 */
export async function executeCopy(engine: Engine, role: string, buffer: CopyInBuffer): Promise<CopyOutcome> {
  const { target, engineSql } = buffer.statement;
  const check = await engine.simple(
    `SELECT pg_catalog.has_table_privilege(${quoteLiteral(target)}, 'INSERT'),
            c.relrowsecurity AND NOT pg_catalog.pg_has_role(c.relowner, 'USAGE')
              AND NOT (SELECT rolbypassrls FROM pg_catalog.pg_roles WHERE rolname = current_user)
       FROM pg_catalog.pg_class c WHERE c.oid = ${quoteLiteral(target)}::pg_catalog.regclass`,
  );
  // Errors (unknown table) already went through the engine, which also aborted any open transaction.
  if (check.error) return engineOutcome(check.raw);
  const [allowed, rowSecurity] = check.rows[0] ?? [];
  if (allowed !== "t") {
    return engineOutcome(
      await engine.raw(queryMessage(raiseSql({ code: "42501", message: `permission denied for table ${target}` }))),
    );
  }
  if (rowSecurity === "t") {
    return engineOutcome(
      await engine.raw(
        queryMessage(
          raiseSql({
            code: "0A000",
            message: `COPY FROM STDIN into ${target} with row-level security is not supported by the embedded server`,
          }),
        ),
      ),
    );
  }
  let rows = 0;
  let failure: ErrorFields | undefined;
  await engine.simple(`SET SESSION AUTHORIZATION ${ENGINE_SUPERUSER}`);
  try {
    rows = await engine.copyFromBlob(engineSql, buffer.blob());
  } catch (err) {
    failure = databaseErrorFields(err);
  } finally {
    // Fails harmlessly inside an aborted transaction; its rollback restores the role then.
    await engine.simple(`SET SESSION AUTHORIZATION ${quoteIdent(role)}`);
  }
  const status = endingStatus(await engine.raw(syncMessage())) ?? "I";
  const head = failure ? errorResponse(failure) : commandComplete(`COPY ${rows}`);
  return { response: concat([head, readyForQuery(status)]), status, rows };
}
