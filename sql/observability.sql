-- Observability: dwsdr_stats() per server (calls, errors by kind, retries,
-- bytes, time waiting on the API, cache hits) and dwsdr_stats_reset(); the
-- EXPLAIN ANALYZE figures; a backend waiting on the API seen from another
-- session in pg_stat_activity (wait_event_type 'Extension').  Also the sync
-- period as an interval (dr_sync_interval, sync_interval), its bad inputs,
-- and the lag test built on it.
\set VERBOSITY default
SET client_min_messages = warning;
-- max_retries 0: every failure is final at once
CREATE SERVER obs_dws FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931',
           project_id '0536cdee2200d5912f7cc00b877980f1', max_retries '0');
-- the default retries
CREATE SERVER obs_retry FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931',
           project_id '0536cdee2200d5912f7cc00b877980f1');
CREATE USER MAPPING FOR CURRENT_USER SERVER obs_dws
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE USER MAPPING FOR CURRENT_USER SERVER obs_retry
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA obs_s;
IMPORT FOREIGN SCHEMA dwsdr FROM SERVER obs_dws INTO obs_s;
CREATE SCHEMA obs_r;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (dr_clusters) FROM SERVER obs_retry INTO obs_r;
-- EXPLAIN (ANALYZE, FORMAT JSON, BUFFERS OFF) of a query, as json
CREATE FUNCTION obs_s.explain_json(q text) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
  j json;
BEGIN
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON, BUFFERS OFF) ' || q INTO j;
  RETURN j -> 0 -> 'Plan';
END $$;
RESET client_min_messages;
-- try(), explain_masked(), peer_conninfo(), wait_for_api(): sql/setup.sql,
-- run first
SET search_path = obs_s, public;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';

-- ---------------------------------------------------------------------
-- dwsdr_stats(): its columns, and who may call what
-- ---------------------------------------------------------------------
\df dwsdr_stats
SELECT p.proname, has_function_privilege('public', p.oid, 'EXECUTE') AS public_may_call
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE p.proname IN ('dwsdr_stats', 'dwsdr_stats_reset', 'dwsdr_cache_clear')
 ORDER BY 1;
-- a new backend has used no server yet
SELECT count(*) FROM dwsdr_stats();

-- ---------------------------------------------------------------------
-- Known queries, then the counters per server
-- ---------------------------------------------------------------------
SELECT dwsdr_stats_reset();
-- one detail call
SELECT status, progress FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
-- the list call, then five detail calls
SELECT dr_id, side, progress FROM dr_clusters ORDER BY dr_id, side;
-- a missing task: one detail call, no row, and not an error
SELECT dr_id FROM dr_clusters WHERE dr_id = 'obs-no-such-task';
-- one id asked twice in one query: one detail call and one cache hit
SELECT v.id, (SELECT d.status FROM disaster_recoveries d WHERE d.dr_id = v.id)
  FROM (VALUES ('6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a'),
               ('6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a')) AS v(id);
-- failures, one of each kind (max_retries 0: one call each)
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-500'$$, brief => true);
DO $$
BEGIN
  PERFORM status FROM obs_s.dr_clusters WHERE dr_id = 'fault-500';
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'caught: %', SQLERRM;
END $$;
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-429'$$, brief => true);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-401'$$, brief => true);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-409'$$, brief => true);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-close'$$, brief => true);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-huge-9'$$, brief => true);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-badjson'$$, brief => true);
-- through obs_retry: throttled once (HTTP 429, Retry-After: 1), then answered
SELECT dr_id, side FROM obs_r.dr_clusters WHERE dr_id = 'fault-429-once-obs1' ORDER BY side;

-- obs_dws: 1 + (1 + 5) + 1 + 1 + 8 calls: 1 list and 16 detail; 8 errors:
-- 500 twice and the bad JSON (server), 429 (throttled), 401 (auth),
-- 409 (client), the closed connection (network), the huge body (too large);
-- the missing task is no error; the repeated id is a cache hit
\x on
SELECT server, calls, list_calls, detail_calls, progress_calls, retries, errors,
       auth_errors, throttled, client_errors, server_errors, network_errors,
       too_large, bytes_received > 0 AS bytes_received, wait_ms > 0 AS waited,
       cache_hits
  FROM dwsdr_stats() ORDER BY server;
