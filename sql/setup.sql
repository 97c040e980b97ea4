--
-- Shared test helpers, run first (as PostgreSQL's own test_setup.sql).
-- pg_regress runs every file in the same database (contrib_regression), in
-- the Makefile's REGRESS order, so what this file creates in schema public
-- is there for the files after it.  A topic file therefore needs this file
-- run before it: to run files one at a time, name setup first, as in
--   DWSDR_REGRESS="setup errors" bash scripts/test
-- The helpers only run a statement and hide what differs from run to run
-- (request ids, nonces, durations, byte counts); each file still makes its
-- own servers, mappings and tables, in plain sight.  cookbook.sql and
-- cron.sql use none of these helpers: they run without this file.
--

-- try(q, brief): runs q; prints 'ok', or the SQLSTATE and message of its
-- error and, unless brief, its detail and hint, with request ids,
-- "-once-" nonces, durations and byte counts masked.  brief leaves out the
-- detail and hint, for messages whose detail is not the point or differs
-- between library versions.  Whatever it prints, it also says "a secret
-- was shown" if a message holds any secret the tests use: the stand-in's
-- secret keys and tokens (...-000N) and the wrong ones tests set (wrong-...).
CREATE PROCEDURE try(q text, brief bool DEFAULT false) LANGUAGE plpgsql AS $$
DECLARE
  st text; msg text; det text; hnt text;
BEGIN
  EXECUTE q;
  RAISE NOTICE 'ok';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, msg = MESSAGE_TEXT,
    det = PG_EXCEPTION_DETAIL, hnt = PG_EXCEPTION_HINT;
  msg := regexp_replace(msg, '-once-[0-9a-f]{32}', '-once-<nonce>', 'g');
  RAISE NOTICE 'SQLSTATE %: %', st, msg;
  IF NOT brief THEN
    IF det <> '' THEN
      det := regexp_replace(det, '-once-[0-9a-f]{32}', '-once-<nonce>', 'g');
      det := regexp_replace(det, '[0-9a-f]{32}', '<request-id>', 'g');
      det := regexp_replace(det, '[0-9]+ (ms|milliseconds)', 'N \1', 'g');
      det := regexp_replace(det, '\([0-9]+ bytes received so far\)', '(N bytes received so far)');
      det := regexp_replace(det, '[0-9]+ out of [0-9]+ bytes', 'N out of N bytes');
      det := regexp_replace(det, '[0-9]+ bytes remaining', 'N bytes remaining');
      RAISE NOTICE 'DETAIL: %', det;
    END IF;
    IF hnt <> '' THEN RAISE NOTICE 'HINT: %', hnt; END IF;
  END IF;
  IF concat(msg, det, hnt) ~ '(secret-key-000|security-token-000|iam-token-000|wrong-(secret|security|iam)-)' THEN
    RAISE NOTICE 'a secret was shown';
  END IF;
END $$;

-- explain_masked(q, timing): the lines of EXPLAIN (ANALYZE, COSTS OFF,
-- SUMMARY OFF) of q, TIMING off unless asked, with what differs from run
-- to run masked: times, the bytes received and the wait on the API, and
-- the memory figures of sorts, hashes and Memoize.  The DWS Requests
-- counts, rows and loops are left as they are.
CREATE FUNCTION explain_masked(q text, timing bool DEFAULT false)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  ln text;
BEGIN
  FOR ln IN EXECUTE format('EXPLAIN (ANALYZE, COSTS OFF, TIMING %s, SUMMARY OFF) ',
                           CASE WHEN timing THEN 'ON' ELSE 'OFF' END) || q
  LOOP
    ln := regexp_replace(ln, 'actual time=[0-9.]+\.\.[0-9.]+', 'actual time=N..N');
    ln := regexp_replace(ln, 'DWS Bytes Received: [0-9]+', 'DWS Bytes Received: N');
    ln := regexp_replace(ln, 'DWS Wait Time: [0-9.]+ ms', 'DWS Wait Time: N ms');
    ln := regexp_replace(ln, 'Memory( Usage)?: \d+kB', 'Memory: NkB', 'g');
    ln := regexp_replace(ln, 'Buckets: \d+  Batches: \d+  ', '', 'g');
    RETURN NEXT ln;
  END LOOP;
END $$;

-- peer_conninfo(app): a libpq connection string to this database as the
-- current user, with that application_name, for dblink's "other session"
CREATE FUNCTION peer_conninfo(app text) RETURNS text LANGUAGE sql AS $$
  SELECT format('dbname=%s host=%s port=%s application_name=%s',
                current_database(), current_setting('unix_socket_directories'),
                current_setting('port'), app)
$$;

-- wait_for_api(app): polls pg_stat_activity, up to 5 s, until the backend
-- with that application_name waits on the API (wait event type
-- 'Extension', and not for its budget: DwsdrBudget, PostgreSQL 17 and later
-- when preloaded); true if it did, false if it never did in that time
CREATE FUNCTION wait_for_api(app text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..100 LOOP
    PERFORM pg_stat_clear_snapshot();
    IF EXISTS (SELECT 1 FROM pg_stat_activity
                WHERE application_name = app AND wait_event_type = 'Extension'
                  AND wait_event IS DISTINCT FROM 'DwsdrBudget') THEN
      RETURN true;
    END IF;
    PERFORM pg_sleep(0.05);
  END LOOP;
  RETURN false;
END $$;
