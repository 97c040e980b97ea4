-- What sessions share when dwsdr_fdw is in shared_preload_libraries (as
-- scripts/test runs the suite): the answers kept for cache_ttl, one budget
-- per endpoint and credential (rate_limit, and a 429 slowing every session),
-- and dwsdr_activity().  test/shared/run has the tests of many sessions at
-- once, and of a cluster without preloading.
\set VERBOSITY default
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS dblink;
-- an IAM token of its own: no other file's calls share this budget
CREATE SERVER shared_dws FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931',
           project_id '0536cdee2200d5912f7cc00b877980f1', max_retries '0',
           cache_ttl '300');
CREATE USER MAPPING FOR CURRENT_USER SERVER shared_dws
  OPTIONS (auth_token 'demo-iam-token-0003');
CREATE ROLE shared_other;
GRANT USAGE ON FOREIGN SERVER shared_dws TO shared_other;
CREATE USER MAPPING FOR shared_other SERVER shared_dws
  OPTIONS (access_key 'TEMPACCESSKEY000002', secret_key 'temp-secret-key-0002',
           security_token 'demo-security-token-0002');
CREATE SCHEMA shared_s;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (dr_clusters) FROM SERVER shared_dws INTO shared_s;
GRANT USAGE ON SCHEMA shared_s TO shared_other;
GRANT SELECT ON shared_s.dr_clusters TO shared_other;
RESET client_min_messages;
SET search_path = shared_s, public;

-- the settings exist when preloaded
SHOW dwsdr_fdw.shared_cache_size;
SHOW dwsdr_fdw.shared_budgets;

-- ---------------------------------------------------------------------
-- rate_limit: calls per second, a whole number from 1
-- ---------------------------------------------------------------------
ALTER SERVER shared_dws OPTIONS (ADD rate_limit '0');
ALTER SERVER shared_dws OPTIONS (ADD rate_limit '-5');
ALTER SERVER shared_dws OPTIONS (ADD rate_limit '2.5');
ALTER SERVER shared_dws OPTIONS (ADD rate_limit '100001');
ALTER SERVER shared_dws OPTIONS (ADD rate_limit '100000');
ALTER SERVER shared_dws OPTIONS (DROP rate_limit);

-- ---------------------------------------------------------------------
-- The answers kept for cache_ttl are shared: each check runs in a new
-- session (\c), whose dwsdr_stats() start from nothing
-- ---------------------------------------------------------------------
\set q 'SELECT side, status FROM dr_clusters WHERE dr_id = ''b303b78d-438c-41dd-aaf6-c98eea1fc2a6'' ORDER BY side'
\set calls 'SELECT detail_calls, cache_hits FROM dwsdr_stats() WHERE server = ''shared_dws'''
:q;
:calls;
-- a new session finds it: no call
\c
SET search_path = shared_s, public;
:q;
:calls;
-- another credential never gets it: its own call
\c
SET search_path = shared_s, public;
SET ROLE shared_other;
:q;
:calls;
RESET ROLE;
-- dwsdr_cache_clear() forgets the shared answers of the credentials this
-- session has used, for every session
\c
SET search_path = shared_s, public;
:q;
SELECT dwsdr_cache_clear();
\c
SET search_path = shared_s, public;
:q;
:calls;
-- an ALTER SERVER (in any session) makes them unusable, as it drops a
-- backend's own answers with its connection
\c
SET search_path = shared_s, public;
:q;
:calls;
ALTER SERVER shared_dws OPTIONS (SET cache_ttl '301');
:q;
:calls;
ALTER SERVER shared_dws OPTIONS (DROP cache_ttl);

-- ---------------------------------------------------------------------
-- rate_limit paces the calls: 6 calls at 5 per second take a second
-- ---------------------------------------------------------------------
ALTER SERVER shared_dws OPTIONS (ADD rate_limit '5');
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM dr_clusters
 WHERE dr_id = ANY (ARRAY(SELECT 'shared-missing-' || g FROM generate_series(1, 6) g));