\x off
-- obs_retry: one call, one retry, no error; the wait includes the second
-- the API asked for
SELECT server, calls, retries, errors, throttled, wait_ms >= 900 AS waited_a_second
  FROM dwsdr_stats() WHERE server = 'obs_retry';
-- the progress call has its own counter
SELECT recovery_point_object FROM dr_progress WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
SELECT calls, detail_calls, progress_calls FROM dwsdr_stats() WHERE server = 'obs_dws';

-- dwsdr_stats_reset() zeroes every server's figures
SELECT dwsdr_stats_reset();
SELECT server, calls, errors, retries, bytes_received, wait_ms, cache_hits
  FROM dwsdr_stats() ORDER BY server;

-- ---------------------------------------------------------------------
-- EXPLAIN ANALYZE: the scan's own figures, the same as the server's
-- ---------------------------------------------------------------------
SELECT explain_masked($$SELECT status FROM dr_clusters
                        WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$, timing => true);
SELECT dwsdr_stats_reset();
SELECT p ->> 'DWS Requests' AS requests,
       (p ->> 'DWS Bytes Received')::bigint > 0 AS bytes_received,
       (p ->> 'DWS Bytes Received')::bigint = s.bytes_received AS same_bytes,
       abs((p ->> 'DWS Wait Time')::float8 - s.wait_ms) < 0.06 AS same_wait
  FROM explain_json($$SELECT dr_id, progress FROM dr_clusters$$) AS p,
       dwsdr_stats() AS s
 WHERE s.server = 'obs_dws';
-- TIMING OFF leaves out the bytes and the wait
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id FROM dr_clusters WHERE dr_id = 'obs-no-such-task';

-- ---------------------------------------------------------------------
-- Visible waits: a backend waiting on the API, seen from another session
-- ---------------------------------------------------------------------
SET client_min_messages = warning;
CREATE EXTENSION dblink;
RESET client_min_messages;
-- the other session: the same user (and so the same user mapping)
SELECT dblink_connect('obs_waiter', peer_conninfo('obs_waiter'));
-- stats are per backend: the other session has none yet
SELECT * FROM dblink('obs_waiter', 'SELECT count(*) FROM dwsdr_stats()') AS t(n bigint);
-- a call the stand-in answers after 3 s
SELECT dblink_send_query('obs_waiter',
  $$SELECT count(*) FROM obs_s.dr_clusters WHERE dr_id = 'fault-slow-3000'$$);
-- poll pg_stat_activity (up to 5 s) until that backend waits on the API
SELECT wait_for_api('obs_waiter') AS waits_on_api;
SELECT wait_event_type, wait_event, state, query
  FROM pg_stat_activity WHERE application_name = 'obs_waiter';
-- the answer, and the other session's figures: its wait is counted
SELECT * FROM dblink_get_result('obs_waiter') AS t(n bigint);
SELECT * FROM dblink_get_result('obs_waiter') AS t(n bigint);
SELECT * FROM dblink('obs_waiter',
  $$SELECT detail_calls, wait_ms >= 2500 FROM dwsdr_stats() WHERE server = 'obs_dws'$$)
  AS t(detail_calls bigint, waited_3s boolean);
-- once answered, the backend no longer waits on the API
SELECT pg_stat_clear_snapshot();
SELECT state, wait_event_type IS DISTINCT FROM 'Extension' AS not_waiting_on_api
  FROM pg_stat_activity WHERE application_name = 'obs_waiter';
SELECT dblink_disconnect('obs_waiter');
-- while this backend waits, it also reports the wait: its own figures
SELECT dwsdr_stats_reset();
SELECT count(*) FROM dr_clusters WHERE dr_id = 'fault-slow-300';
SELECT detail_calls, wait_ms >= 250 AS waited FROM dwsdr_stats() WHERE server = 'obs_dws';

