import pino from "pino";
import { installMissing } from "./dependencies.ts";
import { StackError } from "./errors.ts";
import { cliEnv, loadStackConfig, type StackHandle, startStack } from "./stack.ts";
import { stackStatus } from "./status.ts";
import { formatTable } from "./table.ts";

// The AWS SDK warns on every start that releases after January 2027 will need
// Node 22; this project pins its SDK version and runs on Node 20, so the
// warning is noise in the launcher's output (the SDK's own switch turns it off).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const USAGE = `usage: netflow <command>

commands:
  up        start the local stack (embedded TimescaleDB, Redis, SeaweedFS S3, archiver,
            query gateway, collector) and supervise it until Ctrl-C; services set by
            URL in the environment or .env
            (PG_URL, REDIS_URL, S3_ENDPOINT, WAREHOUSE) are used instead of local ones
            --no-install   do not install missing packages, only say what is missing
  status    show whether each configured service answers
  help      this text

configuration: environment variables and <repo>/.env, see stack/README.md`;

async function up(args: readonly string[]): Promise<number> {
  const env = cliEnv();
  const { config } = loadStackConfig(env);
  const log = pino({ level: config.logLevel });
  if (!args.includes("--no-install")) installMissing(config, log);

  // Signals are handled from the start: a first start takes a while, and
  // Node's default handling would end the launcher without stopping children.
  const abort = new AbortController();
  let stack: StackHandle | undefined;
  let signals = 0;
  let stopped: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    stopped = resolve;
  });
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    // Under `npm start` one Ctrl-C arrives several times within milliseconds
    // (from the terminal, then relayed by npm and tsx); only a later one is a
    // second press.
    if (signals > 0 && Date.now() - firstSignalAt < 1000) return;
    signals += 1;
    if (signals === 1) firstSignalAt = Date.now();
    if (signals > 1) {
      // The exit hook still sends SIGTERM to every child.
      log.warn({ signal }, "second signal, exiting without waiting for services");
      process.exit(130);
    }
    if (stack === undefined) {
      log.info({ signal }, "interrupted during start (signal again to exit at once)");
      abort.abort();
      return;
    }
    log.info({ signal }, "stopping the stack (signal again to exit at once)");
    void stack.stop().then(stopped);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // A closed terminal would otherwise end the launcher without stopping its children.
  process.on("SIGHUP", onSignal);

  try {
    stack = await startStack({ env, logger: log, signal: abort.signal });
  } catch (error) {
    if (error instanceof StackError && error.kind === "aborted") return 130;
    throw error;
  }
  printEndpoints(stack);
  await done;
  log.info("stack stopped");
  return 0;
}

function printEndpoints(stack: StackHandle): void {
  const rows = stack.lines.map((line) => [line.service, line.label, line.value]);
  process.stdout.write(
    `\nnetflow-analyzer local stack is up\n\n${formatTable(["service", "what", "where"], rows)}\n\n` +
      `connect:  ${stack.psql}\nsecrets:  ${stack.config.dataDir}/secrets.env (generated ones)\n` +
      `logs:     ${stack.config.dataDir}/logs/\nstop:     Ctrl-C\n\n`,
  );
}

async function status(): Promise<number> {
  const result = await stackStatus(cliEnv());
  const rows = result.health.map((h) => [h.service, h.ok ? "up" : "DOWN", h.detail]);
  process.stdout.write(
    `launcher: ${result.launcherPid === undefined ? "not running" : `running (pid ${result.launcherPid})`}\n\n` +
      `${formatTable(["service", "state", "detail"], rows)}\n`,
  );
  return result.health.every((h) => h.ok) ? 0 : 1;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command = "help", ...args] = argv;
  switch (command) {
    case "up":
      return up(args);
    case "status":
      return status();
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(`${USAGE}\n`);
      return 0;
    default:
      process.stderr.write(`unknown command "${command}"\n\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof StackError || (error instanceof Error && error.name === "HotStoreError")) {
      process.stderr.write(`\nnetflow: ${error.message}\n`);
      process.exit(error instanceof StackError && error.kind === "config" ? 2 : 1);
    }
    process.stderr.write(`\nnetflow: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
