-- 0004: the Iceberg SQL catalog, with exactly the tables of PyIceberg's
-- SqlCatalog and Java's JdbcCatalog, so those engines open our tables from
-- this database. A commit is `UPDATE iceberg_tables SET metadata_location = new
-- WHERE ... AND metadata_location = old` that must affect exactly one row.

CREATE TABLE iceberg_tables (
  catalog_name               varchar(255)  NOT NULL,
  table_namespace            varchar(255)  NOT NULL,
  table_name                 varchar(255)  NOT NULL,
  metadata_location          varchar(1000),
  previous_metadata_location varchar(1000),
  -- JdbcCatalog schema V1 column; PyIceberg ignores it. NULL or 'TABLE' means a table.
  iceberg_type               varchar(5),
  PRIMARY KEY (catalog_name, table_namespace, table_name)
);

CREATE TABLE iceberg_namespace_properties (
  catalog_name   varchar(255)  NOT NULL,
  namespace      varchar(255)  NOT NULL,
  property_key   varchar(255)  NOT NULL,
  property_value varchar(1000),
  PRIMARY KEY (catalog_name, namespace, property_key)
);

GRANT SELECT ON iceberg_tables, iceberg_namespace_properties TO netflow_reader;
GRANT SELECT, INSERT, UPDATE, DELETE ON iceberg_tables, iceberg_namespace_properties TO netflow_archiver;
