/**
 * What the lockdown refuses or allows by name. Names are compared lowercased:
 * DuckDB resolves function names case-insensitively even when quoted, so
 * `"READ_CSV"(...)` must be caught too.
 */

/**
 * Functions that read files or URLs, run SQL text given as a string (which
 * would bypass the lockdown), change settings, signal backends, take locks or
 * sleep. Checked against the last part of the (possibly schema-qualified) name.
 */
export const DENIED_FUNCTIONS: ReadonlySet<string> = new Set([
  // DuckDB file, URL and foreign-database table functions.
  "read_csv",
  "read_csv_auto",
  "sniff_csv",
  "read_parquet",
  "parquet_scan",
  "parquet_metadata",
  "parquet_file_metadata",
  "parquet_kv_metadata",
  "parquet_schema",
  "parquet_bloom_probe",
  "read_json",
  "read_json_auto",
  "read_json_objects",
  "read_json_objects_auto",
  "read_ndjson",
  "read_ndjson_auto",
  "read_ndjson_objects",
  "read_text",
  "read_blob",
  "read_avro",
  "read_xlsx",
  "st_read",
  "glob",
  "iceberg_scan",
  "iceberg_metadata",
  "iceberg_snapshots",
  "delta_scan",
  "sqlite_scan",
  "sqlite_attach",
  "postgres_scan",
  "postgres_scan_pushdown",
  "postgres_query",
  "postgres_execute",
  "postgres_attach",
  "mysql_query",
  "mysql_execute",
  "query",
  "query_table",
  "json_execute_serialized_sql",
  "duckdb_secrets",
  "duckdb_settings",
  "which_secret",
  "load_aws_credentials",
  "getenv",
  "checkpoint",
  "force_checkpoint",
  // Postgres server files and large objects.
  "pg_read_file",
  "pg_read_binary_file",
  "pg_ls_dir",
  "pg_ls_logdir",
  "pg_ls_waldir",
  "pg_ls_tmpdir",
  "pg_ls_archive_statusdir",
  "pg_ls_logicalsnapdir",
  "pg_ls_logicalmapdir",
  "pg_ls_replslotdir",
  "pg_stat_file",
  "pg_current_logfile",
  "pg_file_write",
  "pg_file_rename",
  "pg_file_unlink",
  "pg_file_sync",
  "lo_import",
  "lo_export",
  "lo_get",
  "lo_put",
  "lo_from_bytea",
  "lo_creat",
  "lo_create",
  "lo_open",
  "lo_unlink",
  "loread",
  "lowrite",
  // Postgres functions that run a query given as text.
  "query_to_xml",
  "query_to_xml_and_xmlschema",
  "query_to_xmlschema",
  "table_to_xml",
  "table_to_xml_and_xmlschema",
  "cursor_to_xml",
  "schema_to_xml",
  "schema_to_xml_and_xmlschema",
  "database_to_xml",
  "database_to_xml_and_xmlschema",
  "ts_stat",
  "dblink",
  // Settings, configuration and server control.
  "set_config",
  "pg_reload_conf",
  "pg_rotate_logfile",
  "pg_terminate_backend",
  "pg_cancel_backend",
  "pg_promote",
  "pg_switch_wal",
  "pg_backup_start",
  "pg_backup_stop",
  "pg_create_restore_point",
  "pg_show_all_settings",
  "pg_show_all_file_settings",
  "pg_hba_file_rules",
  "pg_ident_file_mappings",
  "pg_config",
  "pg_notify",
  "pg_log_backend_memory_contexts",
  "pg_import_system_collations",
  "nextval",
  "setval",
  // Denial of service.
  "pg_sleep",
  "pg_sleep_for",
  "pg_sleep_until",
]);

/**
 * Prefixes of denied function families: dblink_*, pg_advisory_*, replication
 * control, stats resets, and whole DuckDB families — read_* (files),
 * duckdb_* and pragma_* (introspection that shows database and cache paths).
 * Postgres has no function starting with read_, duckdb_ or pragma_.
 */
export const DENIED_FUNCTION_PREFIXES: readonly string[] = [
  "read_",
  "duckdb_",
  "pragma_",
  "dblink_",
  "pg_sleep",
  "pg_read_",
  "pg_ls_",
  "pg_file_",
  "lo_",
  "pg_advisory_",
  "pg_try_advisory_",
  "pg_stat_reset",
  "pg_stat_statements_reset",
  "pg_replication_",
  "pg_create_",
  "pg_drop_replication_slot",
  "pg_logical_",
  "pg_wal_replay_",
  "read_json",
  "read_ndjson",
  "read_csv",
  "postgres_",
  "mysql_",
  "sqlite_",
  "pg_stat_get_activity",
];

/** Suffixes of DuckDB scanners of files and foreign data (parquet_scan, iceberg_metadata, ...). */
export const DENIED_FUNCTION_SUFFIXES: readonly string[] = ["_scan", "_metadata"];

/**
 * Relations whose contents leak secrets (password hashes, user-mapping
 * options, connection strings, server file paths, other sessions' SQL).
 * Refused whether or not they are schema-qualified.
 */
export const DENIED_RELATIONS: ReadonlySet<string> = new Set([
  "pg_authid",
  "pg_shadow",
  "pg_user_mapping",
  "pg_user_mappings",
  "pg_hba_file_rules",
  "pg_ident_file_mappings",
  "pg_file_settings",
  "pg_settings",
  "pg_config",
  "pg_stat_activity",
  "pg_stat_ssl",
  "pg_stat_gssapi",
  "pg_largeobject",
  "pg_largeobject_metadata",
  "pg_subscription",
  "pg_statistic",
  "pg_backend_memory_contexts",
  "duckdb_secrets",
  "duckdb_settings",
]);

/**
 * Session settings a client may SET / RESET (with SET LOCAL likewise): what
 * real drivers send on connect. statement_timeout is further capped by
 * LockdownConfig.maxStatementTimeoutMs. search_path is deliberately absent: it
 * could make `flows` resolve to another relation on the hot tier while the cold
 * tier still reads the archive, so one query would mean two things.
 */
export const SETTABLE_SETTINGS: ReadonlySet<string> = new Set([
  "timezone",
  "application_name",
  "datestyle",
  "intervalstyle",
  "extra_float_digits",
  "client_encoding",
  "statement_timeout",
]);

/**
 * Settings a client may read with SHOW or current_setting(): what drivers and
 * BI tools ask for. Everything else is refused because several settings leak
 * server paths (data_directory, hba_file, ...) or, in DuckDB, credentials.
 */
export const READABLE_SETTINGS: ReadonlySet<string> = new Set([
  ...SETTABLE_SETTINGS,
  "server_version",
  "server_version_num",
  "server_encoding",
  "standard_conforming_strings",
  "integer_datetimes",
  "transaction_isolation",
  "transaction_read_only",
  "transaction_deferrable",
  "default_transaction_isolation",
  "default_transaction_read_only",
  "is_superuser",
  "search_path",
  "lc_collate",
  "lc_ctype",
  "lc_messages",
  "lc_monetary",
  "lc_numeric",
  "lc_time",
  "max_identifier_length",
  "max_index_keys",
  "block_size",
  "default_text_search_config",
  "bytea_output",
  "session_authorization",
]);
