--
-- when_unreachable: a region that is down.  Three "regions" are three
-- projects of the stand-in behind three foreign servers, read through one
-- UNION ALL view; region 3 (project e1c3...) is taken down by a stand-in
-- rule for its project (every call in it: the connection closed, or HTTP
-- 503), which leaves the servers unchanged (ALTER SERVER would drop the
-- answers kept for 'stale').  Region 3 has one server per mode.
--
\set VERBOSITY default

-- the stand-in's fault rules (mock_control of sql/setup.sql)
CREATE PROCEDURE region_down(project text, fault text) LANGUAGE plpgsql AS $$
BEGIN
  PERFORM mock_control('POST', 'fault',
    jsonb_build_object('fault', fault, 'times', 0, 'project', project));
END $$;
CREATE PROCEDURE region_up(project text) LANGUAGE plpgsql AS $$
BEGIN
  PERFORM mock_control('DELETE', 'fault', jsonb_build_object('project', project));
END $$;
CREATE PROCEDURE task_down(id text, fault text) LANGUAGE plpgsql AS $$
BEGIN
  PERFORM mock_control('POST', 'fault',
    jsonb_build_object('fault', fault, 'times', 0, 'id', id));
END $$;
CREATE PROCEDURE task_up(id text) LANGUAGE plpgsql AS $$
BEGIN
  PERFORM mock_control('DELETE', 'fault', jsonb_build_object('id', id));
END $$;

-- the option: three values, on servers only
CREATE SERVER ur_bad FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931', when_unreachable 'ignore');
CREATE SERVER ur_bad FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931', when_unreachable 'SKIP');
CREATE SERVER ur_bad FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931', when_unreachable 'error');
ALTER SERVER ur_bad OPTIONS (SET when_unreachable 'stale');
ALTER SERVER ur_bad OPTIONS (SET when_unreachable 'skip');
CREATE FOREIGN TABLE ur_bad_t (dr_id text) SERVER ur_bad
  OPTIONS (resource 'disaster_recoveries', when_unreachable 'skip');
DROP SERVER ur_bad;

-- the regions: one retry, short timeouts; region 3 once per mode (and
-- 'stale' with cache_ttl)
CREATE SERVER ur_r1 FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint 'http://127.0.0.1:18931',
  project_id '0536cdee2200d5912f7cc00b877980f1', when_unreachable 'skip',
  max_retries '1', connect_timeout_ms '1000', timeout_ms '2000');
CREATE USER MAPPING FOR CURRENT_USER SERVER ur_r1
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA ur_r1;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (disaster_recoveries, dr_progress) FROM SERVER ur_r1 INTO ur_r1;
CREATE SERVER ur_r2 FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint 'http://127.0.0.1:18931',
  project_id '7e570000000000000000000000000000', when_unreachable 'skip',
  max_retries '1', connect_timeout_ms '1000', timeout_ms '2000');
CREATE USER MAPPING FOR CURRENT_USER SERVER ur_r2
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA ur_r2;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (disaster_recoveries, dr_progress) FROM SERVER ur_r2 INTO ur_r2;
CREATE SERVER ur_r3error FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint 'http://127.0.0.1:18931',
  project_id 'e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6', when_unreachable 'error',
  max_retries '1', connect_timeout_ms '1000', timeout_ms '2000');
CREATE USER MAPPING FOR CURRENT_USER SERVER ur_r3error
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA ur_r3error;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (disaster_recoveries, dr_progress) FROM SERVER ur_r3error INTO ur_r3error;
CREATE SERVER ur_r3skip FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint 'http://127.0.0.1:18931',
  project_id 'e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6', when_unreachable 'skip',
  max_retries '1', connect_timeout_ms '1000', timeout_ms '2000');
CREATE USER MAPPING FOR CURRENT_USER SERVER ur_r3skip
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA ur_r3skip;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (disaster_recoveries, dr_progress) FROM SERVER ur_r3skip INTO ur_r3skip;
CREATE SERVER ur_r3stale FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint 'http://127.0.0.1:18931',
  project_id 'e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6', when_unreachable 'stale',
  max_retries '1', connect_timeout_ms '1000', timeout_ms '2000');
CREATE USER MAPPING FOR CURRENT_USER SERVER ur_r3stale
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA ur_r3stale;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (disaster_recoveries, dr_progress) FROM SERVER ur_r3stale INTO ur_r3stale;
CREATE SERVER ur_r3ttl FOREIGN DATA WRAPPER dwsdr_fdw OPTIONS (endpoint 'http://127.0.0.1:18931',
  project_id 'e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6', when_unreachable 'stale', cache_ttl '2',
  max_retries '1', connect_timeout_ms '1000', timeout_ms '2000');
