--
-- Concurrency: the calls of one scan run at once, never more than the
-- server's max_concurrency, and give the same rows whatever the bound.
-- The peak is the stand-in's own count (the most requests it held at
-- once: mock_peak_start() and mock_control() of sql/setup.sql), beside
-- the one EXPLAIN ANALYZE VERBOSE reports.
--
SET client_min_messages = warning;
CREATE SERVER conc_dws FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931', project_id '0536cdee2200d5912f7cc00b877980f1');
CREATE USER MAPPING FOR CURRENT_USER SERVER conc_dws
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA conc_s;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (dr_clusters, disaster_recoveries)
  FROM SERVER conc_dws INTO conc_s;
RESET client_min_messages;
SET search_path = conc_s, public;

-- 20 calls that each take 300 ms: the default bound, 8, is reached
SELECT mock_peak_start();
EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT count(*) FROM dr_clusters
 WHERE dr_id = ANY (ARRAY(SELECT 'fault-slow-300-once-a' || g FROM generate_series(1, 20) g));
SELECT mock_control('GET', 'stats') -> 'max_in_flight' AS stand_in_peak;

-- max_concurrency 3: never more than 3 at once
ALTER SERVER conc_dws OPTIONS (ADD max_concurrency '3');
SELECT mock_peak_start();
EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT count(*) FROM dr_clusters
 WHERE dr_id = ANY (ARRAY(SELECT 'fault-slow-300-once-b' || g FROM generate_series(1, 12) g));
SELECT mock_control('GET', 'stats') -> 'max_in_flight' AS stand_in_peak;

-- a full scan: the list, then its 5 detail calls, 3 at a time
EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT count(dr_sync_period) FROM disaster_recoveries;

-- max_concurrency 1: one call at a time, the same rows
ALTER SERVER conc_dws OPTIONS (SET max_concurrency '1');
EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT count(dr_sync_period) FROM disaster_recoveries;
-- three calls of 300 ms: the stand-in never holds two at once
SELECT mock_peak_start();
SELECT count(*) FROM dr_clusters
 WHERE dr_id = ANY (ARRAY(SELECT 'fault-slow-300-once-e' || g FROM generate_series(1, 3) g));
SELECT mock_control('GET', 'stats') -> 'max_in_flight' AS stand_in_peak;
SELECT dr_id, side, status, progress FROM dr_clusters ORDER BY dr_id, side;
ALTER SERVER conc_dws OPTIONS (SET max_concurrency '8');
SELECT dr_id, side, status, progress FROM dr_clusters ORDER BY dr_id, side;

-- a failure among calls in flight fails the whole query, and the calls
-- still running are dropped: the next query works
\set VERBOSITY terse
SELECT count(*) FROM dr_clusters
 WHERE dr_id = ANY (ARRAY['fault-slow-2000-once-c1', 'fault-slow-2000-once-c2',
                          'fault-403', 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6']);
\set VERBOSITY default
SELECT count(*) FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';

-- two scans of one query on the same connection (a self-join by nested
-- loop): each collects the other's finished calls while it waits, and the
-- inner one is rescanned for every outer row
ALTER SERVER conc_dws OPTIONS (SET max_concurrency '2');
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_memoize = off;
SET enable_material = off;
SELECT count(a.progress), count(b.progress)
  FROM dr_clusters a JOIN dr_clusters b ON b.dr_id = a.dr_id AND b.side = a.side;
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_memoize;
RESET enable_material;
ALTER SERVER conc_dws OPTIONS (SET max_concurrency '8');

-- a cursor keeps the connection it started with while ALTER USER MAPPING
-- drops it and other queries use a new one
BEGIN;
DECLARE conc_cur CURSOR FOR
  SELECT dr_id, side FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6' ORDER BY side;
ALTER USER MAPPING FOR CURRENT_USER SERVER conc_dws
  OPTIONS (SET secret_key 'demo-secret-key-0001');
SELECT count(*) FROM dr_clusters WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
FETCH ALL FROM conc_cur;
COMMIT;

RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA conc_s CASCADE;
DROP SERVER conc_dws CASCADE;
