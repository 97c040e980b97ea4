-- Joins with a local table: parameterized nested loops (one detail call
-- per outer row), hash joins over one full scan, the ARRAY(SELECT ...)
-- fan-out, LATERAL, rescans, and project routing from a local table.
SET client_min_messages = warning;
CREATE SERVER join_dws FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931', project_id '0536cdee2200d5912f7cc00b877980f1');
CREATE USER MAPPING FOR CURRENT_USER SERVER join_dws
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA join_s;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (dr_clusters, disaster_recoveries)
  FROM SERVER join_dws INTO join_s;
RESET client_min_messages;
SET search_path = join_s, public;
-- explain_masked(): sql/setup.sql, run first

-- the inventory: three tasks that exist, one that does not, one twice
CREATE TABLE inventory (owner text PRIMARY KEY, dr_id text NOT NULL);
INSERT INTO inventory VALUES
  ('alice', 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'),
  ('bob',   '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a'),
  ('carol', '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d'),
  ('dave',  '00000000-dead-4bee-8fff-000000000000'),
  ('erin',  'b303b78d-438c-41dd-aaf6-c98eea1fc2a6');
ANALYZE inventory;

-- ---------------------------------------------------------------------
-- the mission query: a small inventory gives a parameterized nested loop,
-- one detail call per outer row
-- ---------------------------------------------------------------------
EXPLAIN (COSTS OFF)
SELECT i.owner, d.dr_id, d.status, d.progress
  FROM inventory i JOIN dr_clusters d USING (dr_id)
 ORDER BY i.owner, d.side;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT i.owner, d.dr_id, d.status, d.progress
  FROM inventory i JOIN dr_clusters d USING (dr_id)
 ORDER BY i.owner, d.side;
SELECT i.owner, d.dr_id, d.status, d.progress
  FROM inventory i JOIN dr_clusters d USING (dr_id)
 ORDER BY i.owner, d.side;
-- five outer rows, four distinct ids: Memoize asks the scan four times,
-- one detail call each (the missing task too)
SELECT explain_masked($$
SELECT i.owner, d.dr_id, d.status, d.progress
  FROM inventory i JOIN dr_clusters d USING (dr_id)
$$);
-- without Memoize: the foreign scan runs once per outer row
SET enable_memoize = off;
EXPLAIN (COSTS OFF)
SELECT i.owner, d.dr_id, d.status, d.progress
  FROM inventory i JOIN dr_clusters d USING (dr_id)
 ORDER BY i.owner, d.side;
SELECT i.owner, d.dr_id, d.status, d.progress
  FROM inventory i JOIN dr_clusters d USING (dr_id)
 ORDER BY i.owner, d.side;
SELECT explain_masked($$
SELECT i.owner, d.dr_id, d.status, d.progress
  FROM inventory i JOIN dr_clusters d USING (dr_id)
$$);
RESET enable_memoize;

-- disaster_recoveries: one row per task; the missing task has none
EXPLAIN (VERBOSE, COSTS OFF)
SELECT i.owner, d.name, d.status, d.dr_sync_period
  FROM inventory i JOIN disaster_recoveries d ON d.dr_id = i.dr_id
 ORDER BY i.owner;
SELECT i.owner, d.name, d.status, d.dr_sync_period
  FROM inventory i JOIN disaster_recoveries d ON d.dr_id = i.dr_id
 ORDER BY i.owner;
-- LEFT JOIN: the missing task shows as NULLs (name and status come from
-- the list call: one list call is cheaper than five detail calls)
EXPLAIN (COSTS OFF)
SELECT i.owner, i.dr_id, d.name, d.status
  FROM inventory i LEFT JOIN disaster_recoveries d ON d.dr_id = i.dr_id
 ORDER BY i.owner;
SELECT i.owner, i.dr_id, d.name, d.status
  FROM inventory i LEFT JOIN disaster_recoveries d ON d.dr_id = i.dr_id
 ORDER BY i.owner;
-- anti join: inventory entries whose task is gone
SELECT i.owner, i.dr_id FROM inventory i
 WHERE NOT EXISTS (SELECT 1 FROM disaster_recoveries d WHERE d.dr_id = i.dr_id)
 ORDER BY i.owner;
-- semi join: tasks of the inventory (each once)
EXPLAIN (COSTS OFF)
SELECT d.dr_id, d.name FROM disaster_recoveries d
 WHERE d.dr_id IN (SELECT dr_id FROM inventory)
 ORDER BY d.dr_id;
SELECT d.dr_id, d.name FROM disaster_recoveries d
 WHERE d.dr_id IN (SELECT dr_id FROM inventory)
 ORDER BY d.dr_id;
-- a local filter on the inventory: fewer outer rows, fewer calls
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT i.owner, d.status FROM inventory i JOIN disaster_recoveries d USING (dr_id)
 WHERE i.owner IN ('bob', 'carol');
SELECT i.owner, d.status FROM inventory i JOIN disaster_recoveries d USING (dr_id)
 WHERE i.owner IN ('bob', 'carol')
 ORDER BY i.owner;
-- a list-only column in a join: one list call and a hash join
EXPLAIN (COSTS OFF)
SELECT i.owner, d.last_disaster_time FROM inventory i JOIN disaster_recoveries d USING (dr_id)
 ORDER BY i.owner;
SELECT i.owner, d.last_disaster_time FROM inventory i JOIN disaster_recoveries d USING (dr_id)
 ORDER BY i.owner;

-- ---------------------------------------------------------------------
-- the fan-out idiom: one scan, one detail call per distinct id
-- ---------------------------------------------------------------------
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, side, status, progress FROM dr_clusters
 WHERE dr_id = ANY(ARRAY(SELECT dr_id FROM inventory))
 ORDER BY dr_id, side;
SELECT dr_id, side, status, progress FROM dr_clusters
 WHERE dr_id = ANY(ARRAY(SELECT dr_id FROM inventory))
 ORDER BY dr_id, side;
-- five values, four distinct ids: four detail calls
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_id, side, status, progress FROM dr_clusters
 WHERE dr_id = ANY(ARRAY(SELECT dr_id FROM inventory));

-- ---------------------------------------------------------------------
-- LATERAL
-- ---------------------------------------------------------------------
-- a LATERAL subquery with LIMIT is a parameterized scan, run per outer row
EXPLAIN (COSTS OFF)
SELECT i.owner, c.side, c.cluster_name, c.cluster_az
  FROM inventory i,
       LATERAL (SELECT * FROM dr_clusters d WHERE d.dr_id = i.dr_id
                 ORDER BY d.side DESC LIMIT 1) c
 ORDER BY i.owner;
SELECT i.owner, c.side, c.cluster_name, c.cluster_az
  FROM inventory i,
       LATERAL (SELECT * FROM dr_clusters d WHERE d.dr_id = i.dr_id
                 ORDER BY d.side DESC LIMIT 1) c
 ORDER BY i.owner;
-- LEFT JOIN LATERAL keeps inventory rows without a task
SELECT i.owner, c.n_clusters, c.sides
  FROM inventory i
  LEFT JOIN LATERAL (SELECT count(*) AS n_clusters, string_agg(d.side, ',' ORDER BY d.side) AS sides
                       FROM dr_clusters d WHERE d.dr_id = i.dr_id) c ON true
 ORDER BY i.owner;
-- a simple LATERAL is flattened into a join
EXPLAIN (COSTS OFF)
SELECT i.owner, d.name
  FROM inventory i, LATERAL (SELECT name FROM disaster_recoveries WHERE dr_id = i.dr_id) d
 ORDER BY i.owner;
SELECT i.owner, d.name
  FROM inventory i, LATERAL (SELECT name FROM disaster_recoveries WHERE dr_id = i.dr_id) d
 ORDER BY i.owner;

-- ---------------------------------------------------------------------
-- rescans: the same foreign scan run again with other values
-- ---------------------------------------------------------------------
-- a correlated subquery: the scan is re-run for each outer row
EXPLAIN (VERBOSE, COSTS OFF)
SELECT i.owner,
       (SELECT d.status FROM disaster_recoveries d WHERE d.dr_id = i.dr_id) AS status
  FROM inventory i ORDER BY i.owner;
SELECT i.owner,
       (SELECT d.status FROM disaster_recoveries d WHERE d.dr_id = i.dr_id) AS status
  FROM inventory i ORDER BY i.owner;
-- a nested loop whose inner side is a full foreign scan, rescanned for
-- every outer row (no join on the id, no materialization)
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_material = off;
EXPLAIN (COSTS OFF)
SELECT i.owner, d.dr_id, d.name
  FROM inventory i LEFT JOIN disaster_recoveries d
       ON d.name LIKE 'dr-' || i.owner || '%' OR (i.owner = 'alice' AND d.status = 'abnormal')
 ORDER BY i.owner, d.dr_id;
SELECT i.owner, d.dr_id, d.name
  FROM inventory i LEFT JOIN disaster_recoveries d
       ON d.name LIKE 'dr-' || i.owner || '%' OR (i.owner = 'alice' AND d.status = 'abnormal')
 ORDER BY i.owner, d.dr_id;
SELECT explain_masked($$
SELECT i.owner, d.dr_id, d.name
  FROM inventory i LEFT JOIN disaster_recoveries d
       ON d.name LIKE 'dr-' || i.owner || '%' OR (i.owner = 'alice' AND d.status = 'abnormal')
$$);
-- the same with a detail-only column: every rescan gives the same rows
EXPLAIN (COSTS OFF)
SELECT i.owner, count(d.dr_sync_period) AS periods,
       string_agg(d.dr_sync_period, ',' ORDER BY d.dr_id) AS all_periods
  FROM inventory i LEFT JOIN disaster_recoveries d ON d.status <> i.owner
 GROUP BY i.owner ORDER BY i.owner;
SELECT i.owner, count(d.dr_sync_period) AS periods,
       string_agg(d.dr_sync_period, ',' ORDER BY d.dr_id) AS all_periods
  FROM inventory i LEFT JOIN disaster_recoveries d ON d.status <> i.owner
 GROUP BY i.owner ORDER BY i.owner;
SELECT explain_masked($$
SELECT i.owner, d.dr_sync_period
  FROM inventory i LEFT JOIN disaster_recoveries d ON d.status <> i.owner
$$);
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_material;
-- a parameterized nested loop forced on a join of two foreign scans
SET enable_hashjoin = off;
SET enable_mergejoin = off;
EXPLAIN (COSTS OFF)
SELECT c.dr_id, c.side, r.name
  FROM dr_clusters c JOIN disaster_recoveries r ON r.dr_id = c.dr_id
 WHERE c.region = 'cn-north-4'
 ORDER BY c.dr_id, c.side;
SELECT c.dr_id, c.side, r.name
  FROM dr_clusters c JOIN disaster_recoveries r ON r.dr_id = c.dr_id
 WHERE c.region = 'cn-north-4'
 ORDER BY c.dr_id, c.side;
RESET enable_hashjoin;
RESET enable_mergejoin;

-- ---------------------------------------------------------------------
-- project routing from a local table
-- ---------------------------------------------------------------------
CREATE TABLE projects (label text PRIMARY KEY, project_id text NOT NULL);
INSERT INTO projects VALUES
  ('main', '0536cdee2200d5912f7cc00b877980f1'),
  ('eu',   'e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6');
ANALYZE projects;
-- an inventory holding tasks of both projects.  A join clause on project_id
-- does not route calls (README: "Projects"): the scan reads the server's
-- default project whatever the plan, and the join filters; only constants
-- and parameters name projects
CREATE TABLE inventory2 (owner text PRIMARY KEY, project_id text NOT NULL, dr_id text NOT NULL);
INSERT INTO inventory2 VALUES
  ('frank', 'e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6', '11111111-2222-4333-8444-555555555555'),
  ('grace', 'e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6', '66666666-7777-4888-8999-aaaaaaaaaaaa'),
  ('heidi', '0536cdee2200d5912f7cc00b877980f1', 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f'),
  -- a task asked in the wrong project: not found there
  ('ivan',  '0536cdee2200d5912f7cc00b877980f1', '11111111-2222-4333-8444-555555555555');
ANALYZE inventory2;
EXPLAIN (VERBOSE, COSTS OFF)
SELECT i.owner, d.project_id, d.dr_id, d.side, d.cluster_az
  FROM inventory2 i JOIN dr_clusters d ON d.dr_id = i.dr_id AND d.project_id = i.project_id
 ORDER BY i.owner, d.side;
SELECT i.owner, d.project_id, d.dr_id, d.side, d.cluster_az
  FROM inventory2 i JOIN dr_clusters d ON d.dr_id = i.dr_id AND d.project_id = i.project_id
 ORDER BY i.owner, d.side;
-- the plan must not change the answer: the same join without a nested loop
SET enable_nestloop = off;
SELECT i.owner, d.project_id, d.dr_id, d.side, d.cluster_az
  FROM inventory2 i JOIN dr_clusters d ON d.dr_id = i.dr_id AND d.project_id = i.project_id
 ORDER BY i.owner, d.side;
RESET enable_nestloop;
-- to reach every project of the inventory, name them with the fan-out idiom
SELECT i.owner, d.project_id, d.dr_id, d.side, d.cluster_az
  FROM inventory2 i JOIN dr_clusters d ON d.dr_id = i.dr_id AND d.project_id = i.project_id
 WHERE d.project_id = ANY(ARRAY(SELECT DISTINCT project_id FROM inventory2))
 ORDER BY i.owner, d.side;
-- a join on project_id alone: the default project's tasks, filtered
SELECT p.label, d.dr_id, d.name
  FROM projects p JOIN disaster_recoveries d ON d.project_id = p.project_id
 ORDER BY p.label, d.dr_id;
-- the same with the fan-out idiom: the projects of the array
EXPLAIN (VERBOSE, COSTS OFF)
SELECT d.project_id, d.dr_id, d.name FROM disaster_recoveries d
 WHERE d.project_id = ANY(ARRAY(SELECT project_id FROM projects))
 ORDER BY d.project_id, d.dr_id;
SELECT d.project_id, d.dr_id, d.name FROM disaster_recoveries d
 WHERE d.project_id = ANY(ARRAY(SELECT project_id FROM projects))
 ORDER BY d.project_id, d.dr_id;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT d.project_id, d.dr_id, d.name FROM disaster_recoveries d
 WHERE d.project_id = ANY(ARRAY(SELECT project_id FROM projects));

-- ---------------------------------------------------------------------
-- a large inventory: one full scan (list, then detail) and a hash join
-- beat 500 detail calls
-- ---------------------------------------------------------------------
INSERT INTO inventory
SELECT 'retired-' || lpad(n::text, 4, '0'),
       'ffffffff-0000-4000-8000-' || lpad(n::text, 12, '0')
  FROM generate_series(1, 500) AS n;
ANALYZE inventory;
EXPLAIN (COSTS OFF)
SELECT i.owner, d.dr_id, d.status, d.progress
  FROM inventory i JOIN dr_clusters d USING (dr_id)
 ORDER BY i.owner, d.side;
SELECT i.owner, d.dr_id, d.status, d.progress
  FROM inventory i JOIN dr_clusters d USING (dr_id)
 ORDER BY i.owner, d.side;
SELECT explain_masked($$
SELECT i.owner, d.dr_id, d.status, d.progress
  FROM inventory i JOIN dr_clusters d USING (dr_id)
$$);
-- the LEFT JOIN count: every inventory row once or twice
SELECT count(*) AS rows, count(d.dr_id) AS matched, count(DISTINCT i.owner) AS owners
  FROM inventory i LEFT JOIN dr_clusters d USING (dr_id);
-- a filter on the inventory that leaves few rows: back to the nested loop
EXPLAIN (COSTS OFF)
SELECT i.owner, d.dr_id, d.status, d.progress
  FROM inventory i JOIN dr_clusters d USING (dr_id)
 WHERE i.owner IN ('alice', 'bob')
 ORDER BY i.owner, d.side;
SELECT i.owner, d.dr_id, d.status, d.progress
  FROM inventory i JOIN dr_clusters d USING (dr_id)
 WHERE i.owner IN ('alice', 'bob')
 ORDER BY i.owner, d.side;

-- two outer relations joined to the id through one equivalence class
-- (d.dr_id = a.dr_id AND a.dr_id = b.dr_id): a parameterized path for each
CREATE TABLE team_a (owner text, dr_id text);
CREATE TABLE team_b (dr_id text, site text);
INSERT INTO team_a VALUES ('alice', 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'),
  ('dave', '00000000-dead-4bee-8fff-000000000000');
INSERT INTO team_b VALUES ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6', 'north'),
  ('00000000-dead-4bee-8fff-000000000000', 'south'),
  ('6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a', 'east');
ANALYZE team_a, team_b;
EXPLAIN (COSTS OFF)
SELECT a.owner, b.site, d.name
  FROM team_a a JOIN team_b b ON a.dr_id = b.dr_id
  JOIN disaster_recoveries d ON d.dr_id = a.dr_id
 ORDER BY a.owner;
SELECT a.owner, b.site, d.name
  FROM team_a a JOIN team_b b ON a.dr_id = b.dr_id
  JOIN disaster_recoveries d ON d.dr_id = a.dr_id
 ORDER BY a.owner;
DROP TABLE team_a, team_b;

-- clean up
RESET search_path;
SET client_min_messages = warning;
DROP SERVER join_dws CASCADE;
DROP SCHEMA join_s CASCADE;
RESET client_min_messages;
