-- Pushdown: which WHERE clauses turn into which calls, and that every
-- clause is still checked locally.
-- "DWS Calls" (EXPLAIN) says what the scan plans to ask; "DWS Requests"
-- (EXPLAIN ANALYZE) counts what it actually asked.
SET client_min_messages = warning;
CREATE SERVER pushdown_dws FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931', project_id '0536cdee2200d5912f7cc00b877980f1');
CREATE USER MAPPING FOR CURRENT_USER SERVER pushdown_dws
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA pushdown;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (dr_clusters, disaster_recoveries)
  FROM SERVER pushdown_dws INTO pushdown;
RESET client_min_messages;
SET search_path = pushdown, public;

-- ---------------------------------------------------------------------
-- dr_id = 'const': one detail call, no list call
-- ---------------------------------------------------------------------
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, side, status, progress FROM dr_clusters
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' ORDER BY side;
SELECT dr_id, side, status, progress FROM dr_clusters
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' ORDER BY side;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, side, status, progress FROM dr_clusters
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';

-- the constant on the left works the same
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, name FROM disaster_recoveries
 WHERE '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a' = dr_id;
SELECT dr_id, name FROM disaster_recoveries
 WHERE '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a' = dr_id;

-- an id that does not exist: one detail call, no row
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id FROM disaster_recoveries
 WHERE dr_id = '00000000-dead-4bee-8fff-000000000000';

-- ---------------------------------------------------------------------
-- IN (...) and = ANY(...): one detail call per distinct id
-- ---------------------------------------------------------------------
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, name, status FROM disaster_recoveries
 WHERE dr_id IN ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6',
                 '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
                 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6')
 ORDER BY dr_id;
SELECT dr_id, name, status FROM disaster_recoveries
 WHERE dr_id IN ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6',
                 '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
                 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6')
 ORDER BY dr_id;
-- three values, two distinct ids: two detail calls
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, name, status FROM disaster_recoveries
 WHERE dr_id IN ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6',
                 '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d',
                 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6');

-- = ANY(ARRAY[...]), with an id that does not exist and a NULL
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, side, cluster_name FROM dr_clusters
 WHERE dr_id = ANY(ARRAY['c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f',
                         '00000000-dead-4bee-8fff-000000000000',
                         NULL,
                         'f0e1d2c3-b4a5-4968-8776-655443322110'])
 ORDER BY dr_id, side;
SELECT dr_id, side, cluster_name FROM dr_clusters
 WHERE dr_id = ANY(ARRAY['c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f',
                         '00000000-dead-4bee-8fff-000000000000',
                         NULL,
                         'f0e1d2c3-b4a5-4968-8776-655443322110'])
 ORDER BY dr_id, side;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, side, cluster_name FROM dr_clusters
 WHERE dr_id = ANY(ARRAY['c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f',
                         '00000000-dead-4bee-8fff-000000000000',
                         NULL,
                         'f0e1d2c3-b4a5-4968-8776-655443322110']);

-- = ANY('{...}'::text[])
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, dr_sync_period FROM disaster_recoveries
 WHERE dr_id = ANY('{6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a,c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f}'::text[])
 ORDER BY dr_id;
SELECT dr_id, dr_sync_period FROM disaster_recoveries
 WHERE dr_id = ANY('{6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a,c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f}'::text[])
 ORDER BY dr_id;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, dr_sync_period FROM disaster_recoveries
 WHERE dr_id = ANY('{6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a,c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f}'::text[]);

-- ---------------------------------------------------------------------
-- parameters: prepared statements, generic plans, PL/pgSQL
-- ---------------------------------------------------------------------
PREPARE q(text) AS
  SELECT dr_id, side, status, progress FROM dr_clusters WHERE dr_id = $1 ORDER BY side;