SELECT clock_timestamp() - :'t0'::timestamptz >= interval '0.9 s' AS paced;
-- waiting for the budget is cancelable: at 1 per second, statement_timeout
-- ends the wait for the second call
ALTER SERVER shared_dws OPTIONS (SET rate_limit '1');
SET statement_timeout = '300ms';
SELECT count(*) FROM dr_clusters
 WHERE dr_id = ANY (ARRAY(SELECT 'shared-missing-c' || g FROM generate_series(1, 5) g));
RESET statement_timeout;
SELECT count(*) AS activity_left FROM dwsdr_activity();

-- ---------------------------------------------------------------------
-- dwsdr_activity(): seen from another session
-- ---------------------------------------------------------------------
ALTER SERVER shared_dws OPTIONS (DROP rate_limit);
SELECT * FROM dwsdr_activity();
SELECT dblink_connect('shared_peer', peer_conninfo('shared_peer'));
SELECT pid AS peer_pid FROM dblink('shared_peer', 'SELECT pg_backend_pid()') AS t(pid int) \gset
SELECT dblink_send_query('shared_peer',
  $$SELECT count(*) FROM shared_s.dr_clusters
     WHERE dr_id IN ('fault-slow-1500', 'b303b78d-438c-41dd-aaf6-c98eea1fc2a6')$$);
SELECT wait_for_api('shared_peer') AS peer_waits_on_api;
SELECT pg_sleep(0.3);
SELECT pid = :peer_pid AS is_peer, server_name, user_name = current_user AS user_is_me,
       calls_done, calls_total, in_flight, waiting_for_budget,
       since BETWEEN now() - interval '10 s' AND clock_timestamp() AS since_is_recent
  FROM dwsdr_activity();
-- the wait event: its own name from PostgreSQL 17 on
SELECT wait_event_type,
       wait_event = CASE WHEN current_setting('server_version_num')::int >= 170000
                         THEN 'DwsdrApi' ELSE 'Extension' END AS expected_name
  FROM pg_stat_activity WHERE pid = :peer_pid;
SELECT * FROM dblink_get_result('shared_peer') AS t(n bigint);
SELECT * FROM dblink_get_result('shared_peer') AS t(n bigint);
SELECT count(*) AS rows_after FROM dwsdr_activity();
-- waiting for the budget, seen from another session
ALTER SERVER shared_dws OPTIONS (ADD rate_limit '1');
SELECT dblink_send_query('shared_peer',
  $$SELECT count(*) FROM shared_s.dr_clusters
     WHERE dr_id = ANY (ARRAY(SELECT 'shared-missing-w' || g FROM generate_series(1, 3) g))$$);
DO $$
BEGIN
  FOR i IN 1..100 LOOP
    EXIT WHEN EXISTS (SELECT 1 FROM dwsdr_activity() WHERE waiting_for_budget AND in_flight = 0);
    PERFORM pg_sleep(0.05);
  END LOOP;
END $$;
SELECT pid = :peer_pid AS is_peer, waiting_for_budget, calls_total, in_flight
  FROM dwsdr_activity();
SELECT wait_event_type,
       wait_event = CASE WHEN current_setting('server_version_num')::int >= 170000
                         THEN 'DwsdrBudget' ELSE 'Extension' END AS expected_name
  FROM pg_stat_activity WHERE pid = :peer_pid;
SELECT * FROM dblink_get_result('shared_peer') AS t(n bigint);
SELECT * FROM dblink_get_result('shared_peer') AS t(n bigint);
ALTER SERVER shared_dws OPTIONS (DROP rate_limit);

