-- Missing tasks: no row, not an error.  "Missing" is the API's DWS.10101
-- on a per-task call (HTTP 400, or 404); any other 404 is an error, and so
-- is an endpoint that is not the DWS API.  Ids that are not task ids (slashes,
-- dots, escapes, blanks, unicode, NULL) never make the FDW request another
-- path: each is one escaped path segment, or no call at all.
\set VERBOSITY default
SET client_min_messages = warning;
CREATE SERVER missing_srv FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931',
           project_id '0536cdee2200d5912f7cc00b877980f1', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER missing_srv
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA missing;
IMPORT FOREIGN SCHEMA dwsdr FROM SERVER missing_srv INTO missing;
RESET client_min_messages;
SET search_path = missing, public;

--
-- A task that does not exist (the API answers 400 DWS.10101): no row.
--
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, side FROM dr_clusters WHERE dr_id = 'no-such-task';
SELECT dr_id, side FROM dr_clusters WHERE dr_id = 'no-such-task';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, name FROM disaster_recoveries WHERE dr_id = 'no-such-task';
SELECT dr_id, name FROM disaster_recoveries WHERE dr_id = 'no-such-task';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, latest_barrier_time FROM dr_progress WHERE dr_id = 'no-such-task';
SELECT dr_id, latest_barrier_time FROM dr_progress WHERE dr_id = 'no-such-task';
-- ids are case-sensitive
SELECT dr_id FROM disaster_recoveries WHERE dr_id = 'B303B78D-438C-41DD-AAF6-C98EEA1FC2A6';
-- a column only the list call has: the list (filtered by id) has no item
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, last_disaster_time FROM disaster_recoveries WHERE dr_id = 'no-such-task';
SELECT dr_id, last_disaster_time FROM disaster_recoveries WHERE dr_id = 'no-such-task';
-- both calls: the list has no item, so no detail call either
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, last_disaster_time, primary_az FROM disaster_recoveries WHERE dr_id = 'no-such-task';

