#!/usr/bin/env -S npx tsx
/**
 * `iceberg` — inspect, scan and register Iceberg tables (ours or other engines').
 * Exit codes: 0 ok, 1 failure (unreadable or unsupported table, I/O, catalog), 2 usage error.
 * Run: `npx tsx iceberg/src/cli/main.ts <command> ...`; `--help` prints the usage below.
 */
import { isIcebergError } from "../errors.ts";
import { parseArgs, UsageError } from "./args.ts";
import { inspect, register, scan } from "./commands.ts";

const USAGE = `usage:
  iceberg inspect <location> [--snapshot ID] [--json] [location options]
  iceberg scan <location> [--snapshot ID] [--filter EXPR] [--format jsonl|csv] [--limit N]
               [--snapshot-schema] [location options]
  iceberg register <namespace.table> <metadata-location|table-location> --pg-url URL
               [--catalog-name NAME] [--force]

<location>: a metadata file (*.metadata.json) or a table folder (version-hint.text or the
  newest metadata file is used), as a path, file:// or s3:// URI. With --pg-url, <location>
  is a catalog table (namespace.table) of the SQL catalog instead.
location options:
  --map-location FROM=TO  replace the stored path prefix FROM by TO (repeatable)
  --table-root DIR|auto   replace the table's stored location by DIR (auto: the folder
                          above the metadata file's metadata/ folder)
  --pg-url URL --catalog-name NAME (default netflow)
--filter syntax: column op literal, op one of = != < <= > >=, column IS [NOT] NULL,
  combined with AND, OR, NOT and parentheses; "quoted column", 'text literal', numbers.
  Timestamps as '2026-01-01T00:00:00Z', dates as '2026-01-01', decimals exact.
s3:// credentials: S3_ENDPOINT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_REGION.
exit codes: 0 ok, 1 failure, 2 usage error.`;

const LOCATION_OPTIONS = ["map-location", "table-root", "pg-url", "catalog-name", "help"];

export async function main(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (rest.includes("--help")) {
      out(USAGE);
      return 0;
    }
    switch (command) {
      case "inspect":
        await inspect(parseArgs(rest, [...LOCATION_OPTIONS, "snapshot", "json"]), out);
        return 0;
      case "scan":
        await scan(
          parseArgs(rest, [...LOCATION_OPTIONS, "snapshot", "filter", "format", "limit", "snapshot-schema"]),
          out,
        );
        return 0;
      case "register":
        await register(parseArgs(rest, ["pg-url", "catalog-name", "force", "help"]), out);
        return 0;
      case "--help":
      case "help":
        out(USAGE);
        return 0;
      default:
        throw new UsageError(command === undefined ? "missing command" : `unknown command ${command}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`iceberg: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    const kind = isIcebergError(e) ? ` (${e.kind})` : "";
    process.stderr.write(`iceberg: error${kind}: ${(e as Error).message}\n`);
    return 1;
  }
}

// Lines are written as they come; a closed pipe (e.g. `| head`) ends the process quietly.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
});
const code = await main(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`));
process.exitCode = code;
