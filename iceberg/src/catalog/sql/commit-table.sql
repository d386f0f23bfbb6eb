-- Compare-and-swap of a table's metadata pointer.
-- $1 catalog_name, $2 table_namespace, $3 table_name, $4 new metadata_location, $5 expected (old) metadata_location
UPDATE iceberg_tables
SET metadata_location = $4, previous_metadata_location = $5
WHERE catalog_name = $1 AND table_namespace = $2 AND table_name = $3 AND metadata_location = $5
