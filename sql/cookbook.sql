-- The README's recipes (sections "The three uses" and "Cookbook"), each run
-- exactly as README.md writes it, against the stand-in.  The setup is the
-- Quick start's (a server named dws, as the recipes call it); queries whose
-- answer depends on now() are wrapped so that only stable facts print.
-- pg_cron jobs are scheduled as written, then unscheduled at once; their
-- SQL runs here as plain SQL (sql/cron.sql runs jobs under pg_cron).
\set VERBOSITY default
SET client_min_messages = warning;
CREATE SERVER dws FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931', project_id '0536cdee2200d5912f7cc00b877980f1');
CREATE USER MAPPING FOR CURRENT_USER SERVER dws
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA cookbook;
IMPORT FOREIGN SCHEMA dwsdr FROM SERVER dws INTO cookbook;
CREATE EXTENSION pg_cron;
RESET client_min_messages;
-- the recipes' tables go to schema cookbook
SET search_path = cookbook, public;
-- as the README's outputs show them
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET IntervalStyle = 'postgres';

-- =====================================================================
-- The three uses
-- =====================================================================
-- 1. Ask in psql
-- the mission's question
SELECT status, progress FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';

-- every cluster of every task in the project, with how fresh its last sync is
-- (behind depends on now(): printed as "more than a year")
SELECT dr_name, side, role, status, progress, behind > interval '365 days' AS behind_a_year
  FROM (
SELECT dr_name, side, role, status, progress, now() - last_success_time AS behind
  FROM dr_clusters ORDER BY dr_name, side
  ) AS recipe;

-- tasks in a failed state (the states the Terraform provider treats as failures)
SELECT dr_name, dr_status, side, status
  FROM dr_clusters
 WHERE dr_status IN ('create_failed', 'start_failed', 'stop_failed', 'abnormal')
    OR status IN ('abnormal', 'drDeleted');

-- RPO/RTO of one task
SELECT recovery_point_object, recovery_time_object, latest_barrier_time
  FROM dr_progress WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';

-- 2. Join with your own inventory
CREATE TABLE inventory (dr_id text PRIMARY KEY, owner text, tier text);
-- three ids, as the README's output shows
INSERT INTO inventory VALUES
  ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6', 'bi-team', 'silver'),
  ('6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a', 'finance', 'gold'),
  ('c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f', 'ops', 'gold');

SELECT i.owner, c.side, c.status, c.progress, c.last_success_time
  FROM inventory i
  JOIN dr_clusters c USING (dr_id)
 ORDER BY i.owner, c.side;
-- the large-inventory form
SELECT dr_id, side, status FROM dr_clusters
 WHERE dr_id = ANY(ARRAY(SELECT dr_id FROM inventory)) ORDER BY dr_id, side;

-- 3. A scheduled report or alert with pg_cron
CREATE TABLE dr_alerts (seen_at timestamptz, dr_id text, side text, last_success_time timestamptz);

SELECT cron.schedule('dr-lag', '*/10 * * * *',
  $$INSERT INTO dr_alerts SELECT now(), dr_id, side, last_success_time FROM dr_clusters
    WHERE status = 'abnormal' OR last_success_time < now() - interval '6 hours'$$);
SELECT cron.unschedule('dr-lag');
-- the job's SQL
INSERT INTO dr_alerts SELECT now(), dr_id, side, last_success_time FROM dr_clusters
    WHERE status = 'abnormal' OR last_success_time < now() - interval '6 hours';

-- later: did it run, and what did it find?  (no run here: pg_cron is not
-- given the time; sql/cron.sql waits for runs)
SELECT status, return_message FROM cron.job_run_details ORDER BY runid DESC LIMIT 5;
SELECT dr_id, side, last_success_time, seen_at > now() - interval '1 minute' AS just_now
  FROM (
SELECT * FROM dr_alerts ORDER BY seen_at DESC
  ) AS recipe ORDER BY dr_id, side;

-- =====================================================================
-- Cookbook
-- =====================================================================
-- The mission's question
SELECT status, progress FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6';

-- Your inventory, joined with the live state
CREATE TABLE dr_inventory (dr_id text PRIMARY KEY, owner text NOT NULL, tier text NOT NULL);
INSERT INTO dr_inventory VALUES
  ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6', 'bi-team', 'silver'),
  ('6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a', 'finance', 'gold'),
  ('c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f', 'ops',     'gold');

SELECT i.owner, i.tier, c.side, c.status, c.progress, c.last_success_time
  FROM dr_inventory i
  JOIN dr_clusters c USING (dr_id)
 ORDER BY i.owner, c.side;

