-- What the planner knows: the conditions the calls guarantee (no per-row
-- filter re-checks them; each answer must be for the id asked), ANALYZE
-- (the list call counts the tasks), and the plans that follow from a
-- project's size: one detail call per inventory id against a big project,
-- the list against a small one.
SET client_min_messages = warning;
CREATE SERVER an_dws FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931', project_id '0536cdee2200d5912f7cc00b877980f1',
           max_response_bytes '67108864');
CREATE USER MAPPING FOR CURRENT_USER SERVER an_dws
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
-- the main project (five tasks) and the generated one (20,000 tasks)
CREATE SCHEMA an_small;
IMPORT FOREIGN SCHEMA dwsdr FROM SERVER an_dws INTO an_small;
CREATE SCHEMA an_big;
IMPORT FOREIGN SCHEMA dwsdr FROM SERVER an_dws INTO an_big;
ALTER FOREIGN TABLE an_big.dr_clusters OPTIONS (ADD project_id 'b0000000000000000000000000000000');
ALTER FOREIGN TABLE an_big.disaster_recoveries OPTIONS (ADD project_id 'b0000000000000000000000000000000');
ALTER FOREIGN TABLE an_big.dr_progress OPTIONS (ADD project_id 'b0000000000000000000000000000000');
RESET client_min_messages;
SET search_path = an_small, public;

-- ---------------------------------------------------------------------
-- conditions that became calls are not re-checked per row
-- ---------------------------------------------------------------------
-- the id and project conditions: guaranteed by the calls; the name: a filter
EXPLAIN (COSTS OFF)
SELECT dr_id, name FROM disaster_recoveries
 WHERE dr_id = ANY('{6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a,b303b78d-438c-41dd-aaf6-c98eea1fc2a6}')
   AND project_id = '0536cdee2200d5912f7cc00b877980f1'
   AND name LIKE 'dr-%';
SELECT dr_id, name FROM disaster_recoveries
 WHERE dr_id = ANY('{6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a,b303b78d-438c-41dd-aaf6-c98eea1fc2a6}')
   AND project_id = '0536cdee2200d5912f7cc00b877980f1'
   AND name LIKE 'dr-%';
-- two conditions on the id: the one that names fewer ids becomes the
-- calls, the other stays a filter
EXPLAIN (COSTS OFF)
SELECT dr_id FROM disaster_recoveries
 WHERE dr_id = ANY('{6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a,b303b78d-438c-41dd-aaf6-c98eea1fc2a6}')
   AND dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
SELECT dr_id FROM disaster_recoveries
 WHERE dr_id = ANY('{6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a,b303b78d-438c-41dd-aaf6-c98eea1fc2a6}')
   AND dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
-- a comparison that is not the id's equality stays a filter
EXPLAIN (COSTS OFF)
SELECT dr_id FROM disaster_recoveries WHERE lower(dr_id) = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
SELECT dr_id FROM disaster_recoveries WHERE lower(dr_id) = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';

-- an answer for another task than the one asked is an error naming both,
-- whichever call it came from; the same query without it then works
-- (terse: the request id varies)
\set VERBOSITY terse
SELECT dr_id, name FROM disaster_recoveries WHERE dr_id = 'fault-otherid';
SELECT dr_id, status FROM dr_clusters
 WHERE dr_id IN ('6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a', 'fault-otherid');
