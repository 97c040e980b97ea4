-- The recipes of docs/cookbook.md, run against the stand-in.  Each
-- "\i :builddir/recipes/NAME.sql" line runs the ```sql block that the doc
-- marks <!-- test: NAME -->, byte for byte: scripts/cookbook-recipes
-- writes the blocks there before pg_regress runs, and fails when the doc
-- has a block that this file (or cron.sql) leaves out.  The lines in
-- between are the test's own: the Quick start's setup (a server named
-- dws), the stand-in's keys where the doc writes '...', checks of the
-- calls made, and each job's command run once as plain SQL
-- (\gexec of cron.job.command; sql/cron.sql runs jobs under pg_cron).
-- now() is a fixed time here, so that what depends on it prints the same
-- on every run: cookbook.now() comes before pg_catalog in search_path.
\set VERBOSITY default
\getenv builddir PG_ABS_BUILDDIR
SET client_min_messages = warning;
CREATE SERVER dws FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931', project_id '0536cdee2200d5912f7cc00b877980f1');
CREATE USER MAPPING FOR CURRENT_USER SERVER dws
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA cookbook;
IMPORT FOREIGN SCHEMA dwsdr FROM SERVER dws INTO cookbook;
CREATE FUNCTION cookbook.now() RETURNS timestamptz LANGUAGE sql STABLE
  AS $$ SELECT timestamptz '2026-01-01 00:00:00+00' $$;
RESET client_min_messages;
-- the recipes' tables go to schema cookbook
SET search_path = cookbook, pg_catalog, public;
-- as the doc's outputs show them
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';
SELECT now();

-- =====================================================================
-- The three uses
-- =====================================================================
\i :builddir/recipes/ask-in-psql.sql

-- 2. the short inventory join: after ANALYZE, one detail call per id
\i :builddir/recipes/inventory-short.sql
EXPLAIN (COSTS OFF)
SELECT i.owner, c.side, c.status, c.progress, c.last_success_time
  FROM inventory i
  JOIN dr_clusters c USING (dr_id)
 ORDER BY i.owner, c.side;

-- 3. pg_cron: the job's command, run once here
\i :builddir/recipes/alerts-with-pg-cron.sql
SELECT command FROM cron.job WHERE jobname = 'dr-lag' \gexec
SELECT cron.unschedule('dr-lag');
SELECT * FROM dr_alerts ORDER BY seen_at DESC, dr_id, side;

-- =====================================================================
-- Recipes
-- =====================================================================
\i :builddir/recipes/one-task.sql

-- Your inventory, joined with the live state
\i :builddir/recipes/inventory-table.sql
-- never analyzed: the planner guesses a big table and reads the whole
-- project (the list call, then a detail call per task)
SELECT reltuples FROM pg_class WHERE oid = 'dr_inventory'::regclass;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT i.owner, i.tier, c.side, c.status, c.progress, c.last_success_time
  FROM dr_inventory i
  JOIN dr_clusters c USING (dr_id)
 ORDER BY i.owner, c.side;
\i :builddir/recipes/inventory-join.sql
-- analyzed: one detail call per id of the inventory, nothing else
SELECT reltuples FROM pg_class WHERE oid = 'dr_inventory'::regclass;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT i.owner, i.tier, c.side, c.status, c.progress, c.last_success_time
  FROM dr_inventory i
  JOIN dr_clusters c USING (dr_id)
 ORDER BY i.owner, c.side;
-- the many-ids form: one batch of detail calls
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT c.dr_name, c.side, c.status, c.progress
  FROM dr_clusters c
 WHERE c.dr_id = ANY(ARRAY(SELECT dr_id FROM dr_inventory WHERE tier = 'gold'));

-- A daily report with pg_cron: the job as scheduled, then its command run
-- once (under EXPLAIN: one list call), then once more for the rows
\i :builddir/recipes/daily-report.sql
SELECT jobname, schedule, username = current_user AS runs_as_me
  FROM cron.job WHERE jobname = 'dr-report';
SELECT 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF) ' || command
  FROM cron.job WHERE jobname = 'dr-report' \gexec
SELECT command FROM cron.job WHERE jobname = 'dr-report' \gexec
SELECT cron.unschedule('dr-report');
SELECT taken_at, dr_name, dr_status, primary_status, standby_status
  FROM dr_report ORDER BY dr_name, taken_at;

-- A lag alert
\i :builddir/recipes/lag-query.sql
\i :builddir/recipes/lag-alert-job.sql
SELECT command FROM cron.job WHERE jobname = 'dr-lag-alert' \gexec
SELECT cron.unschedule('dr-lag-alert');
SELECT seen_at, dr_name, side, sync_interval FROM dr_lag_alerts ORDER BY dr_name, side;

-- An abnormal-task alert: the list call is enough
\i :builddir/recipes/abnormal-query.sql
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, dr_name, dr_status, side, status
  FROM dr_clusters
 WHERE dr_status IN ('create_failed', 'start_failed', 'stop_failed', 'abnormal')
    OR status IN ('abnormal', 'drDeleted')
 ORDER BY dr_name, side;
-- the job fails on purpose
\i :builddir/recipes/abnormal-alert-job.sql
SELECT command FROM cron.job WHERE jobname = 'dr-abnormal-alert' \gexec
SELECT cron.unschedule('dr-abnormal-alert');

-- What happened to this task
\i :builddir/recipes/task-events.sql

-- An alert on failed DR events: the job's command, run once at the test's
-- now(); the stand-in's events are from 2023, none in the window
\i :builddir/recipes/events-alert-job.sql
SELECT command FROM cron.job WHERE jobname = 'dr-events-alert' \gexec
-- three minutes after the stand-in's disasterRecoveryAbnormal event
-- (2023-04-29 05:46:36), the same command fails, naming it; five minutes
-- after, the event is out of the window again
CREATE OR REPLACE FUNCTION cookbook.now() RETURNS timestamptz LANGUAGE sql STABLE
  AS $$ SELECT timestamptz '2023-04-29 05:49:36+00' $$;
SELECT command FROM cron.job WHERE jobname = 'dr-events-alert' \gexec
CREATE OR REPLACE FUNCTION cookbook.now() RETURNS timestamptz LANGUAGE sql STABLE
  AS $$ SELECT timestamptz '2023-04-29 05:51:36+00' $$;
SELECT command FROM cron.job WHERE jobname = 'dr-events-alert' \gexec
CREATE OR REPLACE FUNCTION cookbook.now() RETURNS timestamptz LANGUAGE sql STABLE
  AS $$ SELECT timestamptz '2026-01-01 00:00:00+00' $$;
SELECT cron.unschedule('dr-events-alert');

-- A dashboard: a materialized view refreshed by pg_cron
\i :builddir/recipes/dashboard.sql
SELECT command FROM cron.job WHERE jobname = 'dr-dashboard' \gexec
SELECT cron.unschedule('dr-dashboard');
SELECT count(*) AS rows FROM dr_dashboard;
-- reading the dashboard makes no call
EXPLAIN (COSTS OFF)
SELECT dr_name, side, status, progress, last_success_time FROM dr_dashboard
 ORDER BY dr_name, side;
-- a failed refresh keeps the previous rows: here the API is unreachable
\set VERBOSITY terse
ALTER SERVER dws OPTIONS (SET endpoint 'http://127.0.0.1:1');
REFRESH MATERIALIZED VIEW CONCURRENTLY dr_dashboard;
SELECT count(*) AS rows FROM dr_dashboard;
-- an endpoint with a wrong path prefix: the gateway answers 404 APIGW.0101
-- ("The API does not exist"), which must be an error, not an empty project
-- that silently empties the dashboard
ALTER SERVER dws OPTIONS (SET endpoint 'http://127.0.0.1:18931/no-such-prefix');
REFRESH MATERIALIZED VIEW CONCURRENTLY dr_dashboard;
SELECT count(*) AS rows FROM dr_dashboard;
SELECT count(*) FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';
\set VERBOSITY default
ALTER SERVER dws OPTIONS (SET endpoint 'http://127.0.0.1:18931');

-- Or a short-lived cache: a dashboard query, twice; the second is answered
-- from the cache; after dwsdr_cache_clear(), the calls again
\i :builddir/recipes/dashboard-cache.sql
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_name, side, status, progress FROM dr_clusters;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_name, side, status, progress FROM dr_clusters;
SELECT dwsdr_cache_clear();
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT dr_name, side, status, progress FROM dr_clusters;
ALTER SERVER dws OPTIONS (DROP cache_ttl);

-- One server per region, combined in a view.  The stand-in plays both
-- regions: endpoint (which overrides region) points the servers at it,
-- and the mappings get its keys where the doc writes '...'
\i :builddir/recipes/regions-servers.sql
ALTER SERVER dws_cn_north_4 OPTIONS (ADD endpoint 'http://127.0.0.1:18931');
ALTER SERVER dws_eu_west_101 OPTIONS (ADD endpoint 'http://127.0.0.1:18931');
ALTER USER MAPPING FOR CURRENT_USER SERVER dws_cn_north_4
  OPTIONS (SET access_key 'DEMOACCESSKEY000001', SET secret_key 'demo-secret-key-0001');
ALTER USER MAPPING FOR CURRENT_USER SERVER dws_eu_west_101
  OPTIONS (SET access_key 'DEMOACCESSKEY000001', SET secret_key 'demo-secret-key-0001');
\i :builddir/recipes/regions-view.sql
-- one list call per region
EXPLAIN (VERBOSE, COSTS OFF)
SELECT api_region, dr_name, side, status FROM dr_clusters_all ORDER BY 1, 2, 3;
-- a condition on dr_id reaches each server: one detail call per region
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF)
SELECT api_region, side, status, progress FROM dr_clusters_all
 WHERE dr_id = '11111111-2222-4333-8444-555555555555';
SELECT api_region, side, status, progress FROM dr_clusters_all
 WHERE dr_id = '11111111-2222-4333-8444-555555555555' ORDER BY side;

-- A region down: the option on both servers; the ages of the rows (they
-- vary: the recipe's output is not printed, then every row is seen to be
-- from this query); the alert job, whose command (every region up) records
-- nothing.  sql/unreachable.sql takes a region down and checks the rest.
\i :builddir/recipes/region-down-option.sql
\o /dev/null
\i :builddir/recipes/region-down-ages.sql
\o
SELECT api_region, count(*) AS clusters,
       min(fetched_at) >= statement_timestamp() AS from_this_query
  FROM dr_clusters_all GROUP BY api_region ORDER BY api_region;
\i :builddir/recipes/region-down-alert.sql
SELECT command FROM cron.job WHERE jobname = 'dr-api-unreachable' \gexec
SELECT cron.unschedule('dr-api-unreachable');
SELECT count(*) AS alerts FROM dr_unreachable_alerts;

-- A history table for trends: the job's command, as two runs would do it
\i :builddir/recipes/history.sql
SELECT command FROM cron.job WHERE jobname = 'dr-history' \gexec
SELECT command FROM cron.job WHERE jobname = 'dr-history' \gexec
SELECT cron.unschedule('dr-history');
\i :builddir/recipes/history-trends.sql
-- the trim job deletes what is older than 90 days: one old sample goes
INSERT INTO dr_history (seen_at, dr_id, side) VALUES (now() - interval '91 days', 'old', 'primary');
\i :builddir/recipes/history-trim.sql
SELECT command FROM cron.job WHERE jobname = 'dr-history-trim' \gexec
SELECT cron.unschedule('dr-history-trim');
SELECT count(*) AS samples, count(*) FILTER (WHERE dr_id = 'old') AS old FROM dr_history;

-- Watching the FDW itself.  The recipe's figures vary from run to run
-- (bytes, milliseconds), so its output is not printed (errors would be);
-- after its dwsdr_stats_reset(), the figures are zero, and a call the
-- stand-in answers after 300 ms shows a wait of most of that
\o /dev/null
\i :builddir/recipes/fdw-stats.sql
\o
SELECT server, calls, errors, bytes_received, wait_ms, cache_hits
  FROM dwsdr_stats() ORDER BY server;
SELECT count(*) FROM dr_clusters WHERE dr_id = 'fault-slow-300';
SELECT server, calls, retries, errors, bytes_received > 0 AS bytes_received,
       wait_ms >= 250 AS waited_250ms, cache_hits
  FROM dwsdr_stats() ORDER BY server;
-- nothing waits on the API now: no row (pg_cron's launcher waits with the
-- same wait event between jobs, but it is idle)
\i :builddir/recipes/fdw-waits.sql

-- clean up
SELECT jobname FROM cron.job;
RESET search_path;
RESET TimeZone;
RESET DateStyle;
RESET IntervalStyle;
SET client_min_messages = warning;
DROP EXTENSION pg_cron;
DROP SCHEMA cookbook CASCADE;
DROP SCHEMA dr_cn_north_4 CASCADE;
DROP SCHEMA dr_eu_west_101 CASCADE;
DROP SERVER dws_cn_north_4 CASCADE;
DROP SERVER dws_eu_west_101 CASCADE;
DROP SERVER dws CASCADE;
RESET client_min_messages;
