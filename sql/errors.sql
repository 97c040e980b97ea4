-- Errors: every failure of a call is an ERROR with an errcode, naming the
-- call, with the HTTP status, error_code, error_msg and request id in the
-- detail; retries; bad bodies; limits.  The stand-in fails on purpose for
-- the magic ids "fault-..." (a task id, or a project id for the list call).
\set VERBOSITY default
SET client_min_messages = warning;
CREATE SERVER errors_srv FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931',
           project_id '0536cdee2200d5912f7cc00b877980f1', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER errors_srv
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA errors;
IMPORT FOREIGN SCHEMA dwsdr FROM SERVER errors_srv INTO errors;
RESET client_min_messages;
-- try(): sql/setup.sql, run first
SET search_path = errors, public;

--
-- HTTP errors of the detail call.
--
EXPLAIN (VERBOSE, COSTS OFF) SELECT status FROM dr_clusters WHERE dr_id = 'fault-500';
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-500'$$);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-502'$$);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-503'$$);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-504'$$);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-html502'$$);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-429'$$);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-403'$$);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-401'$$);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-400'$$);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-409'$$);
-- the same on the other tables
CALL try($$SELECT name FROM disaster_recoveries WHERE dr_id = 'fault-500'$$);
CALL try($$SELECT recovery_point_object FROM dr_progress WHERE dr_id = 'fault-403'$$);

--
-- HTTP errors of the list call (a magic project id).
--
EXPLAIN (VERBOSE, COSTS OFF) SELECT dr_id FROM disaster_recoveries WHERE project_id = 'fault-500';
CALL try($$SELECT dr_id FROM disaster_recoveries WHERE project_id = 'fault-500'$$);
CALL try($$SELECT dr_id FROM disaster_recoveries WHERE project_id = 'fault-403'$$);
CALL try($$SELECT dr_id FROM disaster_recoveries WHERE project_id = 'fault-401'$$);
CALL try($$SELECT dr_id FROM dr_clusters WHERE project_id = 'fault-429'$$);
CALL try($$SELECT dr_id FROM dr_progress WHERE project_id = 'fault-503'$$);

--
-- A failure of any call fails the whole query: never a partial answer.
--
CALL try($$SELECT status FROM dr_clusters
  WHERE dr_id IN ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6', 'fault-500')$$);
CALL try($$SELECT status FROM dr_clusters
  WHERE dr_id = ANY(ARRAY['6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a', 'no-such-task', 'fault-403'])$$);
CALL try($$SELECT dr_id FROM disaster_recoveries
  WHERE project_id IN ('0536cdee2200d5912f7cc00b877980f1', 'fault-500')$$);

--
-- Answers that are not what they should be.
--
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-badjson'$$);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-html'$$);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-200error'$$);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-notobject'$$);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-deep'$$);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-truncated'$$);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-close'$$);
CALL try($$SELECT latest_barrier_time FROM dr_progress WHERE dr_id = 'fault-badjson'$$);
CALL try($$SELECT latest_barrier_time FROM dr_progress WHERE dr_id = 'fault-200error'$$);
CALL try($$SELECT dr_id FROM disaster_recoveries WHERE project_id = 'fault-badjson'$$);
CALL try($$SELECT dr_id FROM disaster_recoveries WHERE project_id = 'fault-html'$$);
CALL try($$SELECT dr_id FROM disaster_recoveries WHERE project_id = 'fault-200error'$$);
CALL try($$SELECT dr_id FROM disaster_recoveries WHERE project_id = 'fault-notobject'$$);
CALL try($$SELECT dr_id FROM disaster_recoveries WHERE project_id = 'fault-close'$$);
-- a cluster that is not an object
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-wrongtypes'$$);
-- values of the wrong JSON type: text columns read numbers, booleans,
-- arrays and objects as their JSON text; other types convert from that
-- text, or fail naming the table, column, task and value
CREATE FOREIGN TABLE errors_wrongtypes_text (
  dr_id text, name text, status text, dr_type text, dr_sync_period text,
  standby_id text, standby_role text, standby_region text, standby_progress numeric,
  standby_name text
) SERVER errors_srv OPTIONS (resource 'disaster_recoveries');
SELECT * FROM errors_wrongtypes_text WHERE dr_id = 'fault-wrongtypes';
CREATE FOREIGN TABLE errors_wrongtypes_time (dr_id text, standby_last_success_time timestamptz)
  SERVER errors_srv OPTIONS (resource 'disaster_recoveries');
SELECT * FROM errors_wrongtypes_time WHERE dr_id = 'fault-wrongtypes';
CREATE FOREIGN TABLE errors_wrongtypes_time2 (dr_id text, create_time timestamptz)
  SERVER errors_srv OPTIONS (resource 'disaster_recoveries');