\set VERBOSITY default
SELECT dr_id, name FROM disaster_recoveries
 WHERE dr_id IN ('6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a', 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6')
 ORDER BY dr_id;
-- the published task's answer is right for the published task
SELECT dr_id, name FROM disaster_recoveries WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';

-- ---------------------------------------------------------------------
-- ANALYZE
-- ---------------------------------------------------------------------
-- never analyzed: reltuples -1
SELECT c.relname, c.reltuples FROM pg_class c
 WHERE c.relnamespace = 'an_small'::regnamespace ORDER BY c.relname;
-- every imported table: the list call counts the tasks; columns that only
-- the per-task call gives are sampled through it (the calls counted by
-- dwsdr_stats(): ANALYZE VERBOSE says the same, but 18 adds run-dependent
-- figures to its output)
SELECT dwsdr_stats_reset();
ANALYZE an_small.disaster_recoveries;
SELECT list_calls, detail_calls FROM dwsdr_stats() WHERE server = 'an_dws';
ANALYZE an_small.dr_clusters, an_small.dr_progress;
SELECT c.relname, c.reltuples,
       (SELECT count(*) FROM pg_statistic s WHERE s.starelid = c.oid) AS columns_with_stats
  FROM pg_class c
 WHERE c.relnamespace = 'an_small'::regnamespace ORDER BY c.relname;
-- the same counts as a scan gives
SELECT (SELECT count(*) FROM disaster_recoveries) AS tasks,
       (SELECT count(*) FROM dr_clusters) AS cluster_rows,
       (SELECT count(*) FROM dr_progress) AS progress_rows;
-- statistics of list columns and of detail-only columns
SELECT attname, null_frac, n_distinct FROM pg_stats
 WHERE schemaname = 'an_small' AND tablename = 'disaster_recoveries'
   AND attname IN ('dr_id', 'status', 'dr_sync_period', 'primary_cluster_az', 'raw')
 ORDER BY attname;
SELECT attname, null_frac, n_distinct FROM pg_stats
 WHERE schemaname = 'an_small' AND tablename = 'dr_clusters'
   AND attname IN ('dr_id', 'side', 'progress')
 ORDER BY attname;
-- the planner sizes a full scan from it
EXPLAIN SELECT dr_id FROM dr_clusters;
-- a table without a project cannot be analyzed
CREATE FOREIGN TABLE an_noproject (dr_id text) SERVER an_dws OPTIONS (resource 'dr_clusters');
ALTER SERVER an_dws OPTIONS (DROP project_id);
ANALYZE an_noproject;
ALTER SERVER an_dws OPTIONS (ADD project_id '0536cdee2200d5912f7cc00b877980f1');
DROP FOREIGN TABLE an_noproject;

-- ---------------------------------------------------------------------
-- a 2,000-row inventory naming 1,000 ids, joined to a big project
-- ---------------------------------------------------------------------
CREATE TABLE an_inventory (n int PRIMARY KEY, dr_id text NOT NULL);
INSERT INTO an_inventory
  SELECT n, format('00000000-0000-4000-8000-%s', lpad(((n - 1) % 1000 + 1)::text, 12, '0'))
    FROM generate_series(1, 2000) n;
ANALYZE an_inventory;
-- nothing known of the project: a guess of 100 tasks, one full scan
EXPLAIN (COSTS OFF)
SELECT count(*), sum(d.progress) FROM an_inventory i JOIN an_big.dr_clusters d USING (dr_id);
-- a list answer seen by this backend sizes the project until ANALYZE
SELECT count(*) FROM an_big.disaster_recoveries;
SELECT c.reltuples FROM pg_class c WHERE c.oid = 'an_big.dr_clusters'::regclass;
EXPLAIN (COSTS OFF)
SELECT count(*), sum(d.progress) FROM an_inventory i JOIN an_big.dr_clusters d USING (dr_id);
-- after ANALYZE, in a new session (which has seen no list): 40,000 rows
-- (20,000 tasks, two clusters each), and one detail call per distinct id
ANALYZE an_big.dr_clusters;
\c
SET search_path = an_small, public;
SELECT c.reltuples FROM pg_class c WHERE c.oid = 'an_big.dr_clusters'::regclass;
EXPLAIN (COSTS OFF)
SELECT count(*), sum(d.progress) FROM an_inventory i JOIN an_big.dr_clusters d USING (dr_id);
-- the calls this session made for it (the scan's own figures)
SELECT dwsdr_stats_reset();
SELECT count(*), sum(d.progress) FROM an_inventory i JOIN an_big.dr_clusters d USING (dr_id);
SELECT list_calls, detail_calls, cache_hits FROM dwsdr_stats() WHERE server = 'an_dws';
-- the same inventory against the small project: one list, then its five
-- tasks' details, hashed
EXPLAIN (COSTS OFF)
SELECT count(*), sum(d.progress) FROM an_inventory i JOIN dr_clusters d USING (dr_id);

-- ---------------------------------------------------------------------
-- a table's description is kept for the session, and follows ALTER
-- ---------------------------------------------------------------------
SELECT name, count(*) FROM disaster_recoveries GROUP BY name ORDER BY name LIMIT 2;
ALTER FOREIGN TABLE disaster_recoveries ALTER COLUMN name OPTIONS (ADD field 'status');
SELECT name, count(*) FROM disaster_recoveries GROUP BY name ORDER BY name LIMIT 2;
ALTER FOREIGN TABLE disaster_recoveries ALTER COLUMN name OPTIONS (DROP field);
ALTER FOREIGN TABLE disaster_recoveries OPTIONS (ADD project_id 'e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6');
SELECT name, count(*) FROM disaster_recoveries GROUP BY name ORDER BY name LIMIT 2;
ALTER FOREIGN TABLE disaster_recoveries OPTIONS (DROP project_id);
ALTER FOREIGN TABLE disaster_recoveries ADD COLUMN period_copy text OPTIONS (field 'dr_sync_period');
SELECT name, period_copy FROM disaster_recoveries ORDER BY name LIMIT 2;
ALTER FOREIGN TABLE disaster_recoveries DROP COLUMN period_copy;
SELECT name, count(*) FROM disaster_recoveries GROUP BY name ORDER BY name LIMIT 2;

SET client_min_messages = warning;
DROP TABLE an_inventory;
DROP SCHEMA an_small CASCADE;
DROP SCHEMA an_big CASCADE;
DROP SERVER an_dws CASCADE;