-- many ids: one concurrent batch of detail calls, one per distinct id
SELECT c.dr_name, c.side, c.status, c.progress
  FROM dr_clusters c
 WHERE c.dr_id = ANY(ARRAY(SELECT dr_id FROM dr_inventory WHERE tier = 'gold'))
 ORDER BY c.dr_name, c.side;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT c.dr_name, c.side, c.status, c.progress
  FROM dr_clusters c
 WHERE c.dr_id = ANY(ARRAY(SELECT dr_id FROM dr_inventory WHERE tier = 'gold'));

-- A daily report with pg_cron
CREATE TABLE dr_report (
  taken_at       timestamptz NOT NULL DEFAULT now(),
  dr_name        text,
  dr_status      text,
  primary_status text,
  standby_status text
);

-- every day at 07:00 UTC (pg_cron 1.4 reads schedules in UTC): one list call
SELECT cron.schedule('dr-report', '0 7 * * *', $$
  INSERT INTO dr_report (dr_name, dr_status, primary_status, standby_status)
  SELECT name, status, primary_status, standby_status FROM disaster_recoveries
$$);
SELECT jobname, schedule, command, username = current_user AS runs_as_me
  FROM cron.job WHERE jobname = 'dr-report';
SELECT cron.unschedule('dr-report');
-- the job's SQL
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
  INSERT INTO dr_report (dr_name, dr_status, primary_status, standby_status)
  SELECT name, status, primary_status, standby_status FROM disaster_recoveries
;
  INSERT INTO dr_report (dr_name, dr_status, primary_status, standby_status)
  SELECT name, status, primary_status, standby_status FROM disaster_recoveries
;
SELECT dr_name, dr_status, primary_status, standby_status FROM dr_report ORDER BY dr_name;

-- did it run, and what did it say?
SELECT j.jobname, d.status, d.return_message, d.start_time
  FROM cron.job_run_details d JOIN cron.job j USING (jobid)
 ORDER BY d.start_time DESC LIMIT 10;

-- A lag alert
SELECT dr_name, side, status, last_success_time, dr_sync_interval
  FROM dr_clusters
 WHERE now() - last_success_time > 2 * dr_sync_interval
 ORDER BY last_success_time, dr_name, side;

CREATE TABLE dr_lag_alerts (
  seen_at           timestamptz NOT NULL DEFAULT now(),
  dr_id             text,
  dr_name           text,
  side              text,
  last_success_time timestamptz,
  sync_interval     interval
);

SELECT cron.schedule('dr-lag-alert', '*/10 * * * *', $$
  INSERT INTO dr_lag_alerts (dr_id, dr_name, side, last_success_time, sync_interval)
  SELECT dr_id, dr_name, side, last_success_time, dr_sync_interval
    FROM dr_clusters
   WHERE now() - last_success_time > 2 * dr_sync_interval
$$);
SELECT cron.unschedule('dr-lag-alert');
-- the job's SQL
  INSERT INTO dr_lag_alerts (dr_id, dr_name, side, last_success_time, sync_interval)
  SELECT dr_id, dr_name, side, last_success_time, dr_sync_interval
    FROM dr_clusters
   WHERE now() - last_success_time > 2 * dr_sync_interval
;
SELECT dr_name, side, sync_interval FROM dr_lag_alerts ORDER BY dr_name, side;

-- An abnormal-task alert
SELECT dr_id, dr_name, dr_status, side, status
  FROM dr_clusters
 WHERE dr_status IN ('create_failed', 'start_failed', 'stop_failed', 'abnormal')
    OR status IN ('abnormal', 'drDeleted')
 ORDER BY dr_name, side;
-- the list call is enough
EXPLAIN (VERBOSE, COSTS OFF)
SELECT dr_id, dr_name, dr_status, side, status
  FROM dr_clusters
 WHERE dr_status IN ('create_failed', 'start_failed', 'stop_failed', 'abnormal')
    OR status IN ('abnormal', 'drDeleted')
 ORDER BY dr_name, side;

SELECT cron.schedule('dr-abnormal-alert', '*/5 * * * *', $$
DO $alert$
DECLARE
  bad text;
BEGIN
  SELECT string_agg(DISTINCT dr_name, ', ') INTO bad
    FROM dr_clusters
   WHERE dr_status IN ('create_failed', 'start_failed', 'stop_failed', 'abnormal')
      OR status IN ('abnormal', 'drDeleted');
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'DR tasks in a failed state: %', bad;
  END IF;
END
$alert$
$$);
SELECT cron.unschedule('dr-abnormal-alert');
-- the job's SQL: fails on purpose
DO $alert$
DECLARE
  bad text;
