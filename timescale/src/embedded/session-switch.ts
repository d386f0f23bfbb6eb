// The engine has one backend session; every client connection needs its own role and
// settings. The session is switched lazily: it keeps the last owner's state after that
// owner's transaction ends, and only when someone else takes the engine are the owner's
// settings captured (from pg_settings, so SET, set_config, RESET and rolled-back SETs are
// all seen as Postgres sees them), reset, and the newcomer's applied. The role is set
// again at the start of every transaction, whoever owned the session before.

import type { Logger } from "pino";
import { ENGINE_SUPERUSER, type Engine } from "./engine.ts";
import { EmbeddedError } from "./errors.ts";
import { type ErrorFields, firstResultRows, quoteIdent, quoteLiteral } from "./protocol.ts";

/** A connection's identity as far as the engine session is concerned. */
export interface SessionOwner {
  readonly id: number;
  readonly role: string;
  /** Session-level settings (name → value) the connection has made or asked for at startup. */
  settings: Map<string, string>;
  closed: boolean;
}

/**
 * Settings every connection starts from, on top of the engine defaults. PGlite starts its
 * backend with enable_seqscan=off and allow_system_table_mods=on on the command line (and
 * search_path=pg_catalog right after initdb); clients expect Postgres' usual defaults.
 */
const BASELINE: [string, string][] = [
  ["search_path", '"$user", public'],
  ["enable_seqscan", "on"],
  ["allow_system_table_mods", "off"],
  ["client_min_messages", "notice"],
];

const NOT_CAPTURED = new Set(["session_authorization", "role", "is_superuser"]);

/** Thrown when the engine refused to take a connection's role or settings. */
export class SessionSwitchError extends Error {
  readonly fields: ErrorFields;

  constructor(fields: ErrorFields) {
    super(fields.message);
    this.fields = fields;
  }
}

export class SessionSwitch {
  readonly #engine: Engine;
  readonly #logger: Logger;
  /** Whose role/settings the engine session holds now; null: the clean superuser session. */
  #owner: SessionOwner | null = null;

  constructor(engine: Engine, logger: Logger) {
    this.#engine = engine;
    this.#logger = logger;
  }

  /** Puts the session in its clean state at server start. Call with the engine lock held. */
  async reset(): Promise<void> {
    await this.#resetSession();
    this.#owner = null;
  }

  /** Makes the engine session run as `owner`. Call with the engine lock held, outside any transaction. */
  async enter(owner: SessionOwner): Promise<void> {
    if (this.#owner === owner) {
      // Set again for every transaction: nothing a previous one did may carry over.
      const result = await this.#engine.simple(setRole(owner.role));
      if (result.error) throw new SessionSwitchError(result.error);
      return;
    }
    // Capture, reset and apply in one round trip; it is one implicit transaction, so if any
    // part fails nothing changed and the step-by-step path below sorts out which part.
    const previous = this.#owner && !this.#owner.closed ? this.#owner : undefined;
    const statements = [
      ...(previous ? [CAPTURE] : []),
      ...(this.#owner ? [RESET] : []),
      ...(owner.settings.size > 0 ? [applySql([...owner.settings])] : []),
      setRole(owner.role),
    ];
    const combined = await this.#engine.simple(statements.join("; "));
    if (!combined.error) {
      if (previous) previous.settings = captured(firstResultRows(combined.raw));
      this.#owner = owner;
      return;
    }
    await this.#switchOut();
    await this.#apply(owner);
    this.#owner = owner;
    const result = await this.#engine.simple(setRole(owner.role));
    if (result.error) throw new SessionSwitchError(result.error);
  }

  /** Gives the layer a clean superuser session for its own statements. Call with the engine lock held. */
  async enterInternal(): Promise<void> {
    await this.#switchOut();
    this.#owner = null;
  }

  async #switchOut(): Promise<void> {
    const owner = this.#owner;
    if (!owner) return;
    if (!owner.closed) {
      const result = await this.#engine.simple(CAPTURE);
      if (result.error) {
        this.#logger.warn({ connection: owner.id, error: result.error.message }, "settings capture failed");
      } else {
        owner.settings = captured(result.rows);
      }
    }
    await this.#resetSession();
    this.#owner = null;
  }

  async #resetSession(): Promise<void> {
    const result = await this.#engine.simple(RESET);
    if (result.error) throw new EmbeddedError("engine", `cannot reset the engine session: ${result.error.message}`);
  }

  async #apply(owner: SessionOwner): Promise<void> {
    if (owner.settings.size === 0) return;
    const all = await this.#engine.simple(applySql([...owner.settings]));
    if (!all.error) return;
    // One bad value must not cost the others: apply them one by one and drop the rejects.
    for (const [name, value] of [...owner.settings]) {
      const one = await this.#engine.simple(applySql([[name, value]]));
      if (one.error) {
        owner.settings.delete(name);
        this.#logger.warn({ connection: owner.id, setting: name, error: one.error.message }, "setting dropped");
      }
    }
  }
}

const CAPTURE = "SELECT name, setting FROM pg_catalog.pg_settings WHERE source = 'session'";

function applySql(settings: [string, string][]): string {
  // set_config, not SET: a quoted SET value would be one list element for search_path.
  const calls = settings.map(
    ([name, value]) => `pg_catalog.set_config(${quoteLiteral(name)}, ${quoteLiteral(value)}, false)`,
  );
  return `SELECT ${calls.join(", ")}`;
}

const RESET = [`SET SESSION AUTHORIZATION ${ENGINE_SUPERUSER}`, "RESET ALL", applySql(BASELINE)].join("; ");

function setRole(role: string): string {
  return `SET SESSION AUTHORIZATION ${quoteIdent(role)}`;
}

/** The connection's own settings from a capture: session-level values that differ from the baseline. */
function captured(rows: (string | null)[][]): Map<string, string> {
  const settings = new Map<string, string>();
  for (const [name, value] of rows) {
    if (name == null || value == null || NOT_CAPTURED.has(name)) continue;
    if (BASELINE.some(([n, v]) => n === name && v === value)) continue;
    settings.set(name, value);
  }
  return settings;
}