-- ---------------------------------------------------------------------
-- The sync period as an interval
-- ---------------------------------------------------------------------
-- IMPORT adds dr_sync_interval (dr_clusters) and sync_interval
-- (disaster_recoveries) as the last column, mapped to dr_sync_period
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) AS type,
       a.attfdwoptions
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace = 'obs_s'::regnamespace
   AND c.relname IN ('dr_clusters', 'disaster_recoveries')
   AND a.attnum = (SELECT max(attnum) FROM pg_attribute b
                    WHERE b.attrelid = c.oid AND NOT b.attisdropped)
 ORDER BY 1;
-- '3H', '20m', '1d', '30m', '2H' and a task without a period (NULL), in
-- both projects
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_name, dr_sync_period, dr_sync_interval FROM dr_clusters WHERE side = 'primary';
SELECT dr_name, dr_sync_period, dr_sync_interval FROM dr_clusters
 WHERE side = 'primary'
   AND project_id IN ('0536cdee2200d5912f7cc00b877980f1', 'e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6')
 ORDER BY dr_name;
SELECT name, dr_sync_period, sync_interval, pg_typeof(sync_interval) AS type
  FROM disaster_recoveries ORDER BY name;
-- an interval compares and computes like any other
SELECT name, sync_interval * 2 AS twice, sync_interval >= interval '3 hours' AS long_period
  FROM disaster_recoveries WHERE sync_interval IS NOT NULL ORDER BY name;

-- a bad period is an error naming the value, the column and the task:
-- fault-wrongtypes answers "dr_sync_period": 20 (no unit)
CALL try($$SELECT sync_interval FROM disaster_recoveries WHERE dr_id = 'fault-wrongtypes'$$, brief => true);
SELECT sync_interval FROM disaster_recoveries WHERE dr_id = 'fault-wrongtypes';
-- the same value in a text column reads as it is
SELECT dr_sync_period FROM disaster_recoveries WHERE dr_id = 'fault-wrongtypes';
-- strict parsing is for interval columns fed from dr_sync_period, whatever
-- their name; an interval column fed from another field uses the interval
-- type's own input
CREATE FOREIGN TABLE obs_s.my_periods (
  dr_id      text,
  period     interval OPTIONS (field 'dr_sync_period'),
  pct_as_iv  interval OPTIONS (field 'primary_cluster.progress')
) SERVER obs_dws OPTIONS (resource 'disaster_recoveries');
SELECT dr_id, period, pct_as_iv FROM my_periods
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
CALL try($$SELECT period FROM my_periods WHERE dr_id = 'fault-wrongtypes'$$, brief => true);
-- other bad forms ('3h', '0m', '3001H', ' 3H', '3H ', '1.5H', '-3H', ...)
-- never come from the stand-in; test/unit/test_record.c checks them

-- the lag test: a task is lagging when its last successful sync is older
-- than two sync periods.  As of a fixed time (so the answer never changes):
SELECT dr_name, side, last_success_time, dr_sync_interval,
       timestamptz '2024-03-01 11:00:00+00' - last_success_time > 2 * dr_sync_interval AS lagging
  FROM dr_clusters
 WHERE last_success_time <= timestamptz '2024-03-01 11:00:00+00'
 ORDER BY dr_name, side;
-- and as of now(): the stand-in's syncs are all old, so every task with a
-- period and a last sync is lagging; the one being created has neither
SELECT dr_name, side, now() - last_success_time > 2 * dr_sync_interval AS lagging
  FROM dr_clusters ORDER BY dr_name, side;

-- clean up
RESET search_path;
RESET TimeZone;
RESET DateStyle;
RESET IntervalStyle;
SET client_min_messages = warning;
DROP EXTENSION dblink;
DROP SCHEMA obs_s CASCADE;
DROP SCHEMA obs_r CASCADE;
DROP SERVER obs_retry CASCADE;
-- a dropped server has no row
SELECT server FROM dwsdr_stats() ORDER BY server;
DROP SERVER obs_dws CASCADE;
SELECT server FROM dwsdr_stats() ORDER BY server;
RESET client_min_messages;