BEGIN
  SELECT string_agg(DISTINCT dr_name, ', ') INTO bad
    FROM dr_clusters
   WHERE dr_status IN ('create_failed', 'start_failed', 'stop_failed', 'abnormal')
      OR status IN ('abnormal', 'drDeleted');
  IF bad IS NOT NULL THEN
    RAISE EXCEPTION 'DR tasks in a failed state: %', bad;
  END IF;
END
$alert$
;

-- A dashboard: a materialized view refreshed by pg_cron
CREATE MATERIALIZED VIEW dr_dashboard AS
SELECT dr_id, dr_name, dr_status, side, role, status, progress,
       last_success_time, dr_sync_interval, now() AS refreshed_at
  FROM dr_clusters;
CREATE UNIQUE INDEX ON dr_dashboard (dr_id, side);   -- needed by REFRESH ... CONCURRENTLY

-- every 5 minutes; CONCURRENTLY lets dashboards read during the refresh
SELECT cron.schedule('dr-dashboard', '*/5 * * * *',
                     'REFRESH MATERIALIZED VIEW CONCURRENTLY dr_dashboard');
SELECT cron.unschedule('dr-dashboard');
-- the job's SQL
REFRESH MATERIALIZED VIEW CONCURRENTLY dr_dashboard;

SELECT dr_name, side, status, progress, last_success_time FROM dr_dashboard
 ORDER BY dr_name, side;
SELECT count(*) AS rows, max(refreshed_at) > now() - interval '1 minute' AS fresh
  FROM dr_dashboard;
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

-- Or a short-lived cache
ALTER SERVER dws OPTIONS (ADD cache_ttl '60');
SELECT dwsdr_cache_clear();        -- forget the kept answers now (this backend)
-- a dashboard query, twice: the second is answered from the cache
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT dr_name, side, status, progress FROM dr_clusters;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT dr_name, side, status, progress FROM dr_clusters;
SELECT dwsdr_cache_clear();        -- forget the kept answers now (this backend)
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT dr_name, side, status, progress FROM dr_clusters;
ALTER SERVER dws OPTIONS (DROP cache_ttl);

-- One server per region, combined in a view
-- (as README writes them; the stand-in plays both regions: endpoint, which
-- overrides region, points the servers at it, and the mappings carry its
-- keys where README writes '...')
CREATE SERVER dws_cn_north_4 FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (region 'cn-north-4', project_id '0536cdee2200d5912f7cc00b877980f1');
CREATE SERVER dws_eu_west_101 FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (region 'eu-west-101', project_id 'e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6');
ALTER SERVER dws_cn_north_4 OPTIONS (ADD endpoint 'http://127.0.0.1:18931');
ALTER SERVER dws_eu_west_101 OPTIONS (ADD endpoint 'http://127.0.0.1:18931');
CREATE USER MAPPING FOR CURRENT_USER SERVER dws_cn_north_4
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE USER MAPPING FOR CURRENT_USER SERVER dws_eu_west_101
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA dr_cn_north_4;
CREATE SCHEMA dr_eu_west_101;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (dr_clusters) FROM SERVER dws_cn_north_4 INTO dr_cn_north_4;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (dr_clusters) FROM SERVER dws_eu_west_101 INTO dr_eu_west_101;

CREATE VIEW dr_clusters_all AS
  SELECT 'cn-north-4' AS api_region, * FROM dr_cn_north_4.dr_clusters
  UNION ALL
  SELECT 'eu-west-101' AS api_region, * FROM dr_eu_west_101.dr_clusters;

SELECT api_region, dr_name, side, status FROM dr_clusters_all ORDER BY 1, 2, 3;
-- one list call per region
EXPLAIN (VERBOSE, COSTS OFF)
SELECT api_region, dr_name, side, status FROM dr_clusters_all ORDER BY 1, 2, 3;
-- a condition on dr_id reaches each server: one detail call per region
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT api_region, side, status, progress FROM dr_clusters_all
 WHERE dr_id = '11111111-2222-4333-8444-555555555555';
SELECT api_region, side, status, progress FROM dr_clusters_all
 WHERE dr_id = '11111111-2222-4333-8444-555555555555' ORDER BY side;

-- A region down: its last answers, and an alert
ALTER SERVER dws_cn_north_4 OPTIONS (ADD when_unreachable 'stale');
ALTER SERVER dws_eu_west_101 OPTIONS (ADD when_unreachable 'stale');