-- ---------------------------------------------------------------------
-- The budget holds back only the calls it paces: in one query, a scan of
-- shared_dws at rate_limit 2 (8 calls: 3.5 s) and a scan of a server of
-- another credential (its own budget) whose answers come 2 s late.  The
-- second scan's calls run while the first waits for its tokens (one wait
-- drives both): the query takes about as long as the slower scan, not the
-- 5.5 s of one after the other.  The slow server's connections are opened
-- first, as a warm session has them.
-- ---------------------------------------------------------------------
SET client_min_messages = warning;
CREATE SERVER shared_slow FOREIGN DATA WRAPPER dwsdr_fdw
  OPTIONS (endpoint 'http://127.0.0.1:18931/__delay2000',
           project_id '0536cdee2200d5912f7cc00b877980f1', max_retries '0');
CREATE USER MAPPING FOR CURRENT_USER SERVER shared_slow
  OPTIONS (access_key 'TEMPACCESSKEY000002', secret_key 'temp-secret-key-0002',
           security_token 'demo-security-token-0002');
CREATE SCHEMA shared_slow_s;
IMPORT FOREIGN SCHEMA dwsdr LIMIT TO (dr_clusters) FROM SERVER shared_slow INTO shared_slow_s;
RESET client_min_messages;
\set slow_ids '(''b303b78d-438c-41dd-aaf6-c98eea1fc2a6'', ''6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a'')'
SELECT count(*) AS warm_up FROM shared_slow_s.dr_clusters WHERE dr_id IN :slow_ids;
ALTER SERVER shared_dws OPTIONS (ADD rate_limit '2');
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM (
  SELECT dr_id FROM shared_s.dr_clusters
   WHERE dr_id = ANY (ARRAY['shared-missing-u1', 'shared-missing-u2', 'shared-missing-u3',
                            'shared-missing-u4', 'shared-missing-u5', 'shared-missing-u6',
                            'shared-missing-u7', 'shared-missing-u8'])
  UNION ALL
  SELECT dr_id FROM shared_slow_s.dr_clusters WHERE dr_id IN :slow_ids
) u;
SELECT clock_timestamp() - :'t0'::timestamptz >= interval '3.3 s' AS paced,
       clock_timestamp() - :'t0'::timestamptz < interval '4.6 s' AS overlapped;
ALTER SERVER shared_dws OPTIONS (DROP rate_limit);
SET client_min_messages = warning;
DROP SCHEMA shared_slow_s CASCADE;
DROP SERVER shared_slow CASCADE;
RESET client_min_messages;

-- ---------------------------------------------------------------------
-- A 429 seen by one session slows the others of the same budget: the
-- stand-in's fault-429 says Retry-After: 1, so the next call of this
-- session waits for it
-- ---------------------------------------------------------------------
SELECT dblink_exec('shared_peer', $q$DO $x$ BEGIN
  PERFORM count(*) FROM shared_s.dr_clusters WHERE dr_id = 'fault-429';
EXCEPTION WHEN fdw_error THEN NULL; END $x$$q$);
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM dr_clusters WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
SELECT clock_timestamp() - :'t0'::timestamptz >= interval '0.5 s' AS slowed;
-- another credential is not slowed
SELECT dblink_exec('shared_peer', $q$DO $x$ BEGIN
  PERFORM count(*) FROM shared_s.dr_clusters WHERE dr_id = 'fault-429';
EXCEPTION WHEN fdw_error THEN NULL; END $x$$q$);
SET ROLE shared_other;
SELECT clock_timestamp() AS t0 \gset
SELECT count(*) FROM dr_clusters WHERE dr_id = '6d2f4c1a-7e3b-4a59-9c0d-1f2e3d4c5b6a';
SELECT clock_timestamp() - :'t0'::timestamptz < interval '0.5 s' AS not_slowed;
RESET ROLE;
SELECT dblink_disconnect('shared_peer');
SELECT pg_sleep(1);

SET client_min_messages = warning;
DROP SCHEMA shared_s CASCADE;
DROP SERVER shared_dws CASCADE;
DROP ROLE shared_other;
DROP EXTENSION dblink;
