-- Answers kept: no call twice within a query (an id repeated, or asked again
-- on a rescan); with the server option cache_ttl, across queries for that
-- many seconds, until dwsdr_cache_clear() or an ALTER SERVER; errors never.
\set VERBOSITY default
SET client_min_messages = warning;
CREATE SERVER cache_dws FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931',
           project_id '0536cdee2200d5912f7cc00b877980f1', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER cache_dws
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA cache_s;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (dr_clusters, disaster_recoveries)
  FROM SERVER cache_dws INTO cache_s;
-- this backend's calls through cache_dws since the last dwsdr_stats_reset()
CREATE VIEW cache_s.calls AS
  SELECT list_calls, detail_calls, errors, cache_hits
    FROM dwsdr_stats() WHERE server = 'cache_dws';
RESET client_min_messages;
-- try(): sql/setup.sql, run first
SET search_path = cache_s, public;

-- ---------------------------------------------------------------------
-- No call twice within a query (no cache_ttl)
-- ---------------------------------------------------------------------
-- the same id twice in IN: one detail call
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, side, status FROM dr_clusters
 WHERE dr_id IN ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6', 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6');
SELECT dr_id, side, status FROM dr_clusters
 WHERE dr_id IN ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6', 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6')
 ORDER BY side;
-- = ANY with duplicates and a NULL: one call per distinct non-null id
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, side FROM dr_clusters
 WHERE dr_id = ANY(ARRAY['6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a', NULL,
                         '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a',
                         'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f']);