-- (oldest_answer depends on the time: printed as "from this query")
SELECT api_region, clusters, oldest_answer >= statement_timestamp() AS from_this_query
  FROM (
SELECT api_region, count(*) AS clusters, min(fetched_at) AS oldest_answer
  FROM dr_clusters_all
 GROUP BY api_region
 ORDER BY api_region
  ) AS recipe;

CREATE TABLE dr_unreachable_alerts (
  seen_at       timestamptz NOT NULL DEFAULT now(),
  api_region    text,
  newest_answer timestamptz
);

SELECT cron.schedule('dr-api-unreachable', '*/5 * * * *', $$
  INSERT INTO dr_unreachable_alerts (api_region, newest_answer)
  SELECT r.api_region, max(a.fetched_at)
    FROM (VALUES ('cn-north-4'), ('eu-west-101')) AS r(api_region)
    LEFT JOIN dr_clusters_all a USING (api_region)
   GROUP BY r.api_region
  HAVING max(a.fetched_at) IS NULL
      OR max(a.fetched_at) < now() - interval '10 minutes'
$$);
SELECT cron.unschedule('dr-api-unreachable');
-- the job's SQL, every region up: no alert
INSERT INTO dr_unreachable_alerts (api_region, newest_answer)
  SELECT r.api_region, max(a.fetched_at)
    FROM (VALUES ('cn-north-4'), ('eu-west-101')) AS r(api_region)
    LEFT JOIN dr_clusters_all a USING (api_region)
   GROUP BY r.api_region
  HAVING max(a.fetched_at) IS NULL
      OR max(a.fetched_at) < now() - interval '10 minutes';
-- (sql/unreachable.sql takes a region down and checks what these show)

-- A history table for trends
CREATE TABLE dr_history (
  seen_at           timestamptz NOT NULL DEFAULT now(),
  dr_id             text NOT NULL,
  dr_name           text,
  side              text NOT NULL,
  dr_status         text,
  status            text,
  progress          numeric,
  last_success_time timestamptz
);

-- every 15 minutes: the list call, then a detail call per task
SELECT cron.schedule('dr-history', '*/15 * * * *', $$
  INSERT INTO dr_history (dr_id, dr_name, side, dr_status, status, progress, last_success_time)
  SELECT dr_id, dr_name, side, dr_status, status, progress, last_success_time FROM dr_clusters
$$);
SELECT cron.unschedule('dr-history');
-- the job's SQL, as two runs would do it
  INSERT INTO dr_history (dr_id, dr_name, side, dr_status, status, progress, last_success_time)
  SELECT dr_id, dr_name, side, dr_status, status, progress, last_success_time FROM dr_clusters
;
  INSERT INTO dr_history (dr_id, dr_name, side, dr_status, status, progress, last_success_time)
  SELECT dr_id, dr_name, side, dr_status, status, progress, last_success_time FROM dr_clusters
;

-- the last 7 days: samples, abnormal samples, progress range, distinct syncs seen
SELECT dr_name, side, count(*) AS samples,
       count(*) FILTER (WHERE status = 'abnormal') AS abnormal,
       min(progress) AS min_progress, max(progress) AS max_progress,
       count(DISTINCT last_success_time) AS syncs_seen
  FROM dr_history
 WHERE seen_at > now() - interval '7 days'
 GROUP BY dr_name, side
 ORDER BY dr_name, side;

SELECT cron.schedule('dr-history-trim', '0 3 * * *', $$DELETE FROM dr_history WHERE seen_at < now() - interval '90 days'$$);
SELECT cron.unschedule('dr-history-trim');
DELETE FROM dr_history WHERE seen_at < now() - interval '90 days';

-- Watching the FDW itself
-- (bytes and wait times vary: printed as "more than zero")
SELECT server, calls > 0 AS calls, retries, errors, throttled, server_errors,
       network_errors, bytes_received > 0 AS bytes_received,
       wait_ms >= 0 AS wait_ms, cache_hits > 0 AS cache_hits
  FROM (
SELECT server, calls, retries, errors, throttled, server_errors, network_errors,
       bytes_received, round(wait_ms) AS wait_ms, cache_hits
  FROM dwsdr_stats() ORDER BY server
  ) AS recipe;
SELECT dwsdr_stats_reset();        -- superusers, or users granted EXECUTE on it
SELECT server, calls, errors, bytes_received, wait_ms, cache_hits
  FROM dwsdr_stats() ORDER BY server;

-- nothing waits on the API now: no row (pg_cron's launcher waits with the
-- same wait event between jobs, but it is idle)
SELECT pid, usename, backend_type, now() - query_start AS running_for, query
  FROM pg_stat_activity
 WHERE wait_event_type = 'Extension' AND state = 'active';

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