EXECUTE q('b303b78d-438c-41dd-aaf6-c98eea1fc2a6');
EXECUTE q('6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a');
EXECUTE q('9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d');
EXECUTE q('00000000-dead-4bee-8fff-000000000000');
EXECUTE q(NULL);
EXECUTE q('c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f');
-- the seventh execution may use a generic plan; the answer is the same
EXECUTE q('b303b78d-438c-41dd-aaf6-c98eea1fc2a6');
-- a generic plan: the parameter is evaluated at execution, one detail call
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE q('b303b78d-438c-41dd-aaf6-c98eea1fc2a6');
EXECUTE q('6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a');
EXECUTE q('00000000-dead-4bee-8fff-000000000000');
-- custom plans say the same
SET plan_cache_mode = force_custom_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE q('b303b78d-438c-41dd-aaf6-c98eea1fc2a6');
RESET plan_cache_mode;
DEALLOCATE q;
-- the calls of a generic plan (a statement without ORDER BY, so that
-- EXPLAIN ANALYZE shows no sort)
PREPARE qn(text) AS SELECT dr_id, side, status FROM dr_clusters WHERE dr_id = $1;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
EXECUTE qn('6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a');
-- a NULL parameter: no call at all
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
EXECUTE qn(NULL);
RESET plan_cache_mode;
DEALLOCATE qn;

-- dr_id = ANY($1) with a text[] parameter: the number of ids is unknown
-- when planning
PREPARE qa(text[]) AS
  SELECT dr_id, name FROM disaster_recoveries WHERE dr_id = ANY($1) ORDER BY dr_id;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF)
EXECUTE qa('{b303b78d-438c-41dd-aaf6-c98eea1fc2a6,9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d}');
EXECUTE qa('{b303b78d-438c-41dd-aaf6-c98eea1fc2a6,9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d}');
EXECUTE qa('{b303b78d-438c-41dd-aaf6-c98eea1fc2a6,9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d,b303b78d-438c-41dd-aaf6-c98eea1fc2a6,NULL}');
EXECUTE qa('{}');
EXECUTE qa(NULL);
RESET plan_cache_mode;
DEALLOCATE qa;
PREPARE qan(text[]) AS
  SELECT dr_id, name FROM disaster_recoveries WHERE dr_id = ANY($1);
SET plan_cache_mode = force_generic_plan;
-- three values, two distinct ids: two detail calls
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
EXECUTE qan('{b303b78d-438c-41dd-aaf6-c98eea1fc2a6,9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d,b303b78d-438c-41dd-aaf6-c98eea1fc2a6}');
-- an empty array: no call
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
EXECUTE qan('{}');
RESET plan_cache_mode;
DEALLOCATE qan;

