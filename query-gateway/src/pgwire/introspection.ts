/**
 * Catalog introspection (psql `\d`, Grafana, DBeaver, SQLAlchemy's startup
 * queries) is answered by the hot database under the read-only role, not by
 * the gateway's tier routing (architecture invariant 6). `isIntrospection`
 * decides from the parse tree; `Introspection` runs such a query in a READ
 * ONLY transaction with the connection's settings and returns Postgres's own
 * row description and text values, so type OIDs and formats are exact.
 */
import type { Node } from "libpg-query";
import pg from "pg";
import { isRecord, walk } from "../sql/walk.ts";
import type { FieldDescription } from "./messages.ts";

const CATALOG_SCHEMAS = new Set(["pg_catalog", "information_schema"]);

/**
 * True when every relation the query reads is a system catalog (schema
 * pg_catalog / information_schema, or an unqualified pg_* name) or one of its
 * own CTEs; a query that reads no relation at all (`SELECT version()`) counts
 * too. Anything naming a user table, flows above all, goes through the gateway.
 */
export function isIntrospection(node: Node): boolean {
  const ctes = new Set<string>();
  walk(node, (key, payload) => {
    if (key === "CommonTableExpr" && typeof payload.ctename === "string") ctes.add(payload.ctename.toLowerCase());
  });
  let user = false;
  walk(node, (key, payload) => {
    if (key !== "RangeVar" || !isRecord(payload)) return;
    const schema = typeof payload.schemaname === "string" ? payload.schemaname.toLowerCase() : undefined;
    const name = typeof payload.relname === "string" ? payload.relname.toLowerCase() : "";
    if (schema !== undefined) {
      if (!CATALOG_SCHEMAS.has(schema)) user = true;
    } else if (name === "flows" || (!name.startsWith("pg_") && !ctes.has(name))) {
      // "flows" is the table even when a CTE reuses the name (WITH flows AS (SELECT … FROM flows)).
      user = true;
    }
  });
  return !user;
}

export interface PassthroughSettings {
  readonly timeZone: string;
  readonly applicationName: string;
  readonly extraFloatDigits: string;
  readonly statementTimeoutMs: number;
}

export interface PassthroughResult {
  readonly fields: readonly FieldDescription[];
  readonly rows: readonly (readonly (string | null)[])[];
  readonly command: string;
  readonly rowCount: number;
}

const RAW_TEXT = { getTypeParser: () => (value: string) => value };

export class Introspection {
  private pool: pg.Pool | undefined;

  constructor(private readonly config: { readonly url: string; readonly poolSize: number }) {}

  async start(): Promise<void> {
    this.pool = new pg.Pool({ connectionString: this.config.url, max: this.config.poolSize });
    this.pool.on("error", () => undefined);
  }

  async stop(): Promise<void> {
    await this.pool?.end();
    this.pool = undefined;
  }

  async query(
    sql: string,
    params: readonly (string | null)[],
    settings: PassthroughSettings,
  ): Promise<PassthroughResult> {
    if (this.pool === undefined) throw new Error("introspection is not started");
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query("BEGIN READ ONLY");
      await client.query(
        "SELECT set_config('TimeZone', $1, true), set_config('application_name', $2, true), set_config('extra_float_digits', $3, true), set_config('statement_timeout', $4, true), set_config('DateStyle', 'ISO, MDY', true)",
        [settings.timeZone, settings.applicationName, settings.extraFloatDigits, String(settings.statementTimeoutMs)],
      );
      try {
        const result = await client.query({ text: sql, values: [...params], rowMode: "array", types: RAW_TEXT });
        await client.query("COMMIT");
        const fields = (result.fields ?? []).map((f) => ({
          name: f.name,
          typeOid: f.dataTypeID,
          typeSize: f.dataTypeSize,
          typeModifier: f.dataTypeModifier,
          tableOid: f.tableID,
          columnId: f.columnID,
        }));
        return {
          fields,
          rows: result.rows as (string | null)[][],
          command: result.command ?? "SELECT",
          rowCount: result.rowCount ?? result.rows.length,
        };
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {
          broken = true;
        });
        throw error;
      }
    } catch (error) {
      broken ||= !(error instanceof Error && "severity" in error);
      throw error;
    } finally {
      client.release(broken);
    }
  }
}
