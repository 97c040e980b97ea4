-- pg_cron for real: jobs that read DR state through the FDW, run by
-- pg_cron's background workers (cron.use_background_workers = on, set by
-- scripts/test) in this database, as the user who scheduled them, with
-- the default search_path.  One job records DR state into a history table
-- (the cookbook's history recipe) and one refreshes the cookbook's
-- dashboard; others fail: on an API error, on purpose (the cookbook's
-- abnormal-task alert and its alert on failed DR events), and for a user
-- without a user mapping.  cron.job_run_details must show the successes
-- and the clear error texts.
-- Debian 12's pg_cron 1.4 has no seconds schedules: the jobs run at the
-- next minute, and this file waits for them (up to 130 s).
\set VERBOSITY default
SET client_min_messages = warning;
CREATE EXTENSION pg_cron;
CREATE SERVER cron_dws FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931', project_id '0536cdee2200d5912f7cc00b877980f1');
-- a server that fails at once on an error
CREATE SERVER cron_fail FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931',
           project_id '0536cdee2200d5912f7cc00b877980f1', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER cron_dws
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE USER MAPPING FOR CURRENT_USER SERVER cron_fail
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
-- jobs see the default search_path: the cookbook's tables go to public
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (dr_clusters, dr_events) FROM SERVER cron_dws INTO public;
-- the events of a stand-in project whose events are recent (one every 10 s,
-- the newest now): the last 5 minutes hold failed DR events
ALTER FOREIGN TABLE public.dr_events OPTIONS (ADD project_id 'events-n40-recent');
CREATE SCHEMA cron_s;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (dr_clusters) FROM SERVER cron_fail INTO cron_s;
-- a user who may read the table but has no user mapping
CREATE ROLE regress_cron_nomap LOGIN;
GRANT SELECT ON public.dr_clusters TO regress_cron_nomap;
RESET client_min_messages;

-- every job in one transaction, so that pg_cron sees them only with their
-- every-minute schedules, and they all run in the same minute
\getenv builddir PG_ABS_BUILDDIR
BEGIN;
-- the cookbook's history table and job, its dashboard and refresh job,
-- its abnormal-task alert (which fails on purpose) and its alert on failed
-- DR events (which fails, naming the recent events), as the doc writes
-- them (scripts/cookbook-recipes); then every minute instead of the doc's
-- schedules
\i :builddir/recipes/history.sql
\i :builddir/recipes/dashboard.sql
\i :builddir/recipes/abnormal-alert-job.sql
\i :builddir/recipes/events-alert-job.sql
SELECT jobname, cron.alter_job(jobid, schedule => '* * * * *')
  FROM cron.job ORDER BY jobid;
CREATE TEMP TABLE cron_started AS
  SELECT clock_timestamp() AS at, (SELECT max(refreshed_at) FROM public.dr_dashboard) AS first_refresh;
-- an API error (HTTP 500, no retry)
SELECT cron.schedule('dr-api-error', '* * * * *', $$
  SELECT status FROM cron_s.dr_clusters WHERE dr_id = 'fault-500'
$$);
-- a job that waits 4 s on the API (seen in pg_stat_activity below)
SELECT cron.schedule('dr-slow', '* * * * *', $$
  SELECT count(*) FROM dr_clusters WHERE dr_id = 'fault-slow-4000'
$$);
-- a job of a user without a user mapping
SELECT cron.schedule_in_database('dr-no-mapping', '* * * * *',
  $$SELECT status FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$$,
  current_database(), 'regress_cron_nomap');
COMMIT;
SELECT jobname, schedule, database = current_database() AS here,
       CASE WHEN username = current_user THEN '(me)' ELSE username END AS username, active
  FROM cron.job ORDER BY jobid;

-- wait until every job has a finished run (up to 130 s); meanwhile, note
-- what the cookbook's "waiting on the API" query (fdw-waits) shows
CREATE TEMP TABLE cron_seen (usename name, backend_type text, query text);
DO $$
DECLARE
  i int := 0;
  done int;
BEGIN
  LOOP
    SELECT count(DISTINCT jobid) INTO done
      FROM cron.job_run_details WHERE status IN ('succeeded', 'failed');
    EXIT WHEN done = 7 OR i >= 260;
    PERFORM pg_stat_clear_snapshot();
    INSERT INTO cron_seen
    SELECT usename, backend_type, query
      FROM (
SELECT pid, usename, backend_type, now() - query_start AS running_for, query
  FROM pg_stat_activity
 WHERE wait_event_type = 'Extension' AND state = 'active'
      ) AS recipe;
    PERFORM pg_sleep(0.5);
    i := i + 1;
  END LOOP;
  IF done < 7 THEN
    RAISE NOTICE 'only % of 7 jobs ran in 130 s', done;
  END IF;
END $$;
-- no more runs (cron.unschedule deletes the job: keep the names)
CREATE TEMP TABLE cron_jobs AS SELECT jobid, jobname FROM cron.job;
SELECT jobname, cron.unschedule(jobid) FROM cron_jobs ORDER BY jobid;

-- each job's first run: the good ones succeeded, with their command tag;
-- the others failed, with the error text (request ids masked)
SELECT DISTINCT ON (j.jobid) j.jobname, d.status,
       regexp_replace(d.return_message, '[0-9a-f]{32}', '<request-id>', 'g') AS return_message,
       CASE WHEN d.username = current_user THEN '(me)' ELSE d.username END AS username,
       d.database = current_database() AS here
  FROM cron.job_run_details d JOIN cron_jobs j USING (jobid)
 ORDER BY j.jobid, d.runid;
-- the slow job, seen while it waited on the API (the other jobs wait on it
-- for a few milliseconds only, and are seen or not)
SELECT DISTINCT CASE WHEN usename = current_user THEN '(me)' ELSE usename::text END AS usename,
       backend_type, query
  FROM cron_seen WHERE query LIKE '%fault-slow-4000%';
-- every run of the history job wrote the 9 clusters of the 5 tasks
SELECT count(*) / 9 = (SELECT count(*) FROM cron.job_run_details
                        NATURAL JOIN cron_jobs
                        WHERE jobname = 'dr-history' AND status = 'succeeded') AS one_sample_per_run,
       count(*) % 9 AS partial, count(DISTINCT dr_id) AS tasks,
       count(DISTINCT (dr_id, side)) AS clusters,
       min(seen_at) > (SELECT at FROM cron_started) AS written_by_the_job
  FROM public.dr_history;
SELECT dr_name, side, status, progress, last_success_time IS NOT NULL AS synced
  FROM public.dr_history
 WHERE seen_at = (SELECT min(seen_at) FROM public.dr_history)
 ORDER BY dr_name, side;
-- the dashboard was refreshed by the job
SELECT count(*) AS rows, max(refreshed_at) > (SELECT first_refresh FROM cron_started) AS refreshed
  FROM public.dr_dashboard;

-- clean up
SET client_min_messages = warning;
DROP EXTENSION pg_cron;
DROP MATERIALIZED VIEW public.dr_dashboard;
DROP TABLE public.dr_history;
DROP SCHEMA cron_s CASCADE;
DROP FOREIGN TABLE public.dr_clusters, public.dr_events;
DROP SERVER cron_fail CASCADE;
DROP SERVER cron_dws CASCADE;
DROP ROLE regress_cron_nomap;
RESET client_min_messages;
