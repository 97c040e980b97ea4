-- Scans: the mission query, full scans, the calls each one makes.
SET client_min_messages = warning;
CREATE SERVER dws FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931', project_id '0536cdee2200d5912f7cc00b877980f1');
CREATE USER MAPPING FOR CURRENT_USER SERVER dws
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA s;
IMPORT FOREIGN SCHEMA dwsdr FROM SERVER dws INTO s;
RESET client_min_messages;
SET search_path = s, public;

-- the mission query
EXPLAIN (VERBOSE, COSTS OFF)
SELECT status, progress FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
SELECT status, progress FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';

-- every cluster of every task: list, then a detail call per task
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, side, cluster_name, role, status, progress FROM dr_clusters;
SELECT dr_id, side, cluster_name, role, status, progress FROM dr_clusters
 ORDER BY dr_id, side;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, side, cluster_name, role, status, progress FROM dr_clusters;

-- columns the list call has: the list alone
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, name, status, primary_status, standby_status FROM disaster_recoveries;
SELECT dr_id, name, status, primary_status, standby_status FROM disaster_recoveries
 ORDER BY dr_id;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, name, status FROM disaster_recoveries;

-- count(*) needs no column: the list alone
SELECT count(*) FROM disaster_recoveries;
SELECT count(*) FROM dr_clusters;

-- every column of every task, both calls merged
\x on
SELECT * FROM disaster_recoveries ORDER BY dr_id;
\x off

-- a null or absent cluster object gives no row (dr-abnormal-02 has no standby)
SELECT dr_name, side, cluster_name FROM dr_clusters
 WHERE dr_id = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d' ORDER BY side;

-- the abnormal-task report of the README
SELECT dr_name, dr_status, side, status
  FROM dr_clusters
 WHERE dr_status IN ('create_failed', 'start_failed', 'stop_failed', 'abnormal')
    OR status IN ('abnormal', 'drDeleted')
 ORDER BY dr_name, side;

-- dr_progress: list, then show-progress per task
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, recovery_point_object, recovery_time_object FROM dr_progress;
SELECT dr_id, latest_barrier_time, recovery_point_object, recovery_time_object,
       primary_action_type, standby_action_type
  FROM dr_progress ORDER BY dr_id;
\x on
SELECT * FROM dr_progress WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
\x off

-- rescans of the same scan return the same rows
SELECT d.dr_id, c.side
  FROM (VALUES ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6'), ('6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a')) AS d(dr_id)
  CROSS JOIN LATERAL (SELECT side FROM dr_clusters WHERE dr_clusters.dr_id = d.dr_id) c
 ORDER BY 1, 2;

RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA s CASCADE;
DROP SERVER dws CASCADE;
