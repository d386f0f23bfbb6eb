/**
 * The analyst notebooks (notebooks/*.ipynb), executed headless against the real
 * local stack with a small synthetic history that spans both tiers: ten days
 * backfilled into TimescaleDB, the six oldest archived to Iceberg on SeaweedFS
 * by the archiver CLI. Each notebook's key numbers must equal the same queries
 * answered by TimescaleDB while it still held everything (the ground truth is
 * taken before archiving, so neither PyIceberg nor the gateway checks itself),
 * and each notebook must have written its figures.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { backfill } from "@netflow/generator";
import { type Env, type StackHandle, startStack, testStackEnv } from "@netflow/stack";
import pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

const run = promisify(execFile);
const REPO = join(dirname(fileURLToPath(import.meta.url)), "..");
const NOTEBOOKS = join(REPO, "notebooks");

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const FLOWS_PER_DAY = 2000;
/** Backfilled days, ending at today's UTC midnight; chunks are one UTC day. */
const DAYS = 10;
/** Chunks ending at or before today minus this many days go to the archive. */
const HOT_DAYS = 4;
const SRC_CIDR = "10.20.0.0/16";

const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
const at = (days: number, hours = 0): string => new Date(today - days * DAY_MS + hours * HOUR_MS).toISOString();
const ARCHIVE_BEFORE = at(HOT_DAYS);
/** Notebook 01 reads the archive only: its range lies inside the archived days. */
const RANGE_COLD = { from: at(9, 6), to: at(5, 18) };
/** Notebook 02 asks the gateway across the archive and the hot tier. */
const RANGE_BOTH = { from: at(8, 6), to: at(2, 18) };

interface KeyNumbers {
  rows: number;
  bytes: number;
  packets: number;
  top_talker: string | null;
  top_talker_bytes: number | null;
  top_port: number | null;
  top_port_flows: number | null;
  hourly_bytes: Record<string, number>;
  figures: string[];
  rest_rows?: number | null;
  engine?: string;
  transport?: string;
}

type Truth = Omit<KeyNumbers, "figures" | "rest_rows" | "engine" | "transport"> & {
  /** Runner-up values: the top entries must be unique for the comparison to mean anything. */
  second_talker_bytes: number;
  second_port_flows: number;
};

const dataDir = mkdtempSync(join(tmpdir(), "notebooks-"));
const outDir = join(dataDir, "notebook-output");
const log = pino({ level: process.env.STACK_TEST_LOG ?? "warn" });
let stack: StackHandle | undefined;
let env: Env;
const truth: { cold?: Truth; both?: Truth } = {};

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** The notebooks' key numbers, computed by TimescaleDB. */
async function groundTruth(url: string, range: { from: string; to: string }, cidr?: string): Promise<Truth> {
  return withClient(url, async (client) => {
    const params: string[] = [range.from, range.to];
    let where = "ts >= $1 AND ts < $2";
    if (cidr !== undefined) {
      params.push(cidr);
      where += " AND src_addr <<= $3::cidr";
    }
    const q = async (sql: string): Promise<Record<string, string>[]> =>
      (await client.query<Record<string, string>>(sql, params)).rows;
    const [totals] = await q(
      `SELECT count(*)::int8 AS rows, sum(bytes)::int8 AS bytes, sum(packets)::int8 AS packets FROM flows WHERE ${where}`,
    );
    const talkers = await q(
      `SELECT host(src_addr) AS addr, sum(bytes)::int8 AS bytes FROM flows WHERE ${where} GROUP BY src_addr ORDER BY 2 DESC LIMIT 2`,
    );
    const ports = await q(
      `SELECT dst_port, count(*)::int8 AS flows FROM flows WHERE ${where} GROUP BY dst_port ORDER BY 2 DESC LIMIT 2`,
    );
    const hours = await q(
      `SELECT (floor(extract(epoch FROM ts) / 3600) * 3600)::int8 AS hour, sum(bytes)::int8 AS bytes
         FROM flows WHERE ${where} GROUP BY 1 HAVING sum(bytes) <> 0 ORDER BY 1`,
    );
    return {
      rows: Number(totals?.rows),
      bytes: Number(totals?.bytes),
      packets: Number(totals?.packets),
      top_talker: talkers[0]?.addr ?? null,
      top_talker_bytes: Number(talkers[0]?.bytes),
      second_talker_bytes: Number(talkers[1]?.bytes),
      top_port: Number(ports[0]?.dst_port),
      top_port_flows: Number(ports[0]?.flows),
      second_port_flows: Number(ports[1]?.flows),
      hourly_bytes: Object.fromEntries(hours.map((h) => [String(h.hour), Number(h.bytes)])),
    };
  });
}