SELECT * FROM errors_wrongtypes_time2 WHERE dr_id = 'fault-wrongtypes';
CREATE FOREIGN TABLE errors_wrongtypes_progress (dr_id text, last_recovery_spend int)
  SERVER errors_srv OPTIONS (resource 'dr_progress');
SELECT * FROM errors_wrongtypes_progress WHERE dr_id = 'fault-wrongtypes';
CREATE FOREIGN TABLE errors_wrongtypes_int (dr_id text, progress int OPTIONS (field 'standby_cluster.progress'))
  SERVER errors_srv OPTIONS (resource 'disaster_recoveries');
SELECT * FROM errors_wrongtypes_int WHERE dr_id = 'fault-wrongtypes';
-- a gzip answer is fine
SELECT dr_id, side, status FROM dr_clusters WHERE dr_id = 'fault-gzip' ORDER BY side;
SELECT dr_id, name FROM disaster_recoveries WHERE project_id = 'fault-gzip';

--
-- Limits: the size of an answer, the time of an attempt.
--
ALTER SERVER errors_srv OPTIONS (ADD max_response_bytes '100000');
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-huge-1'$$);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-gzipbomb-1'$$);
CALL try($$SELECT dr_id FROM disaster_recoveries WHERE project_id = 'fault-huge-1'$$);
-- a normal answer is far below the limit
SELECT side, status FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' ORDER BY side;
ALTER SERVER errors_srv OPTIONS (DROP max_response_bytes, ADD timeout_ms '300');
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-slow-5000'$$);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-slowbody-5000'$$);
ALTER SERVER errors_srv OPTIONS (DROP timeout_ms);
-- nothing listens there
ALTER SERVER errors_srv OPTIONS (SET endpoint 'http://127.0.0.1:1');
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$);
ALTER SERVER errors_srv OPTIONS (SET endpoint 'http://127.0.0.1:18931');

--
-- Retries: 429 and 5xx are retried (Retry-After is obeyed), 4xx are not.
--
ALTER SERVER errors_srv OPTIONS (SET max_retries '2');
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-500'$$);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-403'$$);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-401'$$);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-badjson'$$);
-- a 503 (Retry-After: 1) once, then the answer: one retry, no error; the
-- ids are fresh each run, so the stand-in fails them once every time
SELECT 'fault-503-once-' || md5(random()::text) AS id_503,
       'fault-429-once-' || md5(random()::text) AS id_429,
       'fault-close-once-' || md5(random()::text) AS id_close \gset
SET plan_cache_mode = force_generic_plan;
PREPARE errors_one(text) AS SELECT side, status FROM dr_clusters WHERE dr_id = $1;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF) EXECUTE errors_one(:'id_503');
EXECUTE errors_one(:'id_503');
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF) EXECUTE errors_one(:'id_429');
-- a connection closed without an answer, once (libcurl may retry this
-- one itself on a reused connection, so only the answer is shown)
EXECUTE errors_one(:'id_close');
RESET plan_cache_mode;
-- a Retry-After longer than max_retry_time_ms leaves: one attempt, at once
ALTER SERVER errors_srv OPTIONS (ADD max_retry_time_ms '500');
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-429'$$);
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-503'$$);
-- Retry-After as an HTTP date (2 s ahead) is read too: past the limit, one
-- attempt; within it, a wait, one retry and the answer
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-503date'$$);
ALTER SERVER errors_srv OPTIONS (SET max_retry_time_ms '10s');
SELECT 'fault-503date-once-' || md5(random()::text) AS id_date \gset
SET plan_cache_mode = force_generic_plan;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF) EXECUTE errors_one(:'id_date');
RESET plan_cache_mode;

--
-- Columns a query does not use are not converted: a bad value there does
-- not fail it (a table with only the used columns gives the same answer).
--
SELECT dr_id, name, status FROM errors_wrongtypes_text WHERE dr_id = 'fault-wrongtypes';
SELECT dr_id, name, status FROM disaster_recoveries WHERE dr_id = 'fault-wrongtypes';
SELECT dr_id FROM errors_wrongtypes_text WHERE dr_id = 'fault-wrongtypes';
SELECT dr_id FROM errors_wrongtypes_time WHERE dr_id = 'fault-wrongtypes';
SELECT dr_id, last_recovery_spend FROM errors_wrongtypes_progress WHERE dr_id = 'fault-wrongtypes';
SELECT dr_id, last_recovery_spend FROM dr_progress WHERE dr_id = 'fault-wrongtypes';

SET client_min_messages = warning;
DEALLOCATE errors_one;
DROP SCHEMA errors CASCADE;
DROP SERVER errors_srv CASCADE;
RESET client_min_messages;
RESET search_path;
