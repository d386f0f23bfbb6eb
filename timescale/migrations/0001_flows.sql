-- 0001: the flows hypertable (the hot tier) and its compression settings.
-- Column names and types mirror schema/src/columns.ts; a test checks them.
-- Parameters (session settings read once, when this migration is applied):
--   netflow.chunk_interval  chunk time interval, default '1 day'.

CREATE EXTENSION IF NOT EXISTS timescaledb;

CREATE TABLE flows (
  ts            timestamptz NOT NULL,
  ts_end        timestamptz,
  exporter      inet        NOT NULL,
  in_if         bigint,
  out_if        bigint,
  src_addr      inet,
  dst_addr      inet,
  src_port      integer,
  dst_port      integer,
  proto         smallint,
  tos           smallint,
  tcp_flags     smallint,
  packets       bigint      NOT NULL,
  bytes         bigint      NOT NULL,
  src_as        bigint,
  dst_as        bigint,
  sampling_rate bigint      NOT NULL DEFAULT 1,
  ts_clamped    boolean     NOT NULL DEFAULT false
);

COMMENT ON TABLE flows IS 'Flow records, hot tier. Counters are raw as exported; multiply by sampling_rate (or use flows_estimated) for traffic estimates.';

-- The chunk interval decides the archiver's unit of work (one chunk, one job),
-- so it is set here once; later changes go through set_chunk_time_interval,
-- which the migrator applies from configuration on every run.
SELECT create_hypertable(
  'flows',
  by_range('ts', coalesce(nullif(current_setting('netflow.chunk_interval', true), ''), '1 day')::interval)
);

-- Compression: segment by exporter because flow queries almost always filter
-- or group by time first and exporter second, and exporters are few (tens),
-- so each segment still holds long runs of rows that compress well. Addresses
-- and ports are far too high-cardinality to segment by. Ordering by ts DESC
-- gives each compressed batch tight min/max time metadata, so time-range
-- queries skip whole batches without decompressing them.
ALTER TABLE flows SET (
  timescaledb.compress,
  timescaledb.compress_segmentby = 'exporter',
  timescaledb.compress_orderby = 'ts DESC'
);

-- Renormalized traffic estimates for sampled exporters.
CREATE VIEW flows_estimated AS
SELECT f.*, f.packets * f.sampling_rate AS packets_estimated, f.bytes * f.sampling_rate AS bytes_estimated
FROM flows f;
