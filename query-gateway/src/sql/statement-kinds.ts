/**
 * How a refused statement is named in the error and which SQLSTATE it gets:
 * writes and DDL answer 25006 (read_only_sql_transaction) as Postgres does in
 * a read-only transaction; statements that reach outside the database (COPY,
 * CALL, DO, LOAD) 42501 (insufficient_privilege); protocol-level features the
 * gateway does not offer (LISTEN, PREPARE, cursors) 0A000 (feature_not_supported).
 */
import { SQLSTATE, type SqlState } from "../errors.ts";

/** Label and SQLSTATE for a refused statement type, from its parse-tree node name. */
export function describeStatement(type: string): { label: string; code: SqlState } {
  const known = STATEMENTS[type];
  if (known !== undefined) return known;
  const label = type
    .replace(/Stmt$/, "")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toUpperCase();
  return { label, code: SQLSTATE.featureNotSupported };
}

const ro = SQLSTATE.readOnlySqlTransaction;
const priv = SQLSTATE.insufficientPrivilege;
const unsupported = SQLSTATE.featureNotSupported;
const STATEMENTS: Readonly<Record<string, { label: string; code: SqlState }>> = {
  InsertStmt: { label: "INSERT", code: ro },
  UpdateStmt: { label: "UPDATE", code: ro },
  DeleteStmt: { label: "DELETE", code: ro },
  MergeStmt: { label: "MERGE", code: ro },
  CreateStmt: { label: "CREATE TABLE", code: ro },
  CreateTableAsStmt: { label: "CREATE TABLE AS", code: ro },
  ViewStmt: { label: "CREATE VIEW", code: ro },
  IndexStmt: { label: "CREATE INDEX", code: ro },
  CreateSchemaStmt: { label: "CREATE SCHEMA", code: ro },
  CreateFunctionStmt: { label: "CREATE FUNCTION", code: ro },
  CreateExtensionStmt: { label: "CREATE EXTENSION", code: ro },
  CreateRoleStmt: { label: "CREATE ROLE", code: ro },
  CreateSeqStmt: { label: "CREATE SEQUENCE", code: ro },
  CreateTrigStmt: { label: "CREATE TRIGGER", code: ro },
  DropStmt: { label: "DROP", code: ro },
  TruncateStmt: { label: "TRUNCATE", code: ro },
  AlterTableStmt: { label: "ALTER TABLE", code: ro },
  RenameStmt: { label: "ALTER … RENAME", code: ro },
  AlterRoleStmt: { label: "ALTER ROLE", code: ro },
  GrantStmt: { label: "GRANT/REVOKE", code: ro },
  GrantRoleStmt: { label: "GRANT/REVOKE role", code: ro },
  CommentStmt: { label: "COMMENT", code: ro },
  VacuumStmt: { label: "VACUUM/ANALYZE", code: ro },
  ClusterStmt: { label: "CLUSTER", code: ro },
  ReindexStmt: { label: "REINDEX", code: ro },
  RefreshMatViewStmt: { label: "REFRESH MATERIALIZED VIEW", code: ro },
  LockStmt: { label: "LOCK", code: ro },
  CopyStmt: { label: "COPY", code: priv },
  CallStmt: { label: "CALL", code: priv },
  DoStmt: { label: "DO", code: priv },
  LoadStmt: { label: "LOAD", code: priv },
  AlterSystemStmt: { label: "ALTER SYSTEM", code: priv },
  CheckPointStmt: { label: "CHECKPOINT", code: priv },
  CreatedbStmt: { label: "CREATE DATABASE", code: ro },
  DropdbStmt: { label: "DROP DATABASE", code: ro },
  ListenStmt: { label: "LISTEN", code: unsupported },
  UnlistenStmt: { label: "UNLISTEN", code: unsupported },
  NotifyStmt: { label: "NOTIFY", code: unsupported },
  PrepareStmt: { label: "PREPARE", code: unsupported },
  ExecuteStmt: { label: "EXECUTE", code: unsupported },
  DeallocateStmt: { label: "DEALLOCATE", code: unsupported },
  DiscardStmt: { label: "DISCARD", code: unsupported },
  DeclareCursorStmt: { label: "DECLARE CURSOR", code: unsupported },
  FetchStmt: { label: "FETCH", code: unsupported },
  ClosePortalStmt: { label: "CLOSE", code: unsupported },
  ImportForeignSchemaStmt: { label: "IMPORT FOREIGN SCHEMA", code: ro },
};