--
-- Missing ids among existing ones: the rows of those that exist.
--
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, side FROM dr_clusters
 WHERE dr_id IN ('no-such-task', 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6', 'other-missing');
SELECT dr_id, side FROM dr_clusters
 WHERE dr_id IN ('no-such-task', 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6', 'other-missing')
 ORDER BY dr_id, side;
SELECT dr_id, name FROM disaster_recoveries
 WHERE dr_id = ANY(ARRAY['6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a', 'no-such-task',
                         'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f', 'no-such-task'])
 ORDER BY dr_id;
SELECT dr_id, recovery_point_object FROM dr_progress
 WHERE dr_id IN ('no-such-task', '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d')
 ORDER BY dr_id;
-- through the list (more than one id: the whole list, filtered here)
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, last_disaster_time FROM disaster_recoveries
 WHERE dr_id IN ('no-such-task', '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a');
SELECT dr_id, last_disaster_time FROM disaster_recoveries
 WHERE dr_id IN ('no-such-task', '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a')
 ORDER BY dr_id;
-- from PL/pgSQL, one id at a time
DO $$
DECLARE
  id text;
  n int;
BEGIN
  FOREACH id IN ARRAY ARRAY['b303b78d-438c-41dd-aaf6-c98eea1fc2a6', 'no-such-task',
                            'f0e1d2c3-b4a5-4968-8776-655443322110'] LOOP
    SELECT count(*) INTO n FROM dr_clusters WHERE dr_id = id;
    RAISE NOTICE '% -> % rows', id, n;
  END LOOP;
END $$;

--
-- The stand-in's other "missing" answers: 400 DWS.10101, and DWS.10101 on
-- a 404.
--
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, side FROM dr_clusters WHERE dr_id IN ('fault-missing', 'fault-404missing');
SELECT dr_id FROM disaster_recoveries WHERE dr_id IN ('fault-missing', 'fault-404missing');
SELECT dr_id FROM dr_progress WHERE dr_id IN ('fault-missing', 'fault-404missing');
SELECT dr_id, side FROM dr_clusters
 WHERE dr_id = ANY(ARRAY['fault-missing', 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6', 'fault-404missing'])
 ORDER BY dr_id, side;
-- a project without tasks, or unknown (an empty list): no rows
SELECT dr_id FROM disaster_recoveries WHERE project_id = 'no-such-project';
SELECT dr_id FROM disaster_recoveries WHERE project_id = 'fault-missing';
SELECT dr_id FROM dr_clusters
 WHERE project_id = 'no-such-project' AND dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
-- the list call has no "missing" answer: any 404 is an error (1.1.0 read a
-- 404 that was not the gateway's as no rows), DWS.10101 or not
CALL try($$SELECT dr_id FROM disaster_recoveries WHERE project_id = 'fault-404missing'$$);
CALL try($$SELECT dr_id FROM disaster_recoveries WHERE project_id = 'fault-404dws'$$);

--
-- Any other 404 of a per-task call is an error, not "no row" (1.1.0 read it
-- as no row): another DWS error code on a 404 is the API's error; a 404
-- without a DWS error body (an HTML page) is not the DWS API, and its hint
-- says so.
--
CALL try($$SELECT dr_id FROM disaster_recoveries WHERE dr_id = 'fault-404dws'$$);
CALL try($$SELECT dr_id FROM disaster_recoveries WHERE dr_id = 'fault-404html'$$);
CALL try($$SELECT dr_id FROM dr_progress WHERE dr_id = 'fault-404html'$$);
CALL try($$SELECT count(*) FROM disaster_recoveries WHERE project_id = 'fault-404html'$$);
-- a good id beside it: still an error, never a partial answer
CALL try($$SELECT dr_id FROM dr_clusters
 WHERE dr_id IN ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6', 'fault-404html')$$);

--
-- An endpoint that is an ordinary web server (the stand-in's /__www prefix
-- answers every path with an HTML 404, as python3 -m http.server does):
-- every query is an error, never zero rows, and dwsdr_stats() counts each.
--
SET client_min_messages = warning;
CREATE SERVER missing_www FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931/__www',
           project_id '0536cdee2200d5912f7cc00b877980f1', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER missing_www
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA missing_www;
IMPORT FOREIGN SCHEMA dwsdr FROM SERVER missing_www INTO missing_www;
RESET client_min_messages;
SELECT dwsdr_stats_reset();
CALL try($$SELECT count(*) FROM missing_www.disaster_recoveries$$);
CALL try($$SELECT dr_id, primary_az FROM missing_www.disaster_recoveries$$);
CALL try($$SELECT dr_id FROM missing_www.disaster_recoveries
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$);
CALL try($$SELECT dr_id FROM missing_www.dr_clusters
 WHERE dr_id = 'no-such-task'$$, brief => true);
CALL try($$SELECT dr_id FROM missing_www.dr_progress
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$, brief => true);
SELECT list_calls, detail_calls, progress_calls, errors, client_errors
  FROM dwsdr_stats() WHERE server = 'missing_www';

--
-- An API that ignores the list call's ?id= filter (older versions do; the
-- stand-in's /__legacy prefix): the list call made for one id returns the
-- whole project, and the scan still gives only the task asked for (it
-- checks each item's id; the plan does not re-check dr_id).
--
SET client_min_messages = warning;
CREATE SERVER missing_legacy FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931/__legacy',
           project_id '0536cdee2200d5912f7cc00b877980f1', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER missing_legacy
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA missing_legacy;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (disaster_recoveries)
  FROM SERVER missing_legacy INTO missing_legacy;
RESET client_min_messages;
CREATE VIEW missing_legacy.calls AS
  SELECT list_calls, detail_calls, errors FROM dwsdr_stats()
   WHERE server = 'missing_legacy';
EXPLAIN (COSTS OFF)
SELECT dr_id, name, last_disaster_time FROM missing_legacy.disaster_recoveries
 WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
SELECT dr_id, name, last_disaster_time FROM missing_legacy.disaster_recoveries
 WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
SELECT count(*) FROM missing_legacy.disaster_recoveries
 WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a' AND last_disaster_time IS NOT NULL;
SELECT * FROM missing_legacy.calls;
-- with a detail column too: the list, then one detail call (not five)
EXPLAIN (COSTS OFF)
SELECT dr_id, primary_name, primary_project_id, primary_az
  FROM missing_legacy.disaster_recoveries
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
SELECT dr_id, primary_name, primary_project_id, primary_az
  FROM missing_legacy.disaster_recoveries
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
SELECT * FROM missing_legacy.calls;
-- a task that does not exist: the whole list comes back, no row
SELECT dr_id FROM missing_legacy.disaster_recoveries
 WHERE dr_id = 'no-such-task' AND last_disaster_time IS NULL;

--
-- Ids that are no task id: one call each, for that exact id, and no row.
--
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id FROM dr_clusters WHERE dr_id = 'a/b';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id FROM dr_clusters WHERE dr_id = 'tâche 日本';
SELECT dr_id FROM dr_clusters
 WHERE dr_id IN ('', ' ', 'a b', 'a/b', '/', '//', 'a%2Fb', '%2F', '%', '?', '#', 'a?b=c',
                 'a#b', '.', '..', '../..', '%2E%2E', 'tâche 日本', E'a\nb', E'a\tb', '+', '\');
-- a value that, used as a path instead of one segment, would be the list
-- call (an answer without a "disaster_recovery" object: an error)
SELECT dr_id FROM dr_clusters WHERE dr_id = 'a/../../disaster-recoveries';
SELECT dr_id FROM dr_progress WHERE dr_id = '../../disaster-recoveries';
-- or another task's detail
SELECT dr_id FROM disaster_recoveries
 WHERE dr_id = '../../0536cdee2200d5912f7cc00b877980f1/disaster-recovery/b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
-- the same for project ids
SELECT dr_id FROM disaster_recoveries WHERE project_id = '../0536cdee2200d5912f7cc00b877980f1';
SELECT dr_id FROM disaster_recoveries
 WHERE project_id = 'x/../0536cdee2200d5912f7cc00b877980f1'
   AND dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
-- a project id with control characters names no project: no call (and
-- nothing of it reaches the X-Project-Id header, where it would add headers)
SELECT dr_id FROM disaster_recoveries
 WHERE project_id = E'0536cdee2200d5912f7cc00b877980f1\r\nX-Injected: 1';
SELECT dr_id FROM disaster_recoveries WHERE project_id = E'fault-gzip-once-a\nb';
SELECT dr_id FROM dr_clusters
 WHERE project_id = E'fault-gzip-once-a\r\nb' AND dr_id = 'fault-gzip-once-a';
-- an id made of characters that need escaping reaches the stand-in intact:
-- it answers a task with exactly that id (a "fault-gzip-once-..." id is a
-- valid task there)
SELECT dr_id, side, cluster_name FROM dr_clusters
 WHERE dr_id = 'fault-gzip-once-a b?c=d&e#f%2Fg+h;日本..' ORDER BY side;
SELECT project_id, dr_id, name, primary_az FROM disaster_recoveries
 WHERE project_id = 'fault-gzip-once-p q?r=s&t#u%2Fv+w;..';
-- in the list call's query string too
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, last_disaster_time FROM disaster_recoveries
 WHERE project_id = 'fault-gzip-once-q r?s=t&id=u#v%2Fw+x;..'
   AND dr_id = 'fault-gzip-once-q r?s=t&id=u#v%2Fw+x;..';
SELECT dr_id, name, last_disaster_time FROM disaster_recoveries
 WHERE project_id = 'fault-gzip-once-q r?s=t&id=u#v%2Fw+x;..'
   AND dr_id = 'fault-gzip-once-q r?s=t&id=u#v%2Fw+x;..';

--
-- Dot segments: "." and ".." are escaped too, never resolved.  Seen through
-- an endpoint with a path: if ".." were resolved, project ".." would reach
-- the real list and detail calls of the project of the endpoint's path and
-- return its tasks.  Escaped, the path names no API: the gateway's 404
-- (APIGW.0101) is an error, not an empty answer.
--
CREATE SERVER missing_dots FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931/v2/0536cdee2200d5912f7cc00b877980f1',
           project_id 'x', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER missing_dots
  OPTIONS (auth_token 'demo-iam-token-0003');
CREATE FOREIGN TABLE missing_dots_tasks (project_id text, dr_id text, name text)
  SERVER missing_dots OPTIONS (resource 'disaster_recoveries');
\set VERBOSITY terse
SELECT project_id, dr_id, name FROM missing_dots_tasks WHERE project_id = '..' ORDER BY dr_id;
SELECT project_id, dr_id, name FROM missing_dots_tasks
 WHERE project_id = '..' AND dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
SELECT project_id, dr_id, name FROM missing_dots_tasks
 WHERE project_id = '.' AND dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
\set VERBOSITY default

--
-- NULL ids (and empty arrays) name no task: no call at all.
--
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id FROM dr_clusters WHERE dr_id = NULL;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id FROM dr_clusters WHERE dr_id = ANY(ARRAY[NULL, NULL]::text[]);
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id FROM dr_clusters WHERE dr_id = ANY('{}'::text[]);
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id FROM dr_clusters WHERE dr_id IN (NULL, 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6', NULL);
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id FROM dr_progress WHERE project_id = ANY(ARRAY[NULL]::text[]);
SET plan_cache_mode = force_generic_plan;
PREPARE missing_one(text) AS SELECT dr_id, side FROM dr_clusters WHERE dr_id = $1;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF) EXECUTE missing_one(NULL);
EXECUTE missing_one(NULL);
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF) EXECUTE missing_one('no-such-task');
EXECUTE missing_one('no-such-task');
RESET plan_cache_mode;
-- each distinct id is asked once
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id FROM dr_clusters
 WHERE dr_id IN ('no-such-task', 'no-such-task', 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6',
                 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6');

SET client_min_messages = warning;
DEALLOCATE missing_one;
DROP SCHEMA missing CASCADE;
DROP SERVER missing_srv CASCADE;
DROP SERVER missing_dots CASCADE;
DROP SCHEMA missing_www CASCADE;
DROP SERVER missing_www CASCADE;
DROP SCHEMA missing_legacy CASCADE;
DROP SERVER missing_legacy CASCADE;
RESET client_min_messages;
RESET search_path;
