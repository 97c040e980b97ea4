-- The plan check: what EXPLAIN says a scan will call (DWS Calls) is what
-- EXPLAIN ANALYZE counts it calling (DWS Requests), for the kinds of
-- queries the other files run.  plan_check(q) runs EXPLAIN (FORMAT JSON)
-- and EXPLAIN (ANALYZE, FORMAT JSON) of q, and for each foreign scan, in
-- plan order, prints its DWS Calls and "ok", or what disagrees.
SET client_min_messages = warning;
CREATE SERVER pc_dws FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931', project_id '0536cdee2200d5912f7cc00b877980f1');
CREATE USER MAPPING FOR CURRENT_USER SERVER pc_dws
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA pc;
IMPORT FOREIGN SCHEMA dwsdr FROM SERVER pc_dws INTO pc;
RESET client_min_messages;
SET search_path = pc, public;

-- The calls a DWS Calls text promises, per loop of the scan: a list call
-- per project (named, else one; with ids, an id asked before in the query
-- is a cache hit), per-task calls (ids named times projects, each a call
-- or a cache hit; after a list, only for the ids it has; per task: as
-- many as the list gives), one per outer row, and pages of events.  The
-- kinds of calls must be those planned, and their numbers within these.
CREATE FUNCTION plan_check(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
  est jsonb; act jsonb; e jsonb; a jsonb;
  i int := 0; n int;
  calls text; req text; bad text;
  projects int; ids int; loops int;
  list_n bigint; per_n bigint; hits bigint; ev_n bigint;
  want_list bool; want_per bool; per_kind text; m text[];
BEGIN
  EXECUTE 'EXPLAIN (FORMAT JSON, COSTS OFF) ' || q INTO est;
  EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON, COSTS OFF, TIMING OFF, SUMMARY OFF, BUFFERS OFF) ' || q INTO act;
  n := jsonb_array_length(jsonb_path_query_array(est, 'strict $.** ? (exists (@."DWS Calls"))'));
  IF n = 0 THEN
    RETURN NEXT 'no foreign scan';
    RETURN;
  END IF;
  FOR e IN SELECT jsonb_path_query(est, 'strict $.** ? (exists (@."DWS Calls"))') LOOP
    a := jsonb_path_query_array(act, 'strict $.** ? (exists (@."DWS Calls"))') -> i;
    i := i + 1;
    -- dr_events: the count a run reads may be new to the ANALYZE's text
    calls := regexp_replace(e ->> 'DWS Calls', ' \(\d+ pages? for the \d+ events last counted\)$', '');
    bad := NULL;
    IF a IS NULL OR regexp_replace(a ->> 'DWS Calls', ' \(\d+ pages? for the \d+ events last counted\)$', '')
                    IS DISTINCT FROM calls THEN
      RETURN NEXT format('%s: EXPLAIN ANALYZE planned %s', calls, a ->> 'DWS Calls');
      CONTINUE;
    END IF;
    calls := a ->> 'DWS Calls';
    loops := (a ->> 'Actual Loops')::int;
    req := a ->> 'DWS Requests';
    m := regexp_match(calls, ', in (\d+) projects$');
    projects := coalesce(m[1]::int, CASE WHEN calls ~ 'in each project of the parameter$' THEN -1 ELSE 1 END);
    IF calls ~ '^events' THEN
      ev_n := substring(req from 'events (\d+)')::bigint;
      m := regexp_match(calls, '\((\d+) pages? for');
      IF loops > 0 AND ev_n < 1 THEN
        bad := 'no events call';
      ELSIF m IS NOT NULL AND projects > 0 AND ev_n > (m[1]::int + 1) * projects * loops THEN
        bad := format('more pages than %s', m[1]);
      END IF;
      RETURN NEXT format('%s: %s', calls, coalesce(bad, 'ok'));
      CONTINUE;
    END IF;
    list_n := substring(req from '^list (\d+)')::bigint;
    per_n := substring(req from '(?:detail|progress) (\d+)')::bigint;
    hits := substring(req from 'cache hits (\d+)')::bigint;
    per_kind := CASE WHEN calls ~ 'progress' THEN 'progress' ELSE 'detail' END;
    want_list := calls ~ '^list';
    want_per := calls ~ '(detail|progress) (for|per)';
    m := regexp_match(calls, 'for (\d+) ids?');
    ids := coalesce(m[1]::int, -1);
    IF req !~ ('^list \d+, ' || per_kind || ' ') THEN
      bad := format('the requests are not of %s calls', per_kind);
    ELSIF NOT want_list AND list_n > 0 THEN
      bad := format('%s list calls where none was planned', list_n);
    ELSIF want_list AND loops > 0 AND projects > 0 AND calls !~ ' for '
          AND list_n <> projects * loops THEN
      bad := format('%s list calls where %s were planned', list_n, projects * loops);
    ELSIF want_list AND projects > 0 AND list_n > projects * loops THEN
      bad := format('%s list calls where at most %s were planned', list_n, projects * loops);
    ELSIF want_list AND loops > 0 AND list_n + hits < 1 THEN
      bad := 'no list call where one was planned';
    ELSIF NOT want_per AND per_n > 0 THEN
      bad := format('%s %s calls where none was planned', per_n, per_kind);
    ELSIF want_per AND ids >= 0 AND projects > 0 AND NOT want_list
          AND per_n + hits <> ids * projects * loops THEN
      bad := format('%s %s calls and %s cache hits where %s were planned',
                    per_n, per_kind, hits, ids * projects * loops);
    ELSIF want_per AND ids >= 0 AND projects > 0
          AND per_n + hits > ids * projects * loops THEN
      bad := format('%s %s calls where at most %s were planned',
                    per_n, per_kind, ids * projects * loops);
    ELSIF want_per AND calls ~ 'each outer row''s id' AND per_n + hits <> loops THEN
      bad := format('%s %s calls and %s cache hits for %s outer rows',
                    per_n, per_kind, hits, loops);
    END IF;
    RETURN NEXT format('%s: %s', calls, coalesce(bad, 'ok'));
  END LOOP;
