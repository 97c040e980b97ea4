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
-- SUMMARY OFF, BUFFERS OFF) of q, TIMING off unless asked (buffer counts
-- depend on what is cached; 18 shows them by default), with what differs
-- from run to run masked: times, the bytes received and the wait on the API, and
-- the memory figures of sorts, hashes and Memoize.  The DWS Requests
-- counts, rows and loops are left as they are.
CREATE FUNCTION explain_masked(q text, timing bool DEFAULT false)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  ln text;
BEGIN
  FOR ln IN EXECUTE format('EXPLAIN (ANALYZE, COSTS OFF, TIMING %s, SUMMARY OFF, BUFFERS OFF) ',
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

-- mock_control(method, route [, body]): the stand-in's answer to one of its
-- control routes, e.g. ('GET', 'stats') for what it saw (its max_in_flight
-- is the most API requests it held at once), ('POST', 'reset_max_in_flight')
-- or ('POST', 'fault', '{"fault": "close", ...}').  The server fetches it
-- with curl (COPY FROM PROGRAM; the tests run as a superuser), ignoring the
-- proxies set in its environment; a status of 400 or more is an error.
-- It reads the program's output rather than writing to it: COPY TO PROGRAM
-- fails (EPIPE) when the program exits before reading what COPY writes.
CREATE FUNCTION mock_control(method text, route text, body jsonb DEFAULT NULL)
RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  answer jsonb;
  cmd text;
BEGIN
  -- both go into a shell command: plain words only
  IF method NOT IN ('GET', 'POST', 'DELETE') OR route !~ '^[a-z_]+$' THEN
    RAISE EXCEPTION 'mock_control: bad method or route';
  END IF;
  IF to_regclass('pg_temp.mock_answer') IS NULL THEN
    CREATE TEMP TABLE mock_answer (body text);
  END IF;
  TRUNCATE mock_answer;
  cmd := format('curl -sSf --noproxy ''*'' -X %s', method);
  IF body IS NOT NULL THEN
    -- one single-quoted shell word: each ' in it written as '\''
    cmd := cmd || ' -d ''' || replace(body::text, '''', '''\''''') || '''';
  END IF;
  cmd := cmd || ' http://127.0.0.1:18931/__mock/' || route;
  EXECUTE format('COPY mock_answer FROM PROGRAM %L WITH (FORMAT csv, QUOTE %L, DELIMITER %L)',
                 cmd, E'\x01', E'\x02');
  SELECT string_agg(m.body, E'\n')::jsonb INTO answer FROM mock_answer m;
  RETURN answer;
END $$;

-- mock_peak_start(): waits, up to 30 s, until the stand-in holds no
-- request (the slow calls of a cancelled query go on there until their
-- delay ends), then starts a new max_in_flight, so that the next figure
-- the stand-in reports is the peak of what ran since; false if it never
-- went idle
CREATE FUNCTION mock_peak_start() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..300 LOOP
    IF (mock_control('GET', 'stats') ->> 'in_flight')::int = 0 THEN
      RETURN (mock_control('POST', 'reset_max_in_flight') ->> 'ok')::boolean;
    END IF;
    PERFORM pg_sleep(0.1);
  END LOOP;
  RETURN false;
END $$;