-- PL/pgSQL: a variable is a parameter
CREATE FUNCTION pushdown_status(id text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  v text := id;
  s text;
BEGIN
  SELECT status INTO s FROM disaster_recoveries WHERE dr_id = v;
  RETURN coalesce(s, '(none)');
END $$;
SELECT pushdown_status('b303b78d-438c-41dd-aaf6-c98eea1fc2a6') AS published,
       pushdown_status('9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d') AS abnormal,
       pushdown_status('00000000-dead-4bee-8fff-000000000000') AS missing;
-- more than five calls: PL/pgSQL may switch to a generic plan
SELECT n, pushdown_status(CASE n % 3
                            WHEN 0 THEN 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'
                            WHEN 1 THEN '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a'
                            ELSE 'f0e1d2c3-b4a5-4968-8776-655443322110' END) AS status
  FROM generate_series(1, 8) AS n ORDER BY n;
-- the calls made inside the function, for a variable: one detail call
CREATE FUNCTION pushdown_explain(id text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
  v text := id;
  line text;
BEGIN
  FOR line IN EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
      SELECT status FROM disaster_recoveries WHERE dr_id = v
  LOOP
    RETURN NEXT line;
  END LOOP;
END $$;
SELECT * FROM pushdown_explain('6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a');

-- ---------------------------------------------------------------------
-- no dr_id condition: the list call, then detail only when a column needs it
-- ---------------------------------------------------------------------
-- list-call columns only: the list call alone
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, status FROM disaster_recoveries ORDER BY dr_id;
SELECT dr_id, status FROM disaster_recoveries ORDER BY dr_id;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, status FROM disaster_recoveries;

-- dr_sync_period comes only from the detail call: list, then detail per task
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, dr_sync_period FROM disaster_recoveries ORDER BY dr_id;
SELECT dr_id, dr_sync_period FROM disaster_recoveries ORDER BY dr_id;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, dr_sync_period FROM disaster_recoveries;

-- a detail-only column used only in WHERE also needs the detail call
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id FROM disaster_recoveries WHERE primary_progress < 50 ORDER BY dr_id;
SELECT dr_id FROM disaster_recoveries WHERE primary_progress < 50 ORDER BY dr_id;

-- dr_clusters with list columns only: one list call, one row per cluster
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, side, cluster_name, role, status FROM dr_clusters ORDER BY dr_id, side;
SELECT dr_id, side, cluster_name, role, status FROM dr_clusters ORDER BY dr_id, side;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, side, cluster_name, role, status FROM dr_clusters;

-- count(*) needs no column: the list call alone
EXPLAIN (VERBOSE, COSTS OFF)
SELECT count(*) FROM disaster_recoveries;
SELECT count(*) FROM disaster_recoveries;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT count(*) FROM disaster_recoveries;

-- ---------------------------------------------------------------------
-- a list-only column with a dr_id: the list call (filtered by id), no detail
-- ---------------------------------------------------------------------
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, last_disaster_time FROM disaster_recoveries
 WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
SELECT dr_id, last_disaster_time FROM disaster_recoveries
 WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, last_disaster_time FROM disaster_recoveries
 WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
-- several ids: still one list call, filtered locally
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, last_disaster_time, primary_project_id FROM disaster_recoveries
 WHERE dr_id IN ('6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a',
                 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6');
SELECT dr_id, last_disaster_time, primary_project_id FROM disaster_recoveries
 WHERE dr_id IN ('6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a',
                 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6')
 ORDER BY dr_id;
-- a list-only and a detail-only column: list, then detail for the ids
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, last_disaster_time, dr_sync_period, primary_az FROM disaster_recoveries
 WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
SELECT dr_id, last_disaster_time, dr_sync_period, primary_az FROM disaster_recoveries
 WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, last_disaster_time, dr_sync_period, primary_az FROM disaster_recoveries
 WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';

-- ---------------------------------------------------------------------
-- project_id routes the calls to that project
-- ---------------------------------------------------------------------
EXPLAIN (VERBOSE, COSTS OFF)
SELECT project_id, dr_id, name, status FROM disaster_recoveries
 WHERE project_id = 'e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6' ORDER BY dr_id;
SELECT project_id, dr_id, name, status FROM disaster_recoveries
 WHERE project_id = 'e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6' ORDER BY dr_id;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT project_id, dr_id, name, status FROM disaster_recoveries
 WHERE project_id = 'e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6';
-- both projects: one list call each
EXPLAIN (VERBOSE, COSTS OFF)
SELECT project_id, dr_id, name FROM disaster_recoveries
 WHERE project_id IN ('e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6', '0536cdee2200d5912f7cc00b877980f1')
 ORDER BY project_id, dr_id;
SELECT project_id, dr_id, name FROM disaster_recoveries
 WHERE project_id IN ('e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6', '0536cdee2200d5912f7cc00b877980f1')
 ORDER BY project_id, dr_id;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT project_id, dr_id, name FROM disaster_recoveries
 WHERE project_id IN ('e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6', '0536cdee2200d5912f7cc00b877980f1');
-- project and id together: one detail call in that project
EXPLAIN (VERBOSE, COSTS OFF)
SELECT project_id, dr_id, side, cluster_az, progress FROM dr_clusters
 WHERE project_id = 'e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6'
   AND dr_id = '66666666-7777-4888-8999-aaaaaaaaaaaa' ORDER BY side;
SELECT project_id, dr_id, side, cluster_az, progress FROM dr_clusters
 WHERE project_id = 'e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6'
   AND dr_id = '66666666-7777-4888-8999-aaaaaaaaaaaa' ORDER BY side;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT project_id, dr_id, side, cluster_az, progress FROM dr_clusters
 WHERE project_id = 'e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6'
   AND dr_id = '66666666-7777-4888-8999-aaaaaaaaaaaa';
-- that task is not in the server's default project: no row there
SELECT dr_id FROM disaster_recoveries WHERE dr_id = '66666666-7777-4888-8999-aaaaaaaaaaaa';
-- an id of each project, asked in both projects: one detail call per
-- (project, id); each task found in its own project only
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT project_id, dr_id FROM disaster_recoveries
 WHERE project_id IN ('e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6', '0536cdee2200d5912f7cc00b877980f1')
   AND dr_id IN ('11111111-2222-4333-8444-555555555555', 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6');
SELECT project_id, dr_id FROM disaster_recoveries
 WHERE project_id IN ('e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6', '0536cdee2200d5912f7cc00b877980f1')
   AND dr_id IN ('11111111-2222-4333-8444-555555555555', 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6')
 ORDER BY project_id, dr_id;

-- ---------------------------------------------------------------------
-- every clause is still checked locally
-- ---------------------------------------------------------------------
-- the id is pushed, status is a filter: no row
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, status FROM disaster_recoveries
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' AND status = 'nope';
SELECT dr_id, status FROM disaster_recoveries
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' AND status = 'nope';
-- an id and an IN list without it: the id is asked, the IN list rejects it
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id FROM disaster_recoveries
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'
   AND dr_id IN ('9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a');
SELECT dr_id FROM disaster_recoveries
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'
   AND dr_id IN ('9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a');
-- an id and an IN list: the id is asked, the IN list still filters
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id FROM disaster_recoveries
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'
   AND dr_id IN ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6', '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d');
SELECT dr_id FROM disaster_recoveries
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'
   AND dr_id IN ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6', '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d');
-- OR is not pushed: a full scan, filtered locally, still right
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, status FROM disaster_recoveries
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' OR status = 'abnormal'
 ORDER BY dr_id;
SELECT dr_id, status FROM disaster_recoveries
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' OR status = 'abnormal'
 ORDER BY dr_id;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, status FROM disaster_recoveries
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' OR status = 'abnormal';
-- ids ORed: not pushed, a full scan, still right
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id FROM disaster_recoveries
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' OR dr_id = 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f'
 ORDER BY dr_id;
SELECT dr_id FROM disaster_recoveries
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' OR dr_id = 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f'
 ORDER BY dr_id;
-- NOT IN and <> are not pushed either
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id FROM disaster_recoveries
 WHERE dr_id NOT IN ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6') AND dr_id <> '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d'
 ORDER BY dr_id;
SELECT dr_id FROM disaster_recoveries
 WHERE dr_id NOT IN ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6') AND dr_id <> '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d'
 ORDER BY dr_id;
-- dr_clusters: the id is pushed, the cluster-level condition filters rows
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, side, role FROM dr_clusters
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' AND side = 'standby';
SELECT dr_id, side, role FROM dr_clusters
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' AND side = 'standby';
-- a condition on a detail-only column with a list-only one: list, then
-- detail, and both conditions checked on the merged record
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id FROM disaster_recoveries
 WHERE dr_sync_period = '20m' AND last_disaster_time IS NOT NULL ORDER BY dr_id;
SELECT dr_id FROM disaster_recoveries
 WHERE dr_sync_period = '20m' AND last_disaster_time IS NOT NULL ORDER BY dr_id;
-- LIKE on the id is not an equality: full scan, right answer
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id FROM disaster_recoveries WHERE dr_id LIKE 'b303%';
SELECT dr_id FROM disaster_recoveries WHERE dr_id LIKE 'b303%';

-- ---------------------------------------------------------------------
-- conditions that can name no task: no call at all
-- ---------------------------------------------------------------------
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id FROM disaster_recoveries WHERE dr_id = NULL;
SELECT dr_id FROM disaster_recoveries WHERE dr_id = NULL;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id FROM disaster_recoveries WHERE dr_id = NULL;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id FROM disaster_recoveries WHERE dr_id = ANY('{}'::text[]);
SELECT dr_id FROM disaster_recoveries WHERE dr_id = ANY('{}'::text[]);
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id FROM disaster_recoveries WHERE dr_id = ANY('{}'::text[]);
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id FROM disaster_recoveries WHERE dr_id = ANY(ARRAY[NULL, NULL]::text[]);

-- ---------------------------------------------------------------------
-- expressions as the value
-- ---------------------------------------------------------------------
-- a stable/immutable expression is evaluated before the scan and pushed
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, name FROM disaster_recoveries
 WHERE dr_id = lower('B303B78D-438C-41DD-AAF6-C98EEA1FC2A6');
SELECT dr_id, name FROM disaster_recoveries
 WHERE dr_id = lower('B303B78D-438C-41DD-AAF6-C98EEA1FC2A6');
-- upper() of the id finds nothing (ids are case-sensitive), with one call
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, name FROM disaster_recoveries
 WHERE dr_id = upper('b303b78d-438c-41dd-aaf6-c98eea1fc2a6');
-- a stable function of a session setting
SET pushdown.wanted_id = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, name FROM disaster_recoveries
 WHERE dr_id = current_setting('pushdown.wanted_id');
SELECT dr_id, name FROM disaster_recoveries
 WHERE dr_id = current_setting('pushdown.wanted_id');
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, name FROM disaster_recoveries
 WHERE dr_id = current_setting('pushdown.wanted_id');
RESET pushdown.wanted_id;
-- a volatile expression is not pushed: a full scan, filtered per row
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id FROM disaster_recoveries WHERE dr_id = (random()::text);
SELECT dr_id FROM disaster_recoveries WHERE dr_id = (random()::text);
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id FROM disaster_recoveries WHERE dr_id = (random()::text);
-- a condition using another column of the same table is not pushed
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id FROM disaster_recoveries WHERE dr_id = name;
SELECT dr_id FROM disaster_recoveries WHERE dr_id = name;
-- a scalar subquery is an initplan: evaluated first, then one detail call
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, name FROM disaster_recoveries
 WHERE dr_id = (SELECT 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'::text);
SELECT dr_id, name FROM disaster_recoveries
 WHERE dr_id = (SELECT 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'::text);
-- a varchar value is cast to text and still pushed
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id FROM disaster_recoveries
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'::varchar;

-- ---------------------------------------------------------------------
-- count(*) with a dr_id
-- ---------------------------------------------------------------------
EXPLAIN (VERBOSE, COSTS OFF)
SELECT count(*) FROM dr_clusters WHERE dr_id = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
SELECT count(*) FROM dr_clusters WHERE dr_id = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT count(*) FROM dr_clusters WHERE dr_id = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
SELECT count(*) FROM disaster_recoveries
 WHERE dr_id IN ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6', '00000000-dead-4bee-8fff-000000000000');

-- clean up
-- a nondeterministic collation makes "=" match ids the API spells
-- otherwise: not pushed (a list, then the local filter), so no row is lost
CREATE COLLATION pushdown_ci (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id FROM disaster_recoveries
 WHERE dr_id = 'B303B78D-438C-41DD-AAF6-C98EEA1FC2A6' COLLATE pushdown_ci;
SELECT dr_id FROM disaster_recoveries
 WHERE dr_id = 'B303B78D-438C-41DD-AAF6-C98EEA1FC2A6' COLLATE pushdown_ci;
DROP COLLATION pushdown_ci;

RESET search_path;
SET client_min_messages = warning;
DROP SERVER pushdown_dws CASCADE;
DROP SCHEMA pushdown CASCADE;
RESET client_min_messages;
