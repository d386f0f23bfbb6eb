-- Replaces the compression policy of flows when its age differs. $1 = compress_after interval.
-- The policy is what a real TimescaleDB runs on its own; the embedded engine runs
-- no background workers, so there the archiver compresses explicitly.
DO $$
BEGIN
  IF NOT EXISTS (
    SELECT 1 FROM timescaledb_information.jobs
    WHERE proc_name = 'policy_compression' AND hypertable_name = 'flows'
      AND (config ->> 'compress_after')::interval = current_setting('netflow.compress_after')::interval
  ) THEN
    PERFORM remove_compression_policy('flows', if_exists => true);
    PERFORM add_compression_policy('flows', compress_after => current_setting('netflow.compress_after')::interval);
  END IF;
END
$$
