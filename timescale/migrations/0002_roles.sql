-- 0002: least-privilege roles. They are created NOLOGIN; the migrator gives a
-- role LOGIN and a password only when one is configured for it.
--   netflow_collector  pmacct: INSERT into the ingest view only (see 0003).
--   netflow_reader     query gateway: SELECT only, used in READ ONLY transactions.
--   netflow_archiver   archiver: reads chunks, writes the Iceberg catalog and archive log.

DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['netflow_collector', 'netflow_reader', 'netflow_archiver'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I NOLOGIN', r);
    END IF;
  END LOOP;
END
$$;

REVOKE ALL ON flows, flows_estimated FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO netflow_reader, netflow_archiver, netflow_collector;
GRANT SELECT ON flows, flows_estimated TO netflow_reader, netflow_archiver;
