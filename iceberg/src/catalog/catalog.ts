/**
 * The catalog interface: it stores, per table, the location of the current
 * metadata file and swaps it atomically. Everything else about a table lives
 * in the metadata file. Implementations: SqlCatalog (Postgres, PyIceberg /
 * Java JDBC compatible). Errors are IcebergError: `commit-conflict`
 * (retryable) when the pointer moved, `no-such-table`, `table-exists`,
 * `no-such-namespace`, `catalog` for database failures.
 */
export interface TableIdentifier {
  /** Namespace levels, e.g. ["netflow"]. */
  readonly namespace: readonly string[];
  readonly name: string;
}

export interface Catalog {
  readonly name: string;
  createNamespace(namespace: readonly string[], properties?: Readonly<Record<string, string>>): Promise<void>;
  listNamespaces(): Promise<string[][]>;
  namespaceExists(namespace: readonly string[]): Promise<boolean>;
  listTables(namespace: readonly string[]): Promise<TableIdentifier[]>;
  /** The current metadata location; throws `no-such-table`. */
  loadTable(id: TableIdentifier): Promise<string>;
  /** Registers a new table pointing at `metadataLocation`; throws `table-exists`. */
  createTable(id: TableIdentifier, metadataLocation: string): Promise<void>;
  /** Compare-and-swap of the pointer; throws `commit-conflict` when it is no longer `expected`. */
  commitTable(id: TableIdentifier, expected: string, next: string): Promise<void>;
  dropTable(id: TableIdentifier): Promise<void>;
}

export function identifierToString(id: TableIdentifier): string {
  return [...id.namespace, id.name].join(".");
}
