/**
 * Test data: the seven fixture tables other engines wrote (shared/fixtures/iceberg, see its
 * README), with where each one's stored paths point and which folder relative paths are
 * relative to. `shared/` sits beside the repository checkout; NETFLOW_FIXTURES_ICEBERG overrides.
 */
import { fileURLToPath } from "node:url";

export const FIXTURES: string =
  process.env.NETFLOW_FIXTURES_ICEBERG ??
  fileURLToPath(new URL("../../../../shared/fixtures/iceberg", import.meta.url));

export interface FixtureTable {
  readonly name: string;
  /** The table folder inside the fixtures. */
  readonly dir: string;
  /** The metadata file to open, relative to `dir`. */
  readonly metadata: string;
  /** The `location` stored in the metadata. */
  readonly storedLocation: string;
  /** For relative stored paths: the folder they are relative to (readers run there). */
  readonly relativeTo?: string;
  /** Snapshot ids, oldest first, with the documented live row counts. */
  readonly snapshots: readonly { readonly id: bigint; readonly rows: number }[];
}

const icebird = (p: string): string => `${FIXTURES}/icebird/hyperparam-iceberg/${p}`;
const duck = `${FIXTURES}/duckdb-iceberg`;

export const TABLES: readonly FixtureTable[] = [
  {
    name: "spark/bunnies",
    dir: icebird("spark/bunnies"),
    metadata: "metadata/v5.metadata.json",
    storedLocation: "s3a://hyperparam-iceberg/spark/bunnies",
    snapshots: [
      { id: 7505300640432048841n, rows: 21 },
      { id: 469881615898633426n, rows: 20 },
      { id: 2701171901096418979n, rows: 20 },
    ],
  },
  {
    name: "spark/rename_column",
    dir: icebird("spark/rename_column"),
    metadata: "metadata/v3.metadata.json",
    storedLocation: "s3a://hyperparam-iceberg/spark/rename_column",
    snapshots: [{ id: 5276958600260276572n, rows: 4 }],
  },
  {
    name: "java/bunnies",
    dir: icebird("java/bunnies"),
    metadata: "metadata/v5.metadata.json",
    storedLocation: "s3a://hyperparam-iceberg/java/bunnies",
    snapshots: [
      { id: 4951213507629824583n, rows: 21 },
      { id: 6458828015811002920n, rows: 15 },
      { id: 9158179788527662767n, rows: 15 },
    ],
  },
  {
    name: "athena/example",
    dir: icebird("athena/example"),
    metadata: "metadata/00001-aaf0d033-d06b-43c7-be60-67f83abd4aca.metadata.json",
    storedLocation: "s3://hyperparam-iceberg/athena/example",
    snapshots: [{ id: 6838723292707092922n, rows: 2 }],
  },
  {
    name: "lineitem_iceberg",
    dir: `${duck}/data/persistent/iceberg/lineitem_iceberg`,
    metadata: "metadata/v2.metadata.json",
    storedLocation: "./lineitem_iceberg",
    relativeTo: `${duck}/data/persistent/iceberg`,
    snapshots: [
      { id: 7817332053627255703n, rows: 60175 },
      { id: 2354745328521181395n, rows: 51793 },
    ],
  },
  {
    name: "partition_timestamptz",
    dir: `${duck}/data/persistent/partition_timestamptz/default.db/partition_timestamptz`,
    metadata: "metadata/00001-ffeadb58-2a9e-46ba-8b4f-f363f05de68c.metadata.json",
    storedLocation: "data/persistent/partition_timestamptz/default.db/partition_timestamptz",
    relativeTo: duck,
    snapshots: [{ id: 1930660809162697972n, rows: 2 }],
  },
  {
    name: "map_stats",
    dir: `${duck}/data/persistent/map_stats/default.db/map_stats`,
    metadata: "metadata/00002-0e059d4b-e5e8-41af-a763-76cbf3a3d0bc.metadata.json",
    storedLocation: "file://data/persistent/map_stats/default.db/map_stats",
    relativeTo: duck,
    snapshots: [
      { id: 8792170059756986233n, rows: 1 },
      { id: 554549470069664013n, rows: 2 },
    ],
  },
];

export function table(name: string): FixtureTable {
  const t = TABLES.find((x) => x.name === name);
  if (!t) throw new Error(`no fixture table ${name}`);
  return t;
}
