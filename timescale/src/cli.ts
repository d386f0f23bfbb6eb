/**
 * Hot-store command line (the compose stack's one-shot `migrate` service).
 *   migrate    apply pending migrations and the run-time settings to PG_URL, then exit
 * Settings come from the environment: PG_URL (a superuser, or the database
 * owner), HOT_CHUNK_INTERVAL, HOT_COMPRESS_AFTER, INGEST_MAX_CLOCK_SKEW,
 * PG_CONNECT_TIMEOUT_S and NETFLOW_{COLLECTOR,READER,ARCHIVER}_PASSWORD (see config.ts).
 * Progress goes to stderr as one line per step; exit 0 on success, 1 on failure.
 */
import { hotStoreConfigFromEnv } from "./config.ts";
import { HotStoreError } from "./errors.ts";
import { migrate, redactUrl } from "./migrate.ts";

async function main(argv: readonly string[]): Promise<number> {
  const [command] = argv;
  if (command !== "migrate") {
    process.stderr.write(
      "usage: cli.ts migrate   (settings from the environment: PG_URL, HOT_*, NETFLOW_*_PASSWORD)\n",
    );
    return 2;
  }
  const url = process.env.PG_URL ?? "";
  if (url === "") throw new HotStoreError("bad-config", "PG_URL is not set (postgres://user:password@host:port/db)");
  const config = hotStoreConfigFromEnv();
  const progress = (message: string, fields?: Record<string, unknown>): void => {
    const detail = fields === undefined ? "" : ` ${JSON.stringify(fields)}`;
    process.stderr.write(`${message}${detail}\n`);
  };
  progress("migrating", { database: redactUrl(url) });
  const result = await migrate(url, { config, log: progress });
  process.stdout.write(
    `${JSON.stringify({ applied: result.applied, alreadyApplied: result.alreadyApplied, loginRoles: Object.keys(config.rolePasswords) })}\n`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Expected failures print one clear line; anything else keeps its stack.
    if (error instanceof HotStoreError) process.stderr.write(`error: ${error.message}\n`);
    else process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