CREATE USER MAPPING FOR CURRENT_USER SERVER ur_r3ttl
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA ur_r3ttl;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (disaster_recoveries, dr_progress) FROM SERVER ur_r3ttl INTO ur_r3ttl;

-- the estate, one view per mode of region 3 (regions 1 and 2 stay up)
DO $$
DECLARE
  m text;
BEGIN
  FOREACH m IN ARRAY ARRAY['error', 'skip', 'stale', 'ttl'] LOOP
    EXECUTE format($v$CREATE VIEW estate_%s AS
      SELECT 'r1' AS region, dr_id, name, dr_sync_period, fetched_at FROM ur_r1.disaster_recoveries
      UNION ALL
      SELECT 'r2', dr_id, name, dr_sync_period, fetched_at FROM ur_r2.disaster_recoveries
      UNION ALL
      SELECT 'r3', dr_id, name, dr_sync_period, fetched_at FROM ur_r3%s.disaster_recoveries$v$,
      m, m);
  END LOOP;
END $$;

-- every region up: all rows, fresh (received during the statement), no
-- WARNING; this also keeps region 3's answers for 'stale'
SELECT region, count(dr_sync_period) AS n,
       bool_and(fetched_at >= statement_timestamp() AND fetched_at <= clock_timestamp()) AS fresh
  FROM estate_error GROUP BY region ORDER BY region;
SELECT region, count(dr_sync_period) AS n,
       bool_and(fetched_at >= statement_timestamp() AND fetched_at <= clock_timestamp()) AS fresh
  FROM estate_skip GROUP BY region ORDER BY region;
SELECT region, count(dr_sync_period) AS n,
       bool_and(fetched_at >= statement_timestamp() AND fetched_at <= clock_timestamp()) AS fresh
  FROM estate_stale GROUP BY region ORDER BY region;
SELECT clock_timestamp() AS before_outage \gset
SELECT pg_sleep(0.1);

-- region 3 down: every connection to its project closed without an answer
CALL region_down('e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6', 'close');
-- error: the statement fails
CALL try('SELECT count(*) FROM estate_error');
-- skip: the other regions' rows, and a WARNING naming the server, its
-- endpoint, the call and why
SELECT region, count(dr_sync_period) AS n,
       bool_and(fetched_at >= statement_timestamp()) AS fresh
  FROM estate_skip GROUP BY region ORDER BY region;
-- stale: region 3's last rows, received before the outage (the WARNING's
-- detail says how old: not printed, it differs from run to run)
\set VERBOSITY terse
SELECT region, count(dr_sync_period) AS n,
       bool_and(fetched_at >= statement_timestamp()) AS fresh,
       bool_and(fetched_at < :'before_outage') AS from_before_outage
  FROM estate_stale GROUP BY region ORDER BY region;
SELECT dr_id, name, dr_sync_period, fetched_at < :'before_outage' AS old
  FROM ur_r3stale.disaster_recoveries ORDER BY dr_id;
-- a task named in WHERE: its detail answer was kept by the full scan
SELECT dr_id, dr_sync_period, fetched_at < :'before_outage' AS old
  FROM ur_r3stale.disaster_recoveries
 WHERE dr_id = '11111111-2222-4333-8444-555555555555';
\set VERBOSITY default
-- stale without a kept answer (show-progress was never called): as skip
SELECT count(*) FROM ur_r3stale.dr_progress;
-- a task never asked: no kept answer either
SELECT count(*) FROM ur_r3stale.disaster_recoveries
 WHERE dr_id = '00000000-0000-4000-8000-000000000000';
-- ANALYZE ignores when_unreachable: statistics of a region that is down
-- would say its tables are empty
CALL try('ANALYZE ur_r3skip.disaster_recoveries');
-- HTTP 503 (after the retry) is unreachable too; the request id differs
-- from run to run
CALL region_up('e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6');
CALL region_down('e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6', '503');
\set VERBOSITY terse
SELECT region, count(dr_sync_period) AS n FROM estate_skip GROUP BY region ORDER BY region;
SELECT region, count(dr_sync_period) AS n,
       bool_and(fetched_at < :'before_outage') AS from_before_outage
  FROM estate_stale GROUP BY region ORDER BY region;
