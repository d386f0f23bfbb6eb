import { type HotStoreConfig, migrate } from "@netflow/timescale";
import pg from "pg";
import type { Logger } from "pino";
import type { EndpointLine, Health, Service } from "../service.ts";

/**
 * Applies the hot-store migrations (a no-op when they are applied) and sets
 * the service roles' passwords; a one-shot step between the database and the
 * services that use it.
 */
export class Migrations implements Service {
  readonly name = "migrations";
  readonly #url: () => string;
  readonly #settings: HotStoreConfig;
  readonly #log: Logger;

  /** `url` is read at start: the superuser URL of whichever hot store runs. */
  constructor(url: () => string, settings: HotStoreConfig, log: Logger) {
    this.#url = url;
    this.#settings = settings;
    this.#log = log.child({ service: this.name });
  }

  async start(): Promise<void> {
    const result = await migrate(this.#url(), {
      config: this.#settings,
      log: (message, fields) => this.#log.info(fields ?? {}, message),
    });
    this.#log.info({ applied: result.applied, alreadyApplied: result.alreadyApplied.length }, "migrations done");
  }

  async stop(): Promise<void> {}

  endpoints(): EndpointLine[] {
    return [];
  }

  async check(): Promise<Health> {
    const client = new pg.Client({ connectionString: this.#url(), connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      const { rows } = await client.query<{ version: number | null }>(
        "select max(version)::int as version from schema_migrations",
      );
      const version = rows[0]?.version;
      return { service: this.name, ok: version !== null, detail: `schema version ${version ?? "none"}` };
    } catch (error) {
      return { service: this.name, ok: false, detail: (error as Error).message };
    } finally {
      await client.end().catch(() => {});
    }
  }
}
