-- Missing tasks: no row, not an error.  Ids that are not task ids (slashes,
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
-- The stand-in's other "missing" answers: 400 DWS.10101 and 404.
--
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, side FROM dr_clusters WHERE dr_id IN ('fault-missing', 'fault-404missing');
SELECT dr_id FROM disaster_recoveries WHERE dr_id IN ('fault-missing', 'fault-404missing');
SELECT dr_id FROM dr_progress WHERE dr_id IN ('fault-missing', 'fault-404missing');
SELECT dr_id, side FROM dr_clusters
 WHERE dr_id = ANY(ARRAY['fault-missing', 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6', 'fault-404missing'])
 ORDER BY dr_id, side;
-- a project without tasks, or unknown (an empty list, or 404): no rows
SELECT dr_id FROM disaster_recoveries WHERE project_id = 'no-such-project';
SELECT dr_id FROM disaster_recoveries WHERE project_id = 'fault-missing';
SELECT dr_id FROM disaster_recoveries WHERE project_id = 'fault-404missing';
SELECT dr_id FROM dr_clusters
 WHERE project_id = 'no-such-project' AND dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';

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
RESET client_min_messages;
RESET search_path;
