-- The tier state of the consistent cut, read in one statement so both parts
-- come from the same snapshot: the Iceberg catalog pointer of the cold table
-- and the hot chunk list with measured ranges in epoch microseconds, plus
-- the transaction's now() so every engine of the query uses the same instant.
-- Parameters: $1 catalog_name, $2 table_namespace, $3 table_name,
--             $4 hypertable schema, $5 hypertable name.
SELECT
  (extract(epoch FROM now()) * 1000000)::bigint::text AS now_us,
  (SELECT t.metadata_location
     FROM iceberg_tables t
    WHERE t.catalog_name = $1 AND t.table_namespace = $2 AND t.table_name = $3) AS metadata_location,
  coalesce(
    (SELECT json_agg(json_build_object(
              'name', c.chunk_name,
              'start', (extract(epoch FROM c.range_start) * 1000000)::bigint::text,
              'end', (extract(epoch FROM c.range_end) * 1000000)::bigint::text,
              'compressed', c.is_compressed)
            ORDER BY c.range_start)
       FROM timescaledb_information.chunks c
      WHERE c.hypertable_schema = $4 AND c.hypertable_name = $5),
    '[]'::json)::text AS chunks
