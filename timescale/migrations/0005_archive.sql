-- 0005: the archiver's record and its narrow, audited powers over chunks.
-- archive_log is the idempotency record of archiving (invariant 2): one row per
-- archived chunk, written in the same transaction that commits the Iceberg
-- snapshot and drops the chunk (invariant 1). The archiver role owns nothing:
-- it compresses, locks, fingerprints and drops chunks of `flows` only through
-- the SECURITY DEFINER functions below, and a chunk can only be dropped in the
-- transaction that logged it. Parameters: none.

CREATE TABLE archive_log (
  -- pg_control_system().system_identifier: a restored database may reuse chunk ids.
  system_identifier text        NOT NULL,
  chunk_id          integer     NOT NULL,
  hypertable        text        NOT NULL,
  chunk_name        text        NOT NULL,
  range_start       timestamptz NOT NULL,
  range_end         timestamptz NOT NULL,
  snapshot_id       bigint      NOT NULL,
  metadata_location text        NOT NULL,
  row_count         bigint      NOT NULL,
  -- Sum of the canonical 64-bit row hashes (archiver/src/hash/row-hash.ts).
  checksum          numeric     NOT NULL,
  data_files        integer     NOT NULL,
  bytes_written     bigint      NOT NULL,
  archived_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (system_identifier, chunk_id)
);

COMMENT ON TABLE archive_log IS
  'One row per hot chunk moved to the Iceberg table, written in the transaction that committed the snapshot and dropped the chunk. The record of what was archived (snapshot summaries disappear with snapshot expiry).';

CREATE INDEX archive_log_range ON archive_log (range_start, range_end);

-- The database's identity for job ids and archive_log (pg_control_system() is
-- not executable by every role).
CREATE FUNCTION archive_system_identifier() RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$ SELECT system_identifier::text FROM pg_control_system() $$;

-- Every chunk of flows, oldest first, with what the scheduler and `status`
-- need. bytes = heap + indexes + toast of the chunk and its compressed chunk.
CREATE FUNCTION archive_hot_chunks()
RETURNS TABLE (
  chunk_id integer, chunk regclass, range_start timestamptz, range_end timestamptz,
  status integer, compressed_chunk_id integer, bytes bigint
)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT c.id, format('%I.%I', c.schema_name, c.table_name)::regclass,
    _timescaledb_functions.to_timestamp(s.range_start), _timescaledb_functions.to_timestamp(s.range_end),
    c.status, c.compressed_chunk_id,
    pg_total_relation_size(format('%I.%I', c.schema_name, c.table_name)::regclass)
      + coalesce((SELECT pg_total_relation_size(format('%I.%I', z.schema_name, z.table_name)::regclass)
                  FROM _timescaledb_catalog.chunk z WHERE z.id = c.compressed_chunk_id), 0)
  FROM _timescaledb_catalog.chunk c
  JOIN _timescaledb_catalog.hypertable h ON h.id = c.hypertable_id
  JOIN _timescaledb_catalog.chunk_constraint cc ON cc.chunk_id = c.id AND cc.dimension_slice_id IS NOT NULL
  JOIN _timescaledb_catalog.dimension_slice s ON s.id = cc.dimension_slice_id
  WHERE h.schema_name = 'public' AND h.table_name = 'flows' AND NOT c.dropped
  ORDER BY s.range_start, c.id
$$;

-- The catalog id of a chunk of flows; raises when `chunk` is anything else.
CREATE FUNCTION archive_flows_chunk_id(chunk regclass) RETURNS integer
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  id integer;
BEGIN
  SELECT c.id INTO id
  FROM _timescaledb_catalog.chunk c
  JOIN _timescaledb_catalog.hypertable h ON h.id = c.hypertable_id
  JOIN pg_class k ON k.relname = c.table_name
  JOIN pg_namespace n ON n.oid = k.relnamespace AND n.nspname = c.schema_name
  WHERE k.oid = chunk AND h.schema_name = 'public' AND h.table_name = 'flows' AND NOT c.dropped;
  IF id IS NULL THEN
    RAISE EXCEPTION 'relation % is not a chunk of flows', chunk USING ERRCODE = '42809';
  END IF;
  RETURN id;
END
$$;