\set VERBOSITY default
CALL try('SELECT count(*) FROM estate_error', true);

-- answers that say the configuration is wrong stay errors in every mode
CALL region_up('e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6');
CALL region_down('e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6', '401');
CALL try('SELECT count(dr_sync_period) FROM estate_skip', true);
CALL try('SELECT count(dr_sync_period) FROM estate_stale', true);
CALL region_up('e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6');
CALL region_down('e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6', '403');
CALL try('SELECT count(dr_sync_period) FROM estate_skip', true);
CALL try('SELECT count(dr_sync_period) FROM estate_stale', true);
CALL region_up('e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6');
CALL region_down('e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6', 'badjson');
CALL try('SELECT count(dr_sync_period) FROM estate_skip', true);
CALL try('SELECT count(dr_sync_period) FROM estate_stale', true);
CALL region_up('e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6');
CALL region_down('e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6', 'html');
CALL try('SELECT count(dr_sync_period) FROM estate_skip', true);
CALL region_up('e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6');

-- one call of the scan unreachable (the list and one task answer, the
-- other task does not): the whole region is left out, never part of it;
-- 'stale' serves both tasks as kept
CALL task_down('66666666-7777-4888-8999-aaaaaaaaaaaa', 'close');
SELECT region, count(dr_sync_period) AS n FROM estate_skip GROUP BY region ORDER BY region;
\set VERBOSITY terse
SELECT region, count(dr_sync_period) AS n,
       bool_and(fetched_at < :'before_outage') AS from_before_outage
  FROM estate_stale GROUP BY region ORDER BY region;
\set VERBOSITY default
CALL task_up('66666666-7777-4888-8999-aaaaaaaaaaaa');

-- up again: fresh rows, no WARNING, in every mode
SELECT region, count(dr_sync_period) AS n,
       bool_and(fetched_at >= statement_timestamp()) AS fresh
  FROM estate_error GROUP BY region ORDER BY region;
SELECT region, count(dr_sync_period) AS n,
       bool_and(fetched_at >= statement_timestamp()) AS fresh
  FROM estate_skip GROUP BY region ORDER BY region;
SELECT region, count(dr_sync_period) AS n,
       bool_and(fetched_at >= statement_timestamp()) AS fresh
  FROM estate_stale GROUP BY region ORDER BY region;

-- cache_ttl with 'stale': within the ttl a read is answered from the
-- cache (the rows keep their first time); past it, the calls are made
-- again; an answer past the ttl is still kept for an outage
SELECT clock_timestamp() AS ttl_first \gset
SELECT count(dr_sync_period) AS n, bool_and(fetched_at >= :'ttl_first') AS fresh
  FROM ur_r3ttl.disaster_recoveries;
SELECT count(dr_sync_period) AS n, bool_and(fetched_at < statement_timestamp()) AS cached
  FROM ur_r3ttl.disaster_recoveries;
SELECT pg_sleep(2.1);
SELECT count(dr_sync_period) AS n, bool_and(fetched_at >= statement_timestamp()) AS fresh
  FROM ur_r3ttl.disaster_recoveries;
SELECT clock_timestamp() AS ttl_kept \gset
SELECT pg_sleep(2.1);
CALL region_down('e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6', 'close');
\set VERBOSITY terse
SELECT count(dr_sync_period) AS n, bool_and(fetched_at < :'ttl_kept') AS kept_past_ttl
  FROM ur_r3ttl.disaster_recoveries;
\set VERBOSITY default
CALL region_up('e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6');

-- the failures are counted as usual (dwsdr_stats)
SELECT server, errors > 0 AS failed, network_errors > 0 AS network, server_errors > 0 AS server_5xx
  FROM dwsdr_stats() WHERE server IN ('ur_r3skip', 'ur_r3stale') ORDER BY server;

DROP VIEW estate_error, estate_skip, estate_stale, estate_ttl;
SET client_min_messages = warning;
DO $$
DECLARE
  s text;
BEGIN
  FOREACH s IN ARRAY ARRAY['ur_r1', 'ur_r2', 'ur_r3error', 'ur_r3skip', 'ur_r3stale', 'ur_r3ttl'] LOOP
    EXECUTE format('DROP SCHEMA %I CASCADE', s);
    EXECUTE format('DROP SERVER %I CASCADE', s);
  END LOOP;
END $$;
RESET client_min_messages;
DROP PROCEDURE region_down, region_up, task_down, task_up;