-- a parameterized nested loop over an inventory with duplicate ids, without
-- Memoize: the foreign scan runs once per outer row (8 loops), but each
-- distinct id (4, one of them missing) is fetched once; the repeats are
-- cache hits, the missing task's "no row" included
CREATE TABLE cache_inventory (owner text PRIMARY KEY, dr_id text NOT NULL);
INSERT INTO cache_inventory VALUES
  ('a1', 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'),
  ('a2', 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'),
  ('a3', 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'),
  ('b1', '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a'),
  ('b2', '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a'),
  ('c1', '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d'),
  ('x1', 'cache-no-such-task'),
  ('x2', 'cache-no-such-task');
ANALYZE cache_inventory;
SET enable_memoize = off;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT i.owner, d.side, d.status, d.progress
  FROM cache_inventory i JOIN dr_clusters d USING (dr_id);
SELECT i.owner, d.side, d.status, d.progress
  FROM cache_inventory i JOIN dr_clusters d USING (dr_id)
 ORDER BY i.owner, d.side;
-- the same through a correlated subquery (a rescan per outer row)
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT i.owner,
       (SELECT d.status FROM disaster_recoveries d WHERE d.dr_id = i.dr_id) AS status
  FROM cache_inventory i;
SELECT i.owner,
       (SELECT d.status FROM disaster_recoveries d WHERE d.dr_id = i.dr_id) AS status
  FROM cache_inventory i ORDER BY i.owner;
RESET enable_memoize;

-- without cache_ttl nothing is kept across queries: the same query again
-- makes its call again
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT status FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT status FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';

-- ---------------------------------------------------------------------
-- cache_ttl: answers kept across queries
-- ---------------------------------------------------------------------
-- the option: seconds or a time with a unit, 0 (off, the default) to 86400
ALTER SERVER cache_dws OPTIONS (ADD cache_ttl '-1');
ALTER SERVER cache_dws OPTIONS (ADD cache_ttl '86401');
ALTER SERVER cache_dws OPTIONS (ADD cache_ttl '25h');
ALTER SERVER cache_dws OPTIONS (ADD cache_ttl '300');
SELECT srvoptions FROM pg_foreign_server WHERE srvname = 'cache_dws';

-- the same query twice: the second makes no call, its answer is a cache hit
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT status, progress FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT status, progress FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
SELECT status, progress FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
-- the answer is kept per call, not per table: disaster_recoveries reads the
-- same detail answer
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT name, dr_sync_period FROM disaster_recoveries
 WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
-- a full scan: the list and every detail are kept, so a dashboard that
-- reads the whole project again makes no call
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, side, status, progress FROM dr_clusters;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, side, status, progress FROM dr_clusters;
SELECT dr_id, side, status, progress FROM dr_clusters ORDER BY dr_id, side;
-- a list-only query reuses the kept list answer
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT count(*) FROM disaster_recoveries;
-- another project is another answer
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT count(*) FROM disaster_recoveries WHERE project_id = 'e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6';

-- dwsdr_cache_clear(): the next query calls again
SELECT dwsdr_cache_clear();
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT status, progress FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT status, progress FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
-- anyone may call it
SELECT has_function_privilege('public', 'dwsdr_cache_clear()', 'EXECUTE') AS public_may_clear;

-- ALTER SERVER drops the connection, and the answers with it
ALTER SERVER cache_dws OPTIONS (SET cache_ttl '600');
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT status, progress FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT status, progress FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
-- ... and so does ALTER USER MAPPING
ALTER USER MAPPING FOR CURRENT_USER SERVER cache_dws
  OPTIONS (SET secret_key 'demo-secret-key-0001');
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT status, progress FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
-- a role's change drops only the connections whose server it owns or whose
-- mapping is its own: another role's new password keeps the answers
SET client_min_messages = warning;
DROP ROLE IF EXISTS regress_cache_owner;
DROP ROLE IF EXISTS regress_cache_other;
RESET client_min_messages;
CREATE ROLE regress_cache_owner SUPERUSER;
CREATE ROLE regress_cache_other;
ALTER SERVER cache_dws OWNER TO regress_cache_owner;
SELECT count(*) FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
ALTER ROLE regress_cache_other PASSWORD 'another-role-password';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT status, progress FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
-- the server's owner changes: a new connection, the answers gone
ALTER ROLE regress_cache_owner CONNECTION LIMIT 5;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT status, progress FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
-- the mapping's role changes (CONNECTION LIMIT -1 is its default): the same
ALTER ROLE CURRENT_USER CONNECTION LIMIT -1;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT status, progress FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
ALTER SERVER cache_dws OWNER TO CURRENT_USER;
DROP ROLE regress_cache_owner;
DROP ROLE regress_cache_other;

-- ---------------------------------------------------------------------
-- Staleness: within cache_ttl, an answer stays what it was when fetched
-- ---------------------------------------------------------------------
-- 'fault-404missing-once-cache1' is missing on the first request only;
-- after that the stand-in answers it as a task.  The cached "no such task"
-- hides the task until the answer expires or is cleared.
SELECT dr_id, side FROM dr_clusters WHERE dr_id = 'fault-404missing-once-cache1';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, side FROM dr_clusters WHERE dr_id = 'fault-404missing-once-cache1';
SELECT dwsdr_cache_clear();
SELECT dr_id, side FROM dr_clusters WHERE dr_id = 'fault-404missing-once-cache1'
 ORDER BY side;
-- the same with the API's usual answer for a missing task (400 DWS.10101)
SELECT dr_id, side FROM dr_clusters WHERE dr_id = 'fault-missing-once-cache2';
SELECT dr_id, side FROM dr_clusters WHERE dr_id = 'fault-missing-once-cache2';
SELECT dwsdr_cache_clear();
SELECT dr_id, side FROM dr_clusters WHERE dr_id = 'fault-missing-once-cache2'
 ORDER BY side;

-- answers expire after cache_ttl seconds
ALTER SERVER cache_dws OPTIONS (SET cache_ttl '2');
SELECT count(*) FROM dr_clusters WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT count(*) FROM dr_clusters WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
SELECT pg_sleep(2.2);
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT count(*) FROM dr_clusters WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
ALTER SERVER cache_dws OPTIONS (SET cache_ttl '300');

-- ---------------------------------------------------------------------
-- Keys that cannot collide: project P with id "fault-gzip-once-k1/x", and
-- project "P/fault-gzip-once-k1" with id "x", are two answers, however a
-- key would join the parts.  The first is a task (the stand-in serves any
-- fault id as one), the second is no task (no such project): the second
-- query makes its own call and gets no row.  (In 1.1.0 they shared a key:
-- the second query got the first one's answer, an error.)
-- ---------------------------------------------------------------------
SELECT dwsdr_stats_reset();
SELECT project_id, dr_id, side FROM dr_clusters
 WHERE project_id = '0536cdee2200d5912f7cc00b877980f1'
   AND dr_id = 'fault-gzip-once-k1/x' ORDER BY side;
SELECT project_id, dr_id, side FROM dr_clusters
 WHERE project_id = '0536cdee2200d5912f7cc00b877980f1/fault-gzip-once-k1'
   AND dr_id = 'x';
SELECT * FROM calls;
-- asked again, each is its own cache hit
SELECT count(*) FROM dr_clusters
 WHERE project_id = '0536cdee2200d5912f7cc00b877980f1/fault-gzip-once-k1'
   AND dr_id = 'x';
SELECT count(*) FROM dr_clusters
 WHERE project_id = '0536cdee2200d5912f7cc00b877980f1'
   AND dr_id = 'fault-gzip-once-k1/x';
SELECT * FROM calls;

-- ---------------------------------------------------------------------
-- Errors are never kept
-- ---------------------------------------------------------------------
-- fault-500 fails every time: each query makes its call again, and fails
SELECT dwsdr_stats_reset();
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-500'$$, brief => true);
SELECT * FROM calls;
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-500'$$, brief => true);
SELECT * FROM calls;
-- a failure does not hide a later success: fails once, then answers, and
-- only then is the answer kept
SELECT dwsdr_stats_reset();
CALL try($$SELECT status FROM dr_clusters WHERE dr_id = 'fault-503-once-cache3'$$, brief => true);
SELECT dr_id, side, status FROM dr_clusters WHERE dr_id = 'fault-503-once-cache3' ORDER BY side;
SELECT dr_id, side, status FROM dr_clusters WHERE dr_id = 'fault-503-once-cache3' ORDER BY side;
SELECT * FROM calls;
-- without cache_ttl, the server's answers are no longer kept
ALTER SERVER cache_dws OPTIONS (DROP cache_ttl);
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT status FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT status FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';

-- clean up
RESET search_path;
SET client_min_messages = warning;
DROP SCHEMA cache_s CASCADE;
DROP SERVER cache_dws CASCADE;
RESET client_min_messages;