-- The chunk's change fingerprint: the catalog status bits, the compressed
-- chunk's id, and count + hash of (ctid, xmin) of the compressed chunk's rows
-- (one row per batch of up to 1000 flows, so this reads ~1/1000 of the rows).
-- flow_rows is the number of flows in the compressed batches (their
-- _ts_meta_count): the export must have read exactly that many.
-- Any insert, update or delete into a compressed chunk sets the partially-
-- compressed bit (8), and recompression rewrites the affected batches (new
-- ctid/xmin) while keeping the compressed chunk id, so an unchanged
-- fingerprint means unchanged rows — without rescanning them. With
-- lock_chunk the chunk is first locked in SHARE ROW EXCLUSIVE mode (blocks
-- inserts, updates, deletes and other archivers; reads go on) until the
-- transaction ends.
CREATE FUNCTION archive_chunk_fingerprint(chunk regclass, lock_chunk boolean DEFAULT false)
RETURNS TABLE (
  chunk_id integer, status integer, compressed_chunk_id integer, compressed_rows bigint, compressed_hash numeric,
  flow_rows bigint
)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cid integer := public.archive_flows_chunk_id(chunk);
  zid integer;
  zrel regclass;
BEGIN
  IF lock_chunk THEN
    EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', chunk);
  END IF;
  chunk_id := cid;
  SELECT c.status, c.compressed_chunk_id INTO status, zid
  FROM _timescaledb_catalog.chunk c WHERE c.id = cid;
  compressed_chunk_id := zid;
  compressed_rows := 0;
  compressed_hash := 0;
  flow_rows := 0;
  IF zid IS NOT NULL THEN
    SELECT format('%I.%I', z.schema_name, z.table_name)::regclass INTO zrel
    FROM _timescaledb_catalog.chunk z WHERE z.id = zid;
    EXECUTE format(
      'SELECT count(*), coalesce(sum((''x'' || substr(md5(ctid::text || '':'' || xmin::text), 1, 16))::bit(64)::bigint), 0),'
      ' coalesce(sum(_ts_meta_count), 0) FROM %s',
      zrel) INTO compressed_rows, compressed_hash, flow_rows;
  END IF;
  RETURN NEXT;
END
$$;

-- Compresses (or recompresses a partially compressed) chunk of flows. Real
-- TimescaleDB does this from its compression policy; the embedded engine runs
-- no background jobs, so the archiver calls this for chunks past
-- compress_after.
CREATE FUNCTION archive_compress_chunk(chunk regclass) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  PERFORM public.archive_flows_chunk_id(chunk);
  PERFORM public.compress_chunk(chunk, if_not_compressed => true);
END
$$;

-- Drops a chunk of flows, only when this very transaction logged it in
-- archive_log (so a chunk can never be dropped without its archive record
-- committing with the drop).
CREATE FUNCTION archive_drop_chunk(chunk regclass) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  cid integer := public.archive_flows_chunk_id(chunk);
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM public.archive_log l
    WHERE l.chunk_id = cid AND l.system_identifier = public.archive_system_identifier()
      AND l.xmin = pg_current_xact_id()::xid
  ) THEN
    RAISE EXCEPTION 'chunk % (id %) is not logged in archive_log by this transaction', chunk, cid
      USING ERRCODE = '42501';
  END IF;
  EXECUTE format('DROP TABLE %s', chunk);
END
$$;

REVOKE ALL ON archive_log FROM PUBLIC;
REVOKE ALL ON FUNCTION archive_system_identifier(), archive_hot_chunks(), archive_flows_chunk_id(regclass),
  archive_chunk_fingerprint(regclass, boolean), archive_compress_chunk(regclass), archive_drop_chunk(regclass) FROM PUBLIC;
GRANT SELECT, INSERT ON archive_log TO netflow_archiver;
GRANT SELECT ON archive_log TO netflow_reader;
GRANT EXECUTE ON FUNCTION archive_system_identifier(), archive_hot_chunks(), archive_flows_chunk_id(regclass),
  archive_chunk_fingerprint(regclass, boolean), archive_compress_chunk(regclass), archive_drop_chunk(regclass)
  TO netflow_archiver;
GRANT EXECUTE ON FUNCTION archive_system_identifier(), archive_hot_chunks() TO netflow_reader;
