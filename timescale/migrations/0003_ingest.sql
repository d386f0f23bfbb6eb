-- 0003: the collector's write path. pmacct's pgsql plugin writes fixed column
-- names (ip_src, timestamp_start, ...) with COPY ... FROM STDIN; it cannot be
-- told to write flows' column names. So it writes into flows_ingest, whose
-- columns are exactly the names and text formats pmacct sends, and a
-- statement trigger converts the rows into flows rows. The collector role may
-- only INSERT into flows_ingest: it can neither read nor write flows.
-- Backfill, fixture loaders and tests insert into flows directly, so they can
-- write times the clock-skew guard below would clamp.
-- Parameters: none.

-- Ingest settings: one row (id is always true). max_clock_skew is the
-- clock-skew guard window: a flow whose exporter start time is further than
-- this from the collector's arrival time gets ts := arrival time (ts_end moved
-- by the same amount) and ts_clamped := true, so a router with a wrong clock
-- cannot create chunks far in the past (archived at once) or the future.
-- It must stay shorter than the archiver's archive_after. NULL turns the guard
-- off (for replays of old captures through the collector).
CREATE TABLE ingest_settings (
  id             boolean  PRIMARY KEY DEFAULT true CHECK (id),
  max_clock_skew interval DEFAULT '1 hour' CHECK (max_clock_skew > interval '0')
);

-- The single settings row, with the default window.
INSERT INTO ingest_settings DEFAULT VALUES;

COMMENT ON COLUMN ingest_settings.max_clock_skew IS
  'Clock-skew guard window (default 1 hour): flows whose start is further than this from arrival are clamped to arrival (ts_clamped). Must be shorter than archive_after. NULL disables the guard.';

-- The table pmacct writes to: a staging table whose column names are pmacct
-- 1.7.7's pgsql names for the primitives in pmacct/src/render.ts, and whose
-- types match the text pmacct sends with sql_use_copy (timestamps as
-- "YYYY-MM-DD HH:MM:SS" in UTC because the collector runs with
-- timestamps_utc; *_residual as microseconds). Rows never stay: the statement
-- trigger below moves each COPY's rows into flows and deletes them in the
-- same transaction. (A view with an INSTEAD OF trigger would also take COPY,
-- but converts row by row: ~7-14k rows/s on the embedded engine, against
-- ~100k rows/s for this set-based move.) Unlogged: it only ever holds rows of
-- transactions in flight.
CREATE UNLOGGED TABLE flows_ingest (
  peer_ip_src                inet,
  iface_in                   bigint,
  iface_out                  bigint,
  ip_src                     inet,
  ip_dst                     inet,
  port_src                   integer,
  port_dst                   integer,
  ip_proto                   smallint,
  tos                        smallint,
  tcp_flags                  smallint,
  packets                    bigint,
  bytes                      bigint,
  as_src                     bigint,
  as_dst                     bigint,
  sampling_rate              bigint,
  timestamp_start            timestamp,
  timestamp_start_residual   integer,
  timestamp_end              timestamp,
  timestamp_end_residual     integer,
  timestamp_arrival          timestamp,
  timestamp_arrival_residual integer
);

COMMENT ON TABLE flows_ingest IS
  'Insert-only entry point for pmacct (pgsql plugin, COPY). Each statement''s rows are converted into flows and removed by ingest_flows(); see 0003_ingest.sql.';

-- Converts the rows one INSERT/COPY statement put into flows_ingest into flows
-- rows, set-based, then removes them from the staging table. SECURITY DEFINER
-- so the collector role needs no privilege on flows; the search_path is
-- pinned so a caller cannot substitute its own objects. Times are read as UTC
-- explicitly (AT TIME ZONE 'UTC' on a zone-less timestamp), so the session
-- TimeZone of whoever inserts can never shift a flow. The microsecond
-- residuals are folded in and the result is cut to milliseconds, the schema's
-- resolution. sfacctd is configured without timestamp_start/_end (sFlow has
-- no flow times; pmacct would fill in the purge time), so they arrive NULL and
-- the arrival time is used; an exporter that sends no time fields yields the
-- epoch, treated alike. Clock-skew guard: see ingest_settings. Rows of other
-- writers' transactions in flight are invisible here and removed by their own
-- statement, so the DELETE only takes this statement's rows.
CREATE FUNCTION ingest_flows() RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
  INSERT INTO public.flows (
    ts, ts_end, exporter, in_if, out_if, src_addr, dst_addr, src_port, dst_port, proto, tos, tcp_flags,
    packets, bytes, src_as, dst_as, sampling_rate, ts_clamped
  )
  SELECT
    CASE WHEN g.clamped THEN g.arrival ELSE coalesce(g.start_ts, g.arrival) END,
    CASE WHEN g.clamped THEN g.end_ts + (g.arrival - g.start_ts) ELSE g.end_ts END,
    g.peer_ip_src, g.iface_in, g.iface_out, g.ip_src, g.ip_dst, g.port_src, g.port_dst, g.ip_proto, g.tos,
    g.tcp_flags, g.packets, g.bytes, g.as_src, g.as_dst, coalesce(nullif(g.sampling_rate, 0), 1), g.clamped
  FROM (
    SELECT t.*,
      coalesce(s.max_clock_skew IS NOT NULL
        AND t.start_ts NOT BETWEEN t.arrival - s.max_clock_skew AND t.arrival + s.max_clock_skew, false) AS clamped
    FROM (
      SELECT n.*,
        date_trunc('milliseconds',
          coalesce(n.timestamp_arrival, now() AT TIME ZONE 'UTC')
          + coalesce(n.timestamp_arrival_residual, 0) * interval '1 microsecond') AT TIME ZONE 'UTC' AS arrival,
        CASE WHEN n.timestamp_start IS NULL OR n.timestamp_start = 'epoch'::timestamp THEN NULL
          ELSE date_trunc('milliseconds',
            n.timestamp_start + coalesce(n.timestamp_start_residual, 0) * interval '1 microsecond') AT TIME ZONE 'UTC'
        END AS start_ts,
        CASE WHEN n.timestamp_end IS NULL OR n.timestamp_end = 'epoch'::timestamp THEN NULL
          ELSE date_trunc('milliseconds',
            n.timestamp_end + coalesce(n.timestamp_end_residual, 0) * interval '1 microsecond') AT TIME ZONE 'UTC'
        END AS end_ts
      FROM new_rows n
    ) t
    LEFT JOIN public.ingest_settings s ON s.id
  ) g;
  DELETE FROM public.flows_ingest;
  RETURN NULL;
END
$$;

-- Move every INSERT or COPY into flows_ingest into flows, once per statement.
CREATE TRIGGER flows_ingest_move
AFTER INSERT ON flows_ingest
REFERENCING NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION ingest_flows();

-- Privileges: the collector inserts into the staging table and nothing else;
-- readers and the archiver may see the guard setting (the archiver checks it
-- against archive_after).
REVOKE ALL ON flows_ingest, ingest_settings FROM PUBLIC;
REVOKE ALL ON FUNCTION ingest_flows() FROM PUBLIC;
GRANT INSERT ON flows_ingest TO netflow_collector;
GRANT SELECT ON ingest_settings TO netflow_reader, netflow_archiver;

-- The staging table's dead rows need VACUUM; the embedded engine runs no
-- autovacuum, so the collector vacuums it (PostgreSQL 17's MAINTAIN
-- privilege; on older servers autovacuum does it).
DO $$
BEGIN
  IF current_setting('server_version_num')::int >= 170000 THEN
    EXECUTE 'GRANT MAINTAIN ON flows_ingest TO netflow_collector';
  END IF;
END
$$;