/** Executes a notebook with notebooks/run_notebook.py; returns the key numbers read from the executed file. */
async function executeNotebook(name: string, params: Record<string, string>): Promise<KeyNumbers> {
  const executed = join(outDir, name);
  try {
    await run("python3", [join(NOTEBOOKS, "run_notebook.py"), join(NOTEBOOKS, name), executed, "240"], {
      // The whole environment: nothing from the developer's shell (AWS_* keys, Jupyter config) leaks in.
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PYTHONDONTWRITEBYTECODE: "1",
        JUPYTER_PLATFORM_DIRS: "1",
        MPLBACKEND: "Agg",
        MPLCONFIGDIR: join(dataDir, "mpl"),
        NB_OUTPUT_DIR: outDir,
        ...params,
      },
      cwd: NOTEBOOKS,
      timeout: 300_000,
      maxBuffer: 16 * 1024 * 1024,
    });
  } catch (error) {
    const e = error as { stderr?: string; message: string };
    throw new Error(`${name} failed: ${e.stderr?.slice(-4000) ?? e.message}`);
  }
  const notebook = JSON.parse(readFileSync(executed, "utf8")) as {
    cells: { outputs?: { output_type: string; text?: string | string[] }[] }[];
  };
  for (const cell of notebook.cells) {
    for (const output of cell.outputs ?? []) {
      if (output.output_type !== "stream") continue;
      const text = Array.isArray(output.text) ? output.text.join("") : (output.text ?? "");
      const line = text.split("\n").find((l) => l.startsWith('{"key_numbers":'));
      if (line !== undefined) return (JSON.parse(line) as { key_numbers: KeyNumbers }).key_numbers;
    }
  }
  throw new Error(`${name}: no key_numbers line in the executed notebook's outputs`);
}

function expectPngs(files: string[], prefix: string): void {
  expect(files.length).toBeGreaterThanOrEqual(2);
  for (const file of files) {
    expect(file.startsWith(join(outDir, prefix))).toBe(true);
    const png = readFileSync(file);
    expect(png.subarray(0, 8).toString("hex")).toBe("89504e470d0a1a0a");
    expect(png.length).toBeGreaterThan(5000);
  }
}

function expectMatchesTruth(got: KeyNumbers, want: Truth): void {
  // Unique winners, or "the top talker" would not be one answer.
  expect(want.top_talker_bytes).toBeGreaterThan(want.second_talker_bytes);
  expect(want.top_port_flows).toBeGreaterThan(want.second_port_flows);
  const { second_talker_bytes: _t, second_port_flows: _p, ...expected } = want;
  const { figures: _f, rest_rows: _r, engine: _e, transport: _x, ...actual } = got;
  expect(actual).toEqual(expected);
}