END $$;

CREATE TABLE pc_inventory (owner text PRIMARY KEY, dr_id text NOT NULL);
INSERT INTO pc_inventory VALUES
  ('alice', 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'),
  ('bob',   '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a'),
  ('carol', '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d'),
  ('dave',  '00000000-dead-4bee-8fff-000000000000'),
  ('erin',  'b303b78d-438c-41dd-aaf6-c98eea1fc2a6');
ANALYZE pc_inventory;

-- full scans: the list, then a detail call per task; the list alone
SELECT plan_check('SELECT dr_id, side, status, progress FROM dr_clusters');
SELECT plan_check('SELECT dr_id, name, status FROM disaster_recoveries');
SELECT plan_check('SELECT count(*) FROM dr_clusters');
-- by id, IN, = ANY, a missing task
SELECT plan_check($q$SELECT status FROM dr_clusters WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$q$);
SELECT plan_check($q$SELECT status FROM dr_clusters
  WHERE dr_id IN ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6', '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a',
                  '00000000-dead-4bee-8fff-000000000000')$q$);
SELECT plan_check($q$SELECT status FROM dr_clusters
  WHERE dr_id = ANY(ARRAY['b303b78d-438c-41dd-aaf6-c98eea1fc2a6', '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a'])$q$);
-- the ids of a parameter: an initplan, a prepared statement's generic plan
SELECT plan_check('SELECT status FROM dr_clusters WHERE dr_id = ANY(ARRAY(SELECT dr_id FROM pc_inventory))');
PREPARE pc_ids(text[]) AS SELECT status FROM dr_clusters WHERE dr_id = ANY($1);
SET plan_cache_mode = force_generic_plan;
SELECT plan_check($q$EXECUTE pc_ids('{b303b78d-438c-41dd-aaf6-c98eea1fc2a6,6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a}')$q$);
RESET plan_cache_mode;
-- list-only and detail-only columns together, by id: the list, then detail
SELECT plan_check($q$SELECT last_disaster_time, dr_sync_period FROM disaster_recoveries
  WHERE dr_id IN ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6', '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a')$q$);
SELECT plan_check($q$SELECT last_disaster_time FROM disaster_recoveries
  WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$q$);
SELECT plan_check('SELECT dr_id, last_disaster_time, dr_sync_period FROM disaster_recoveries');
-- projects named by the WHERE clause
SELECT plan_check($q$SELECT dr_id, name FROM disaster_recoveries
  WHERE project_id IN ('e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6', '0536cdee2200d5912f7cc00b877980f1')$q$);
SELECT plan_check($q$SELECT dr_id, status FROM dr_clusters
  WHERE project_id IN ('e1c3a2d4f5b6a7c8d9e0f1a2b3c4d5e6', '0536cdee2200d5912f7cc00b877980f1')
    AND dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$q$);
-- joins, on a server of its own whose project size the session has not
-- seen yet: a parameterized nested loop (with and without Memoize), and a
-- hash join over one full scan, needing a detail column
SET client_min_messages = warning;
CREATE SERVER pc_join FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931', project_id '0536cdee2200d5912f7cc00b877980f1');
CREATE USER MAPPING FOR CURRENT_USER SERVER pc_join
  OPTIONS (access_key 'DEMOACCESSKEY000001', secret_key 'demo-secret-key-0001');
CREATE SCHEMA pc_j;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (dr_clusters, disaster_recoveries)
  FROM SERVER pc_join INTO pc_j;
RESET client_min_messages;
SELECT plan_check('SELECT i.owner, d.status, d.progress FROM pc_inventory i JOIN pc_j.dr_clusters d USING (dr_id)');
SET enable_memoize = off;
SELECT plan_check('SELECT i.owner, d.dr_sync_period, d.last_disaster_time
  FROM pc_inventory i JOIN pc_j.disaster_recoveries d USING (dr_id)');
SELECT plan_check('SELECT i.owner, d.progress FROM pc_inventory i JOIN pc_j.dr_clusters d USING (dr_id)');
RESET enable_memoize;
SELECT plan_check('SELECT i.owner, d.status FROM pc_inventory i JOIN pc_j.dr_clusters d USING (dr_id)');
SET enable_nestloop = off;
SELECT plan_check('SELECT count(d.dr_sync_period) FROM pc_inventory i JOIN pc_j.disaster_recoveries d USING (dr_id)');
RESET enable_nestloop;
-- LATERAL: the outer row's id
SELECT plan_check('SELECT i.owner, x.status FROM pc_inventory i,
  LATERAL (SELECT status FROM pc_j.dr_clusters d WHERE d.dr_id = i.dr_id OFFSET 0) x');
-- progress
SELECT plan_check('SELECT dr_id, recovery_point_object FROM dr_progress');
SELECT plan_check($q$SELECT recovery_point_object FROM dr_progress WHERE dr_id = 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6'$q$);
-- events, and LIMIT
SELECT plan_check('SELECT event_id FROM dr_events');
SELECT plan_check('SELECT event_id FROM dr_events LIMIT 1');
SELECT plan_check('SELECT dr_id, progress FROM dr_clusters LIMIT 1');
SELECT plan_check($q$SELECT progress FROM dr_clusters
  WHERE dr_id IN ('b303b78d-438c-41dd-aaf6-c98eea1fc2a6', '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a') LIMIT 1$q$);
SELECT plan_check('SELECT dr_id FROM disaster_recoveries LIMIT 1');
