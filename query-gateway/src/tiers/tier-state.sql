-- The tier state of the consistent cut, read in the cut's first round trip:
-- the transaction's now() (so every engine of the query uses one instant),
-- the Iceberg catalog pointer of the cold table, then one row per hot chunk
-- with its measured time range in epoch microseconds. The chunk list comes
-- from TimescaleDB's catalog tables (readable by every role) because the
-- timescaledb_information.chunks view costs ~10 ms a query on the embedded
-- engine against ~4 ms for these joins.
-- The LOCK comes first and takes no snapshot: the REPEATABLE READ snapshot
-- is taken by the SELECT after it, once the hypertable and all its chunks
-- hold ACCESS SHARE locks. Dropping a chunk is not MVCC-safe (a chunk
-- dropped after our snapshot would vanish from our hot query), so an
-- archiver's drop_chunks now waits for this short transaction instead.
-- (A cut that reads no hot rows runs without the LOCK: TierReader.unlockedStatements.)
-- Parameters: $1 catalog_name, $2 table_namespace, $3 table_name,
--             $4 hypertable schema, $5 hypertable name, $6 time column.
LOCK TABLE public.flows IN ACCESS SHARE MODE;
SELECT
  (extract(epoch FROM now()) * 1000000)::bigint::text AS now_us,
  (SELECT t.metadata_location
     FROM iceberg_tables t
    WHERE t.catalog_name = $1 AND t.table_namespace = $2 AND t.table_name = $3) AS metadata_location;
SELECT c.table_name AS name, s.range_start::text AS range_start, s.range_end::text AS range_end,
       (c.compressed_chunk_id IS NOT NULL)::text AS compressed
  FROM _timescaledb_catalog.hypertable h
  JOIN _timescaledb_catalog.dimension d ON d.hypertable_id = h.id AND d.column_name = $6
  JOIN _timescaledb_catalog.chunk c ON c.hypertable_id = h.id AND NOT c.dropped
  JOIN _timescaledb_catalog.chunk_constraint cc ON cc.chunk_id = c.id
  JOIN _timescaledb_catalog.dimension_slice s ON s.id = cc.dimension_slice_id AND s.dimension_id = d.id
 WHERE h.schema_name = $4 AND h.table_name = $5
 ORDER BY s.range_start;