describe("notebooks executed against the local stack, data in both tiers", () => {
  beforeAll(async () => {
    mkdirSync(outDir, { recursive: true });
    env = await testStackEnv(dataDir, {
      COLLECTOR: "off",
      // Archiving happens once, on command, after the ground truth is taken.
      ARCHIVER: "off",
      LOG_LEVEL: process.env.STACK_TEST_LOG ?? "warn",
    });
    stack = await startStack({ env, logger: log });
    const { postgres } = stack.endpoints;
    await backfill({
      pgUrl: postgres.url,
      fromMs: today - DAYS * DAY_MS,
      toMs: today,
      flowsPerDay: FLOWS_PER_DAY,
      seed: 8,
    });
    truth.cold = await groundTruth(postgres.url, RANGE_COLD, SRC_CIDR);
    truth.both = await groundTruth(postgres.url, RANGE_BOTH);

    const store = stack.endpoints.objectStore;
    if (store.kind !== "s3") throw new Error("the test needs the SeaweedFS warehouse");
    await run("npx", ["tsx", "archiver/src/cli.ts", "archive", "--before", ARCHIVE_BEFORE], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        LOG_LEVEL: "warn",
        PG_URL: postgres.roleUrls.archiver,
        REDIS_URL: stack.endpoints.redis.url,
        WAREHOUSE: stack.endpoints.warehouse,
        S3_ENDPOINT: store.endpoint,
        S3_REGION: store.region,
        S3_ACCESS_KEY_ID: store.credentials.accessKeyId,
        S3_SECRET_ACCESS_KEY: store.credentials.secretAccessKey,
        ARCHIVER_METRICS_PORT: "0",
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      },
      timeout: 150_000,
    });
  }, 240_000);

  afterAll(async () => {
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it("has the history split between the tiers: archived days gone from TimescaleDB, recent days still there", async () => {
    const [hot] = await withClient(
      stack!.endpoints.postgres.url,
      async (c) =>
        (
          await c.query<{ old: string; recent: string }>(
            "SELECT count(*) FILTER (WHERE ts < $1) AS old, count(*) FILTER (WHERE ts >= $1) AS recent FROM flows",
            [ARCHIVE_BEFORE],
          )
        ).rows,
    );
    expect(Number(hot?.old)).toBe(0);
    expect(Number(hot?.recent)).toBeGreaterThan(0);
    expect(truth.cold!.rows).toBeGreaterThan(0);
  });

  it("01 (PyIceberg + DuckDB on the archive) reports what TimescaleDB answered over the same range", async () => {
    const store = stack!.endpoints.objectStore;
    if (store.kind !== "s3") throw new Error("the test needs the SeaweedFS warehouse");
    const reader = new URL(stack!.endpoints.postgres.roleUrls.reader);
    reader.protocol = "postgresql+psycopg2:";
    const got = await executeNotebook("01-history-pyiceberg-duckdb.ipynb", {
      NB_CATALOG_URI: reader.toString(),
      NB_S3_ENDPOINT: store.endpoint,
      NB_S3_REGION: store.region,
      // An analyst needs no write access to the archive.
      NB_S3_ACCESS_KEY_ID: (store.readOnlyCredentials ?? store.credentials).accessKeyId,
      NB_S3_SECRET_ACCESS_KEY: (store.readOnlyCredentials ?? store.credentials).secretAccessKey,
      NB_FROM: RANGE_COLD.from,
      NB_TO: RANGE_COLD.to,
      NB_SRC_CIDR: SRC_CIDR,
      NB_REST_URI: `${stack!.endpoints.gateway!.url}/iceberg`,
      NB_GATEWAY_TOKEN: stack!.endpoints.gateway!.tokens[0] ?? "",
    });
    expectMatchesTruth(got, truth.cold!);
    // duckdb is in notebooks/requirements.txt: the DuckDB path, not the pandas fallback, ran.
    expect(got.engine).toBe("duckdb");
    expect(got.rest_rows).toBe(truth.cold!.rows);
    expectPngs(got.figures, "01-");
  }, 300_000);

  it("02 (the gateway over the Postgres wire, both tiers) reports what TimescaleDB answered over the same range", async () => {
    const got = await executeNotebook("02-through-the-gateway.ipynb", {
      NB_GATEWAY_PG_URL: stack!.endpoints.gateway!.pgUrl,
      NB_FROM: RANGE_BOTH.from,
      NB_TO: RANGE_BOTH.to,
    });
    expect(got.transport).toBe("postgres-wire");
    expectMatchesTruth(got, truth.both!);
    expectPngs(got.figures, "02-");
  }, 300_000);

  it("02 gives the same numbers over the gateway's HTTP API (its fallback without a wire login)", async () => {
    const got = await executeNotebook("02-through-the-gateway.ipynb", {
      NB_GATEWAY_URL: stack!.endpoints.gateway!.url,
      NB_GATEWAY_TOKEN: stack!.endpoints.gateway!.tokens[0] ?? "",
      NB_FROM: RANGE_BOTH.from,
      NB_TO: RANGE_BOTH.to,
    });
    expect(got.transport).toBe("http");
    expectMatchesTruth(got, truth.both!);
  }, 300_000);
});

it("netflow_helpers' doctests pass (address decoding and CIDR ranges of the cold tier's encoding)", async () => {
  const { stdout } = await run("python3", [join(NOTEBOOKS, "netflow_helpers.py"), "-v"], {
    env: { PATH: process.env.PATH, PYTHONDONTWRITEBYTECODE: "1" },
  });
  expect(stdout).toMatch(/\d+ passed and 0 failed/);
});
